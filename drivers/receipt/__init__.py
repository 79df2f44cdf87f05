"""Receipt printer: ESC/POS over USB, serial, TCP 9100 or a file, via python-escpos.

>>> from drivers.receipt import Receipt, ReceiptPrinter, ReceiptSimulator
>>> with ReceiptSimulator(state="paper-out") as sim, ReceiptPrinter(sim.uri) as printer:
...     printer.status().problem
'out of paper'
"""

from drivers.receipt.connection import PrinterURI
from drivers.receipt.document import Receipt, receipt_test_page
from drivers.receipt.printer import ReceiptPrinter
from drivers.receipt.sim import ReceiptSimulator
from drivers.receipt.status import ReceiptStatus

__all__ = ["PrinterURI", "Receipt", "ReceiptPrinter", "ReceiptSimulator", "ReceiptStatus", "receipt_test_page"]
