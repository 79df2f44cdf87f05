"""The ``[dropbox]`` section: how the drop-box agent behaves (the devices have their own sections).

terminal.schema assembles it into the terminal's schema (``**dropbox.settings.SECTIONS``); the agent
reads it through :func:`dropbox_values`, which fills the schema's defaults, so a configuration file
written before the section existed still runs the agent::

    >>> values = dropbox_values({"capacity": 50})
    >>> values["capacity"], values["near_full_percent"], values["window_s"]
    (50, 80, 8.0)
    >>> dropbox_values({"window_s": 30})
    Traceback (most recent call last):
    ...
    drivers.errors.ConfigurationError: dropbox: window_s 30 is out of range; use 1 to 10
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from terminal.settings_model import Section, Setting

MAX_WINDOW_S = 10.0  # the cap: an unattended slot never stays open longer

DROPBOX = Section(
    "The reimbursement drop-box agent ('terminal dropbox'): scan window, capacity, offline policy, feedback.",
    {
        "window_s": Setting(float, "how long the slot stays unlocked for the envelope after a valid scan "
                                   "(the lock's own lock_max_energised_s caps it too)",
                            default=8.0, min=1.0, max=MAX_WINDOW_S),
        "capacity": Setting(int, "envelopes the box holds; when full, scans are refused until a collection",
                            default=200, min=1, max=100_000),
        "near_full_percent": Setting(int, "a dropbox.near_full event goes out when the count since the last "
                                          "collection reaches this share of capacity", default=80, min=1, max=100),
        "accept_unknown_signed": Setting(bool, "a validly signed form whose claim is not in the synced claims "
                                               "(central not reached yet) opens the slot; central reconciles it "
                                               "(false: refused until the claims list has it)", default=True),
        "beam_stuck_s": Setting(float, "a beam broken this long is a fault (envelope stuck, dirty sensor, cut "
                                       "wire): the slot stays locked until it clears", default=5.0,
                                min=0.5, max=600.0),
        "collection_window_s": Setting(float, "after a valid collection code, how long the courier has to "
                                              "open the collection door without raising an alarm",
                                       default=120.0, min=10.0, max=1800.0),
        "repeat_s": Setting(float, "a code out of view this long counts as a new scan when shown again",
                            default=3.0, min=0.5, max=60.0),
        "display_path": Setting(str, "a file the small display's service shows (the agent writes one short "
                                     "text per state); empty: no display", default=""),
        "receipt_on_drop": Setting(bool, "print a receipt with the claim id and time after each envelope "
                                         "(needs a [receipt] section)", default=True),
    },
    roles=("dropbox",),  # every key has a default: the table may be left out
)

SECTIONS = {"dropbox": DROPBOX}


def dropbox_values(section: Mapping[str, Any] | None, **overrides: Any) -> dict[str, Any]:
    """The ``[dropbox]`` values: schema defaults, then ``section`` (None: absent), then ``overrides``.

    Raises drivers.errors.ConfigurationError naming the key for an unknown key or a value out of range.
    """
    from drivers.settings import check_bounds, section_values

    values = section_values(DROPBOX, section or {}, overrides, device="dropbox")
    for key, spec in DROPBOX.settings.items():
        if spec.min is not None:
            check_bounds(DROPBOX, key, values[key], device="dropbox")
    return values
