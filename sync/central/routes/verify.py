"""``GET /verify/{code}``: the public page a certificate's QR opens; ``GET /verify/keys.json``; revocation.

Whoever holds a certificate (a bank, a landlord, a visa office) scans its QR
with a phone and lands here.  The page says one of:

- **valid**: a known terminal signed the code and central holds its record (the
  ``certificate.issued`` event) with the same code;
- **revoked**: as valid, but HR revoked it (``terminal central revoke-cert SERIAL``);
- **not issued by us**: not a certificate code, an unknown or wrong signature, or a
  record with another code under that serial;
- **not confirmed yet**: validly signed by one of our terminals, but its record has not
  reached central (a terminal forwards within minutes; an honest "check again later").

It shows the kind, the issue date, the terminal, the serial and the holder's
masked name, and nothing more; a plain page without scripts or outside
assets, readable on a 360 px phone.  Every client address may ask
VERIFY_LIMIT times a minute (429 with Retry-After beyond), so the page cannot
be used to probe serials at speed.

Central learns issued certificates from the events it ingests: ``cert_index``
is a projection of ``certificate.issued`` events, caught up on demand from the
events table (its ids are commit-ordered).
"""

from __future__ import annotations

import collections
import datetime
import html
import json
import math
import threading
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync import certcode
from sync.central.routes.common import client_host, error_response
from terminal import TerminalError
from terminal.logs import get_logger
from sync.central.tables import schema_once

log = get_logger(__name__)

VERIFY_LIMIT = (60.0, 30)          # (window seconds, requests one client address may make in it)
MAX_TRACKED_CLIENTS = 50_000       # beyond: the oldest are forgotten (memory stays bounded)
CATCH_UP_BATCH = 1000
VALID, REVOKED, NOT_OURS, UNCONFIRMED = "valid", "revoked", "not_issued_by_us", "unconfirmed"
KIND_WORDS = {"employment": ("在职证明", "Certificate of Employment"),
              "income": ("收入证明", "Certificate of Income"),
              "social_insurance": ("五险一金缴纳证明", "Social Insurance and Housing Fund")}

_DDL = [
    """CREATE TABLE IF NOT EXISTS cert_index (
        serial TEXT PRIMARY KEY, event_id BIGINT NOT NULL, device_id TEXT NOT NULL, kind TEXT NOT NULL,
        issued_on TEXT NOT NULL, holder TEXT NOT NULL, text_hash TEXT NOT NULL, code TEXT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS cert_index_cursor (id INTEGER PRIMARY KEY, after BIGINT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS cert_revocations (
        serial TEXT PRIMARY KEY, revoked_at DOUBLE PRECISION NOT NULL, reason TEXT NOT NULL)""",
]


class CertificateUnknown(TerminalError):
    """Central holds no record of that certificate serial (nothing was revoked)."""

    exit_code = 2


# Create the certificate index and revocation tables (idempotent; once per storage object).
ensure_schema = schema_once(_DDL, after=["INSERT INTO cert_index_cursor (id, after) VALUES (1, 0) "
                                         "ON CONFLICT (id) DO NOTHING"])


def catch_up(storage) -> int:
    """Index the certificate.issued events stored since the last call; return how many were read.

    The first event for a serial wins; a later one with the same serial is left out (the page
    then says "not issued by us" for its code, which differs).
    """
    ensure_schema(storage)
    q, total = storage.engine.sql, 0
    while True:
        with storage.engine.transaction() as c:
            after = c.execute("SELECT after FROM cert_index_cursor WHERE id = 1").fetchone()[0]
            rows = c.execute(q("SELECT id, device_id, payload FROM events WHERE type = ? AND id > ? ORDER BY id "
                               "LIMIT ?"), ("certificate.issued", after, CATCH_UP_BATCH)).fetchall()
            for event_id, device_id, payload in rows:
                p = json.loads(payload)
                c.execute(q("INSERT INTO cert_index (serial, event_id, device_id, kind, issued_on, holder, text_hash, "
                            "code) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO NOTHING"),
                          (str(p.get("serial")), event_id, device_id, str(p.get("kind")), str(p.get("issued_on")),
                           str(p.get("holder") or "*"), str(p.get("text_hash")), str(p.get("code"))))
            if rows:
                c.execute(q("UPDATE cert_index_cursor SET after = ? WHERE id = 1 AND after < ?"),
                          (rows[-1][0], rows[-1][0]))
        total += len(rows)
        if len(rows) < CATCH_UP_BATCH:
            return total


