"""The ``[badges]`` configuration section (see terminal.schema): how the kiosk follows a badge payment.

The fees, the payment timeout and who may order come from central's ``config``
item ``badges`` (synced); these keys are only what the kiosk itself decides.

>>> BADGES.settings["poll_s"].default, BADGES.settings["receipt"].default
(2.0, True)
"""

from __future__ import annotations

from terminal.settings_model import Section, Setting

BADGES = Section(
    "Staff badges at the kiosk: payment polling, the card printer's job, the receipt.",
    {
        "poll_s": Setting(float, "seconds between asking central whether a badge order is paid",
                          default=2.0, min=0.5, max=30),
        "print_timeout_s": Setting(int, "seconds a card may take to print before the job is cancelled and the "
                                   "employee offered a reprint (no new charge) or a refund", default=90, min=10,
                                   max=600),
        "receipt": Setting(bool, "offer a receipt (order number, time, kiosk) on the [receipt] printer",
                           default=True),
    },
    roles=("kiosk",),  # every key has a default: the table may be left out
)

SECTIONS = {"badges": BADGES}
