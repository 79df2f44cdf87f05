"""Configuration sections owned by sync/ (see terminal.schema)."""

from terminal.config import Section, Setting

SYNC = Section(
    "Store-and-forward to the central platform. Credentials come from "
    "'terminal sync enroll' and live in the local store, never in this file.",
    {
        "ca_bundle": Setting(str, "CA bundle that the central's TLS certificate is verified against; "
                             "empty means the system's bundle", default=""),
        "batch_max_events": Setting(int, "most events in one upload", default=500, min=1, max=5000),
        "batch_max_bytes": Setting(int, "most payload bytes in one upload (before gzip)",
                                   default=1_000_000, min=10_000, max=16_000_000),
    },
)

SECTIONS = {"sync": SYNC}