def record_of(storage, serial: str) -> dict | None:
    """The indexed record of ``serial`` (serial, device_id, kind, issued_on, holder, text_hash, code), or None."""
    ensure_schema(storage)
    with storage.engine.connection() as c:
        row = c.execute(storage.engine.sql("SELECT serial, device_id, kind, issued_on, holder, text_hash, code "
                                           "FROM cert_index WHERE serial = ?"), (serial,)).fetchone()
    keys = ("serial", "device_id", "kind", "issued_on", "holder", "text_hash", "code")
    return None if row is None else dict(zip(keys, row))


def revocation_of(storage, serial: str) -> float | None:
    """When ``serial`` was revoked (unix seconds), or None."""
    ensure_schema(storage)
    with storage.engine.connection() as c:
        row = c.execute(storage.engine.sql("SELECT revoked_at FROM cert_revocations WHERE serial = ?"),
                        (serial,)).fetchone()
    return None if row is None else row[0]


def revoke(storage, serial: str, reason: str = "") -> bool:
    """Revoke certificate ``serial``: its page says "revoked" from now on.  False when it already was.

    Raises :class:`CertificateUnknown` when central holds no record of it (a typo, or a
    certificate whose terminal has not forwarded it yet).
    """
    catch_up(storage)
    if record_of(storage, serial) is None:
        raise CertificateUnknown(f"central has no record of certificate {serial[:80]!r}: check the serial on the "
                                 f"certificate (e.g. KSK-SHA-0001-000012); a new one arrives when its terminal "
                                 f"forwards its events")
    with storage.engine.transaction() as c:
        done = c.execute(storage.engine.sql("INSERT INTO cert_revocations (serial, revoked_at, reason) "
                                            "VALUES (?, ?, ?) ON CONFLICT (serial) DO NOTHING"),
                         (serial, storage.now(), reason[:200])).rowcount
    log.info("central.certificate_revoked", serial=serial, new=bool(done))
    return bool(done)


def terminal_keys(storage) -> dict[str, list[str]]:
    """Every terminal's Ed25519 public keys: the current one (devices) and earlier ones (``terminal_keys``)."""
    keys = certcode.keys_from_items(_key_items(storage))
    for device in storage.terminals():
        if device.get("public_key") and device["public_key"] not in keys.get(device["device_id"], []):
            keys.setdefault(device["device_id"], []).append(device["public_key"])
    return keys


def _key_items(storage) -> list[dict]:
    with storage.engine.connection() as c:
        rows = c.execute(storage.engine.sql("SELECT data FROM ref_items WHERE dataset = ? AND deleted = 0"),
                         ("terminal_keys",)).fetchall()
    return [json.loads(r[0]) for r in rows]


def judge(storage, text: str) -> tuple[str, dict]:
    """(status, what the page may show) for the code in ``text``: VALID, REVOKED, NOT_OURS or UNCONFIRMED.

    What is shown: kind, issued_on, terminal, serial, holder (masked), and ``why`` for NOT_OURS.
    """
    try:
        code = certcode.check_code(text, terminal_keys(storage))
    except certcode.CodeInvalid as exc:
        return NOT_OURS, {"why": exc.reason}
    shown = {"kind": code.kind, "issued_on": code.issued_on.isoformat(), "terminal": code.terminal,
             "serial": code.serial}
    record = record_of(storage, code.serial)
    if record is None and catch_up(storage):
        record = record_of(storage, code.serial)
    if record is None:
        return UNCONFIRMED, shown
    if record["code"] != certcode.code_from_text(text):
        return NOT_OURS, {"why": "another certificate holds this serial"}
    shown["holder"] = record["holder"]
    revoked = revocation_of(storage, code.serial)
    if revoked is not None:
        shown["revoked_on"] = datetime.datetime.fromtimestamp(revoked, datetime.timezone.utc).date().isoformat()
        return REVOKED, shown
    return VALID, shown


