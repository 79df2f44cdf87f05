"""Every screen id, message key and service the flow can put in its view model.

The flow never formats user text: ``view()['text']`` is one of
:data:`MESSAGE_KEYS`, and the UI's Qt Linguist files translate each one.
The UI's untranslated-string test imports this list.

>>> from kiosk.messages import MESSAGE_KEYS, SCREENS
>>> "attract" in SCREENS and "sms_unavailable.rate_limited" in MESSAGE_KEYS
True
"""

from __future__ import annotations

SCREENS = (
    "attract", "reading", "unknown_person", "employee_left", "card_expired", "invalid_id", "card_left",
    "reader_fault", "sms_sending", "code_entry", "code_locked", "sms_unavailable", "face_capture",
    "face_failed", "menu", "my_records", "idle_warning", "technician_pin", "technician", "goodbye",
)

# Reasons shown on a screen besides its own key: "<screen>.<reason>".
_REASONS = {
    "unknown_person": ("directory_missing",),
    "card_expired": ("not_yet_valid",),
    "invalid_id": ("unknown_type", "unreadable"),
    "card_left": ("at_start",),
    "reader_fault": ("unplugged", "sam", "silent", "other"),
    "code_entry": ("wrong", "expired", "resent"),
    "sms_unavailable": ("modem_down", "central_down", "rate_limited", "timeout", "hourly_limit", "no_phone",
                        "other"),
    "face_capture": ("loading_photo", "no_face", "two_faces", "no_match", "not_live", "error"),
    "face_failed": ("photo_unavailable", "denied", "camera"),
    "menu": ("unavailable",),
    "technician_pin": ("wrong", "locked"),
    "technician": ("selftest_running",),
    "goodbye": ("service_desk", "denied"),
}

# Menu services (part 2 fills them in): id -> title key.  'my_records' is always there.
SERVICES = (("certificate", "service.certificate"), ("badge", "service.badge"), ("payment", "service.payment"),
            ("my_records", "service.my_records"))
SERVICE_REASONS = ("service.coming_soon",)
FALLBACKS = ("face_only", "service_desk")

MESSAGE_KEYS = tuple(SCREENS) + tuple(f"{s}.{r}" for s, rs in _REASONS.items() for r in rs) \
    + tuple(t for _, t in SERVICES) + SERVICE_REASONS + tuple(f"fallback.{f}" for f in FALLBACKS)

# The SMS text itself (not a screen string: it goes to the phone).  {code} and {minutes} are filled in.
SMS_TEXT = {
    "zh": "验证码 {code}，{minutes} 分钟内有效。请勿告诉他人。",
    "en": "Your kiosk code is {code}. It is valid for {minutes} minutes. Do not share it.",
}
