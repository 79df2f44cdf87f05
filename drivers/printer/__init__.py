"""Document printers (A4 certificates, CR80 badge cards) over IPP or CUPS queues.

>>> from drivers.printer import describe_reasons
>>> describe_reasons(["media-jam-error", "toner-low-report"])
'paper jam (open the printer and remove the jammed sheet or card); toner low (order a cartridge)'
"""

from drivers.printer.media import A4, CR80, MediaArea
from drivers.printer.printer import DocumentPrinter, JobResult
from drivers.printer.reasons import describe as describe_reasons
from drivers.printer.sim import IppPrinterSimulator

__all__ = ["A4", "CR80", "DocumentPrinter", "IppPrinterSimulator", "JobResult", "MediaArea", "describe_reasons"]
