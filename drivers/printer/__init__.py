"""Document printers (A4 certificates, CR80 badge cards) over IPP or CUPS queues.

:func:`open_printer` builds the printer a ``[printer]`` or ``[badge_printer]``
section names; :class:`PrinterSimulator` is a real IPP Everywhere printer
(CUPS's ippeveprinter, ``terminal sim printer``).

>>> from drivers.printer import describe_reasons, open_printer
>>> describe_reasons(["media-jam-error", "toner-low-report"])
'paper jam (open the printer and remove the jammed sheet or card); toner low (order a cartridge)'
>>> open_printer({"uri": "badges"}, media="cr80", name="badge_printer").uri
'ipp://localhost:631/printers/badges'
"""

from drivers.lazy import lazy_exports

_EXPORTS = {
    "A4": "drivers.printer.media",
    "CR80": "drivers.printer.media",
    "MediaArea": "drivers.printer.media",
    "DocumentPrinter": "drivers.printer.printer",
    "JobResult": "drivers.printer.printer",
    "open_printer": "drivers.printer.printer",
    "describe_reasons": "drivers.printer.reasons",
    "PrinterSimulator": "drivers.printer.sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