class RateLimit:
    """At most ``allowed`` requests per ``window_s`` seconds from one client address (sliding window)."""

    def __init__(self, window_s: float, allowed: int, *, now=time.monotonic):
        self.window_s, self.allowed, self.now = window_s, allowed, now
        self._seen: collections.OrderedDict[str, collections.deque] = collections.OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, client: str | None) -> int:
        """0 when the client may go on (the request is counted), else whole seconds to wait."""
        t, key = self.now(), client or "?"
        with self._lock:
            times = self._seen.pop(key, None) or collections.deque()
            while times and times[0] <= t - self.window_s:
                times.popleft()
            self._seen[key] = times
            if len(self._seen) > MAX_TRACKED_CLIENTS:
                self._seen.popitem(last=False)
            if len(times) >= self.allowed:
                return max(1, math.ceil(times[0] + self.window_s - t))
            times.append(t)
            return 0


def mount(app: FastAPI, *, limit: tuple[float, int] = VERIFY_LIMIT) -> None:
    """Add ``GET /verify/keys.json`` and ``GET /verify/{code}`` (public, rate-limited) to ``app``."""
    limiter = RateLimit(*limit)
    app.state.verify_limit = limiter

    async def keys_json(request: Request) -> Response:
        """Every terminal's public key, for ``terminal cert verify --keys`` (public keys are not secret)."""
        wait = limiter.wait_s(client_host(request))
        if wait:
            return error_response(429, "rate_limited", f"too many requests; try again in {wait} s", retry_after=wait)
        items = await run_in_threadpool(_key_list, request.app.state.central.storage)
        return Response(json.dumps({"keys": items}, indent=1), media_type="application/json")

    async def page(request: Request, code: str) -> Response:
        """The verification page of ``code`` (see the module docstring)."""
        wait = limiter.wait_s(client_host(request))
        if wait:
            return _html(429, _busy_page(wait), {"Retry-After": str(wait)})
        storage = request.app.state.central.storage
        try:
            status, shown = await run_in_threadpool(judge, storage, code)
        except Exception as exc:
            log.exception("central.verify_failed", error=repr(exc))
            return _html(503, _page("error", {}), {"Retry-After": "5"})
        log.info("central.verify_page", status=status, serial=shown.get("serial"))
        return _html(200, _page(status, shown))

    app.add_api_route("/verify/keys.json", keys_json, methods=["GET"], include_in_schema=False)
    app.add_api_route("/verify/{code}", page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/VERIFY/{code}", page, methods=["GET"], include_in_schema=False)  # an upper-cased QR URL


def _key_list(storage) -> list[dict]:
    return [{"device_id": d, "public_key": k} for d, ks in sorted(terminal_keys(storage).items()) for k in ks]


def _html(status: int, body: str, headers: dict | None = None) -> Response:
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", **(headers or {})}
    return Response(body.encode(), status_code=status, media_type="text/html; charset=utf-8", headers=headers)


_HEADLINE = {VALID: ("#1b7f3a", "✓", "有效", "Valid"),
             REVOKED: ("#b3261e", "✕", "已作废", "Revoked"),
             NOT_OURS: ("#b3261e", "✕", "非本公司开具", "Not issued by us"),
             UNCONFIRMED: ("#9a6700", "…", "尚未确认", "Not confirmed yet"),
             "error": ("#555555", "!", "暂时无法核验", "Cannot check right now")}
_NOTES = {UNCONFIRMED: ("签名有效，但开具记录尚未到达总部，请几分钟后再查。若仍未确认，请视为非本公司开具。",
                        "The signature is ours, but the terminal's record has not reached us yet. Check again in a "
                        "few minutes; if it stays unconfirmed, treat it as not issued by us."),
          REVOKED: ("该证明已被人力资源部作废，不再有效。", "HR has revoked this certificate; it is no longer valid."),
          NOT_OURS: ("此二维码不是本公司自助终端开具的有效证明。", "This code is not a certificate issued by our terminals."),
          "error": ("请稍后再试。", "Please try again shortly.")}


def _page(status: str, shown: dict) -> str:
    color, mark, zh, en = _HEADLINE[status]
    rows = []
    if status in (VALID, REVOKED, UNCONFIRMED):
        kind_zh, kind_en = KIND_WORDS.get(shown.get("kind"), (shown.get("kind", ""), ""))
        rows = [("证明类型", "Kind", f"{kind_zh}<br><small>{html.escape(kind_en)}</small>"),
                ("开具日期", "Issued", html.escape(shown.get("issued_on", ""))),
                ("开具终端", "Terminal", html.escape(shown.get("terminal", ""))),
                ("编号", "Serial", html.escape(shown.get("serial", "")))]
        if shown.get("holder"):
            rows.append(("持有人", "Holder", html.escape(shown["holder"])))
        if shown.get("revoked_on"):
            rows.append(("作废日期", "Revoked", html.escape(shown["revoked_on"])))
    table = "".join(f"<tr><th>{a}<br><small>{b}</small></th><td>{v}</td></tr>" for a, b, v in rows)
    note = _NOTES.get(status)
    note_html = f'<p class="note">{note[0]}<br><small>{note[1]}</small></p>' if note else ""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{zh} {en} · 证明核验</title>
<style>
body{{margin:0;font:16px/1.45 system-ui,-apple-system,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
background:#f4f4f2;color:#1d1d1b}}
main{{max-width:30rem;margin:0 auto;padding:1rem}}
.card{{background:#fff;border-radius:12px;padding:1.1rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}}
.status{{display:flex;align-items:center;gap:.8rem;color:{color}}}
.mark{{flex:none;width:3rem;height:3rem;border-radius:50%;background:{color};color:#fff;font-size:1.8rem;
display:flex;align-items:center;justify-content:center}}
h1{{margin:0;font-size:1.6rem;line-height:1.2}} h1 small{{display:block;font-size:1rem;font-weight:500}}
table{{width:100%;border-collapse:collapse;margin-top:1rem}}
th,td{{text-align:left;vertical-align:top;padding:.55rem .2rem;border-top:1px solid #e4e4e0;overflow-wrap:anywhere}}
th{{width:34%;font-weight:600;color:#55554f}} small{{color:#6b6b66;font-weight:400}}
.note{{margin:1rem 0 0;color:#3d3d39}} footer{{margin:1rem .2rem;color:#6b6b66;font-size:.85rem}}
</style></head>
<body><main><div class="card">
<div class="status"><div class="mark" aria-hidden="true">{mark}</div><h1>{zh}<small>{en}</small></h1></div>
<table>{table}</table>{note_html}
</div><footer>证明核验 · Certificate verification</footer></main></body></html>
"""


def _busy_page(wait: int) -> str:
    return _page("error", {}).replace("请稍后再试。", f"查询过于频繁，请 {wait} 秒后再试。").replace(
        "Please try again shortly.", f"Too many checks from your network; try again in {wait} s.")


# -- terminal central revoke-cert -------------------------------------------------------------------

def _revoke_cli(args) -> int:
    from sync.central.storage import open_storage

    if not args.db:
        raise TerminalError("no database: pass --db PATH|postgresql://... or set $TERMINAL_CENTRAL_DB", exit_code=2)
    storage = open_storage(args.db)
    try:
        new = revoke(storage, args.serial.strip(), args.reason)
    finally:
        storage.close()
    print(f"{args.serial.strip()}: {'revoked' if new else 'already revoked'}")
    return 0
