"""Receipt printer: ESC/POS over USB, serial, TCP 9100 or a file, via python-escpos.

:func:`open_receipt` builds the printer the ``[receipt]`` section names;
:class:`ReceiptSimulator` is a TCP 9100 printer that renders each job
(``terminal sim receipt``).

>>> from drivers.receipt import ReceiptSimulator, open_receipt
>>> with ReceiptSimulator(state="paper-out") as sim, open_receipt({"uri": sim.uri}) as printer:
...     printer.status().problem
'out of paper'
"""

from drivers.lazy import lazy_exports

_EXPORTS = {
    "PrinterURI": "drivers.receipt.connection",
    "Receipt": "drivers.receipt.document",
    "receipt_test_page": "drivers.receipt.document",
    "ReceiptPrinter": "drivers.receipt.printer",
    "open_receipt": "drivers.receipt.printer",
    "ReceiptSimulator": "drivers.receipt.sim",
    "ReceiptStatus": "drivers.receipt.status",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
