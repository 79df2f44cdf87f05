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
    # part 2: the services
    "preparing", "cert_preview", "badge_reason", "payment", "badge_preview", "printing", "print_failed",
    "service_failed", "refund_requested", "rating", "not_provisioned",
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
    "preparing": ("certificate", "order", "badge", "cancel"),
    "printing": ("out_of_paper", "jam", "cover_open"),
    "print_failed": ("out_of_paper", "jam", "cover_open", "offline", "timeout", "other"),
    "service_failed": ("offline", "busy", "no_data", "not_enrolled", "refused", "limit", "payment_timed_out",
                       "payment_cancelled", "error"),
    "rating": ("badge", "thanks"),
}

# Menu services: id -> title key, in menu order.  The certificate kinds central's config turns on
# (kiosk.certificates.kinds), then one badge tile (first badge for a new hire, else a replacement),
# then 'my_records', always there.
CERTIFICATE_SERVICES = (("cert_employment", "service.cert_employment"), ("cert_income", "service.cert_income"),
                        ("cert_social_insurance", "service.cert_social_insurance"))
BADGE_SERVICES = (("badge_first", "service.badge_first"), ("badge_replacement", "service.badge_replacement"))
SERVICES = CERTIFICATE_SERVICES + BADGE_SERVICES + (("my_records", "service.my_records"),)
# Why a tile is unavailable (``reason_key``).
SERVICE_REASONS = ("service.checking", "service.offline", "service.not_enrolled", "service.no_template",
                   "service.no_printer", "service.busy", "service.limit", "service.not_allowed",
                   "service.open_order")
FALLBACKS = ("face_only", "service_desk")
BADGE_REASONS = ("lost", "damaged")          # a replacement's reason (badge_reason screen)
RATINGS = ("satisfied", "neutral", "unsatisfied")

MESSAGE_KEYS = tuple(SCREENS) + tuple(f"{s}.{r}" for s, rs in _REASONS.items() for r in rs) \
    + tuple(t for _, t in SERVICES) + SERVICE_REASONS + tuple(f"fallback.{f}" for f in FALLBACKS)

# The SMS text itself (not a screen string: it goes to the phone).  {code} and {minutes} are filled in.
SMS_TEXT = {
    "zh": "验证码 {code}，{minutes} 分钟内有效。请勿告诉他人。",
    "en": "Your kiosk code is {code}. It is valid for {minutes} minutes. Do not share it.",
}
