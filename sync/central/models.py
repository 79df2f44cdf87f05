"""The API's shapes, for the OpenAPI document.

Requests are read by hand (the signature covers the exact bytes, and a
500-event batch must not pay for model validation); these models describe
them for people and client generators, and a test keeps the committed
``openapi.json`` equal to what the app generates.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ErrorResponse(BaseModel):
    """Every refusal: a machine-readable `error`, a `detail` for people, and `server_time` on a 401."""

    error: str = Field(description="machine-readable reason, e.g. bad_signature, replayed, malformed_json")
    detail: str = Field("", description="what a person should do about it")
    server_time: float | None = Field(None, description="central's clock (on 401), to correct a device clock")


class EnrollRequest(BaseModel):
    """POST /v1/enroll body: the device id, its one-time token, and optionally its Ed25519 public key."""

    device_id: str = Field(description="the terminal's id, e.g. KSK-SHA-0001")
    token: str = Field(description="one-time token from 'terminal central token'")
    public_key: str | None = Field(None, description="optional: base64 of the terminal's raw Ed25519 public key, "
                                                     "registered so codes it signs can be verified centrally")


class EnrollResponse(BaseModel):
    """POST /v1/enroll answer: the device's new HMAC secret, central's clock, and its highest seq held."""

    device_id: str
    secret: str = Field(description="base64 of the 32-byte HMAC secret the device signs requests with")
    server_time: float
    last_seq: int = Field(description="highest seq central holds for this device (0: none); a terminal whose "
                                      "store was replaced continues above it instead of colliding")


class SentAt(BaseModel):
    """The device's clocks when it sent the batch (central derives the clock offset from them)."""

    wall: float = Field(description="device wall clock at send (unix seconds)")
    mono: float = Field(description="device monotonic clock at send (seconds)")
    boot_id: str
    clock_synced: bool = Field(description="whether NTP had synchronised the device clock")


class Backlog(BaseModel):
    """The device's outbox when it sent the batch."""

    depth: int = Field(ge=0, description="events waiting in the device outbox")
    bytes: int = Field(ge=0)
    oldest_age_s: float | None = Field(description="age of the oldest waiting event; null when the device "
                                                   "cannot tell (it rebooted and its clock is not synchronised)")


class EventIn(BaseModel):
    """One event of a batch; central stores it once per (device_id, seq)."""

    seq: int = Field(ge=1, description="per-device gap-free sequence number")
    key: str = Field(min_length=1, max_length=200, description="idempotency key, reused on every retry")
    type: str = Field(description="event type, e.g. dropbox.received (sync.wire.EVENT_TYPES)")
    schema_: int = Field(alias="schema", description="payload schema version of the type")
    priority: int = Field(ge=0, le=99)
    payload: dict
    wall_time: float
    mono_ns: int
    boot_id: str
    clock_synced: bool


class EventBatch(BaseModel):
    """POST /v1/events body (at most 8 MiB after gunzip and 5000 events); signed as sent."""

    device_id: str = Field(description="must equal the signed X-Device-Id")
    sent_at: SentAt
    backlog: Backlog
    events: list[EventIn] = Field(max_length=5000)


class EventResult(BaseModel):
    """What became of one event of a batch."""

    seq: int
    status: Literal["accepted", "duplicate", "rejected"]
    code: int = Field(description="201 accepted, 200 duplicate, 400 invalid event, 422 key/payload conflict")
    reason: str


class IngestResponse(BaseModel):
    """POST /v1/events answer: one result per event, in request order."""

    results: list[EventResult] = Field(description="one per event, in request order")
    server_time: float


class ReferencePage(BaseModel):
    """One page of a reference dataset: a snapshot, or the changes since a cursor."""

    dataset: str
    items: list[dict] = Field(description="changed or new items, each with a string id")
    deleted: list[str] = Field(description="ids to delete")
    cursor: str = Field(description="opaque; pass back as ?cursor= for the next page or the next pull")
    more: bool = Field(description="another page follows right away")
    full: bool = Field(description="this page belongs to a full snapshot (live items only, deleted is "
                                   "empty): when more is false, the items received since the cursorless "
                                   "request replace the device's copy, and the next pull with the cursor "
                                   "brings whatever changed while the snapshot was paged")


class FeedItem(BaseModel):
    """One accepted event, as a downstream consumer reads it."""

    cursor: str
    device_id: str
    seq: int
    key: str
    type: str
    schema_: int = Field(alias="schema")
    payload: dict
    received_at: float


class FeedPage(BaseModel):
    """GET /v1/feed answer: events in commit order after `after`."""

    items: list[FeedItem]
    cursor: str = Field(description="pass as ?after= to continue")
    more: bool


class BacklogReport(BaseModel):
    """A device's outbox as it last reported it."""

    depth: int
    bytes: int
    oldest_age_s: float | None


class TerminalStatus(BaseModel):
    """One terminal as central knows it, from its signed requests only."""

    device_id: str
    enrolled_at: float
    last_seen: float | None
    boot_id: str | None
    clock_offset_s: float | None = Field(description="central's time minus the device's wall clock at send")
    clock_synced: bool | None
    backlog: BacklogReport | None
    events_total: int
    max_seq: int
    seq_gaps: int = Field(description="sequence numbers not (yet) received below max_seq")
    last_error: str | None
    last_error_at: float | None
    public_key: str | None = Field(description="the terminal's Ed25519 public key given at enrolment (base64)")
    selftest: SelftestSummary | None = Field(
        default=None, description="its latest selftest.result ('terminal selftest'), or null if none came yet")


class SelftestCheck(BaseModel):
    """One failed check of a selftest."""

    device: str
    summary: str = Field(description="the terminal's one-line reason (personal data masked)")


class SelftestSummary(BaseModel):
    """A terminal's latest selftest, the newest by its sequence number."""

    ok: bool = Field(description="every check passed")
    passed: int
    failed: int
    failing: list[SelftestCheck]
    software: str | None = Field(description="the terminal's software version")
    wall_time: float | None = Field(description="when it ran, by the terminal's clock (unix s)")
    received_at: float = Field(description="when central stored it (unix s)")


class FailedAuthSource(BaseModel):
    """One source of refused authentication attempts."""

    client: str | None = Field(description="the client address that tried")
    claimed_device_id: str | None = Field(description="the device id it named (unproven: no device state changed)")
    error: str = Field(description="bad_signature, unknown_device, replayed, clock_skew, invalid_token or "
                                   "unauthorized")
    count: int
    last_at: float


class FailedAuth(BaseModel):
    """Refused authentication attempts since central started, by error and by source."""

    since: float = Field(description="counted since central started (in memory)")
    total: int
    by_error: dict[str, int]
    recent: list[FailedAuthSource] = Field(description="the most recent sources, newest first (at most 20)")


class StatusResponse(BaseModel):
    """GET /v1/status answer: every terminal, and the refused authentication attempts."""

    server_time: float
    engine: str
    terminals: list[TerminalStatus]
    failed_auth: FailedAuth = Field(description="refused authentication attempts, an operator's signal; they "
                                                "change no terminal's row")


class HealthResponse(BaseModel):
    """GET /healthz answer: central runs, and on which storage engine."""

    ok: bool
    engine: str
    server_time: float
