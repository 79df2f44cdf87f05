"""The optional ESC/POS receipt after a service: what was done, its serial or order number, the time, the kiosk.

One function for certificates and badges alike (:func:`service_receipt`), and
no full personal identifier on it: no name, no employee number, no phone or
ID number -- the paper is often left behind.  Text that looks like one is
refused (ValueError) rather than printed::

    >>> r = service_receipt("补办工牌 Replacement badge", "ORD-7KQ2M4XP9ABC", "KSK-SHA-0001", when=0, amount_cents=2000)
    >>> [item[1] for item in r.items if item[0] == "text"][:2]
    ['服务凭条 Service receipt', '补办工牌 Replacement badge']
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Shanghai")
# A mainland ID number (18, or the old 15 digits), a mobile number, or an employee number (E + digits):
# none of them belongs on a receipt, in any field.
_IDENTIFIER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15}|1[3-9]\d{9}|E\d{3,})(?![0-9A-Za-z])")

BADGE_WHAT = {"first": "首次工牌 First badge", "lost": "补办工牌（遗失） Replacement badge (lost)",
              "damaged": "补办工牌（损坏） Replacement badge (damaged)"}


def _check(text: str) -> str:
    if _IDENTIFIER.search(text):
        raise ValueError("a receipt line holds a personal identifier (ID, phone or employee number); "
                         "give the serial or order number only")
    return text


def service_receipt(what: str, reference: str, kiosk: str, *, when: float, amount_cents: int | None = None,
                    note: str = "", width: int = 42):
    """A drivers.receipt.Receipt: ``what`` was done, ``reference`` (serial or order number), ``when`` (unix
    seconds, printed in China time), ``kiosk`` (device id), an optional amount (cents, CNY) and ``note``.

    Raises ValueError when any text holds a personal identifier.
    """
    from drivers.receipt import Receipt

    stamp = datetime.datetime.fromtimestamp(when, TIMEZONE).strftime("%Y-%m-%d %H:%M")
    receipt = Receipt(width=width).title("服务凭条 Service receipt").line(_check(what), align="center").rule()
    receipt.pair("编号 No.", _check(reference)).pair("时间 Time", stamp).pair("终端 Kiosk", _check(kiosk))
    if amount_cents is not None:
        receipt.pair("金额 Amount", f"¥{amount_cents / 100:.2f}")
    if note:
        receipt.rule().line(_check(note))
    return receipt.rule().line("谢谢 Thank you", align="center").cut()


def badge_receipt(job, kiosk: str, *, when: float):
    """The receipt of a badge job (kiosk.badges.store.BadgeJob): printed, or refund requested; by order number."""
    what = BADGE_WHAT.get(job.reason, "工牌 Badge")
    note = ""
    if job.state == "refund_requested":
        note = "未能制卡，已申请退款，原路退回。 Not printed: a refund was requested to your payment account."
    return service_receipt(what, job.order_id or job.request_id, kiosk, when=when,
                           amount_cents=job.amount_cents if job.amount_cents else None, note=note)


def certificate_receipt(kind_title: str, serial: str, kiosk: str, *, when: float):
    """The receipt of a printed certificate: its title (e.g. ``在职证明 Certificate of Employment``) and serial."""
    return service_receipt(kind_title, serial, kiosk, when=when, note="扫描证明上的二维码可核验。 Scan its QR to verify it.")


def print_receipt(section, receipt) -> None:
    """Print ``receipt`` on the ``[receipt]`` printer ``section`` (a mapping; drivers.receipt.open_receipt).

    Raises the driver's DeviceError (out of paper, offline) for the flow to show; nothing is retried.
    """
    from drivers.receipt import open_receipt

    with open_receipt(section) as printer:
        printer.print(receipt)
