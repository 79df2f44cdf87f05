"""Configuration sections owned by sync/ (see terminal.schema)."""

from terminal.settings_model import Section, Setting

SYNC = Section(
    "Store-and-forward to the central platform. Credentials come from "
    "'terminal sync enroll' and live in the local store, never in this file.",
    {
        "ca_bundle": Setting(str, "CA bundle that the central's TLS certificate is verified against; "
                             "empty means the system's bundle", default=""),
        "batch_max_events": Setting(int, "most events in one upload", default=500, min=1, max=5000),
        "batch_max_bytes": Setting(int, "most payload bytes in one upload (before gzip)",
                                   default=1_000_000, min=10_000, max=16_000_000),
        "connect_timeout_s": Setting(float, "how long to wait for a connection to central", default=5.0,
                                     min=0.1, max=120),
        "read_timeout_s": Setting(float, "how long to wait for central's answer to one upload", default=30.0,
                                  min=0.1, max=600),
        "retry_base_s": Setting(float, "first backoff ceiling after a failure (doubles per failure, "
                                "full jitter)", default=0.5, min=0.01, max=60),
        "retry_cap_s": Setting(float, "largest backoff between retries, and the probe interval once the "
                               "retry budget is spent", default=300.0, min=0.1, max=3600),
        "retry_budget": Setting(int, "retry tokens (AWS SDK style: 5 per retry, 10 per timeout, 1 back "
                                "per success); 'sync run --once' gives up when they run out",
                                default=500, min=5, max=100_000),
        "retry_after_max_s": Setting(float, "longest Retry-After honoured; HTTP-dates are clamped to it",
                                     default=600.0, min=1, max=86_400),
        "drain_start_jitter_s": Setting(float, "after an outage, wait a random 0..this many seconds before "
                                        "draining, so a fleet coming back does not stampede central",
                                        default=30.0, min=0, max=3600),
        "drain_max_events_per_s": Setting(int, "pace of the drain after an outage, in events per second "
                                          "(0: unpaced)", default=2000, min=0, max=1_000_000),
        "outage_after_s": Setting(float, "a backlog whose oldest event is older than this at start counts "
                                  "as an outage (jittered start, paced drain)", default=120.0, min=0,
                                  max=86_400),
        "idle_poll_s": Setting(float, "how often an idle forwarder looks for new events", default=0.5,
                               min=0.01, max=60),
        "telemetry_ttl_s": Setting(int, "telemetry and diagnostics older than this are dropped unsent "
                                   "(measured on the monotonic or central-corrected clock)",
                                   default=7 * 86_400, min=60, max=365 * 86_400),
        "telemetry_max_events": Setting(int, "most telemetry and diagnostic events kept; when full the "
                                        "oldest are dropped (audit and transactions never are)",
                                        default=100_000, min=100, max=10_000_000),
        "disk_budget_mb": Setting(int, "outbox and dead-letter size the terminal may use; telemetry is "
                                  "dropped to stay under it, and an alert is raised at disk_alert_percent",
                                  default=512, min=1, max=1_000_000),
        "disk_alert_percent": Setting(int, "alert when the outbox uses this share of disk_budget_mb",
                                      default=80, min=1, max=100),
        "pull_interval_s": Setting(float, "how often 'sync run' pulls reference data (0: never; "
                                   "'terminal sync pull' does it on demand)", default=300.0, min=0,
                                   max=86_400),
        "pull_page_limit": Setting(int, "items per reference-data page", default=500, min=1, max=10_000),
    },
)

SECTIONS = {"sync": SYNC}
