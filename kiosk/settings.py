"""The ``[kiosk]`` configuration section (see terminal.schema) and :func:`kiosk_settings`.

Every key has a default, so a terminal file without ``[kiosk]`` works;
``idle_timeout_s`` is overridden by central's ``config`` dataset (item
``kiosk``) when the kiosk has pulled it.

>>> s = kiosk_settings({})
>>> s.otp_ttl_s, s.otp_max_failures, s.otp_lock_s, s.resend_cooldown_s, s.max_sends_per_hour
(300, 5, 900, 60, 5)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from terminal.settings_model import Section, Setting

KIOSK = Section(
    "The HR kiosk's flow: idle timeout, SMS code limits, face check, fallbacks, technician access.",
    {
        "idle_timeout_s": Setting(int, "seconds without a touch before the idle countdown (central's config "
                                  "item 'kiosk' wins when pulled)", default=60, min=10, max=600),
        "idle_countdown_s": Setting(int, "seconds the idle countdown shows before the session ends",
                                    default=10, min=3, max=60),
        "goodbye_s": Setting(int, "seconds the goodbye screen shows", default=3, min=1, max=30),
        "otp_ttl_s": Setting(int, "seconds an SMS code stays valid", default=300, min=60, max=600),
        "otp_max_failures": Setting(int, "wrong codes before the employee is locked out on this kiosk",
                                    default=5, min=1, max=20),
        "otp_lock_s": Setting(int, "seconds the lock-out lasts", default=900, min=60, max=86_400),
        "resend_cooldown_s": Setting(int, "seconds before a code may be sent again", default=60, min=30,
                                     max=600),
        "max_sends_per_hour": Setting(int, "codes sent to one employee per hour at most", default=5, min=1,
                                      max=20),
        "sms_wait_s": Setting(int, "seconds the 'sending' screen waits for the SMS transport before it "
                              "offers the fallbacks", default=30, min=5, max=120),
        "fallbacks": Setting(list, "what the screen offers when SMS cannot be sent", item_type=str,
                             default=["face_only", "service_desk"]),
        "face_check": Setting(bool, "compare the live face with the HR photo after the SMS code",
                              default=False),
        "face_attempts": Setting(int, "face checks before the fallback applies", default=3, min=1, max=10),
        "after_face_failures": Setting(str, "after the last failed face check: 'sms_only' (the SMS code "
                                       "suffices) or 'deny'", default="sms_only", choices=("sms_only", "deny")),
        "face_frames": Setting(int, "camera frames per face check; the blink cue needs about 2 s of them "
                                    "(30 at 15 frames/s)", default=30, min=1, max=90),
        "technician_pin_hash": Setting(str, "the technician PIN as 'scrypt$<salt hex>$<hash hex>' "
                                       "(python -m kiosk.secret); empty: no PIN access", default=""),
        "technician_pin_max_failures": Setting(int, "wrong PINs before technician access locks",
                                               default=5, min=1, max=20),
        "technician_pin_lock_s": Setting(int, "seconds technician PIN access stays locked", default=900,
                                         min=60, max=86_400),
        "card_poll_s": Setting(float, "seconds between reader polls", default=0.3, min=0.05, max=5),
    },
    roles=("kiosk",),  # every key has a default: the table may be left out
)

SECTIONS = {"kiosk": KIOSK}


@dataclass(frozen=True)
class KioskSettings:
    """The ``[kiosk]`` values with defaults filled in (units as the keys say: ``_s`` seconds)."""

    idle_timeout_s: int
    idle_countdown_s: int
    goodbye_s: int
    otp_ttl_s: int
    otp_max_failures: int
    otp_lock_s: int
    resend_cooldown_s: int
    max_sends_per_hour: int
    sms_wait_s: int
    fallbacks: tuple
    face_check: bool
    face_attempts: int
    after_face_failures: str
    face_frames: int
    technician_pin_hash: str
    technician_pin_max_failures: int
    technician_pin_lock_s: int
    card_poll_s: float


def kiosk_settings(cfg) -> KioskSettings:
    """The kiosk settings of ``cfg``: a terminal Config (its ``kiosk`` section, if any) or a plain mapping
    of ``[kiosk]`` keys.  Missing keys take the defaults above; an unknown fallback raises ValueError."""
    section = cfg.get("kiosk", cfg) if isinstance(cfg, Mapping) and "kiosk" in cfg else cfg
    section = section if isinstance(section, Mapping) else {}
    values = {}
    for f in fields(KioskSettings):
        value = section.get(f.name, KIOSK.settings[f.name].default)
        values[f.name] = tuple(value) if f.name == "fallbacks" else value
    unknown = [f for f in values["fallbacks"] if f not in ("face_only", "service_desk")]
    if unknown:
        raise ValueError(f"kiosk.fallbacks: unknown fallback {unknown[0]!r}; choose face_only or service_desk")
    return KioskSettings(**values)
