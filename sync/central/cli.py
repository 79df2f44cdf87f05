"""``terminal central ...``: run and operate the reference central service.

``--db`` is a SQLite path (the default engine) or a ``postgresql://`` URL; it
falls back to ``$TERMINAL_CENTRAL_DB``.  Central is not a terminal, so it reads
no terminal config: ``--config`` is accepted like on every command and unused.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys

from terminal import TerminalError
from terminal.logs import get_logger

log = get_logger(__name__)

DEFAULT_LISTEN = "127.0.0.1:8740"
DB_ENV = "TERMINAL_CENTRAL_DB"
_PORT = re.compile(r"[0-9]{1,5}")       # ASCII digits: '８７４０'.isdigit() is True too
_CURSOR = re.compile(r"[0-9]{1,19}")


MAX_PER_CLIENT = 64        # as sync.central.server (not imported here: the CLI must stay light)
HEADER_TIMEOUT_S = 10.0


def register(sub, common) -> None:
    central = sub.add_parser("central", help="the reference central service (enrolment, ingest, reference data, feed)")
    actions = central.add_subparsers(dest="central_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str, run, *, db: bool = True):
        p = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        if db:
            p.add_argument("--db", metavar="URL", default=os.environ.get(DB_ENV),
                           help=f"SQLite path or postgresql:// URL (default: ${DB_ENV})")
        p.set_defaults(run=run)
        return p

    p = action("serve", "serve the central HTTP API until SIGTERM", _serve)
    p.add_argument("--listen", metavar="HOST:PORT", default=DEFAULT_LISTEN, help=f"default {DEFAULT_LISTEN}")
    p.add_argument("--max-active", type=int, default=4, metavar="N",
                   help="device calls worked on at once (default 4)")
    p.add_argument("--max-waiting", type=int, default=32, metavar="N",
                   help="device calls queued before central answers 503 + Retry-After (default 32)")
    p.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate chain (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="private key of --tls-cert (PEM)")
    p.add_argument("--public-status", action="store_true",
                   help="serve /status and /v1/status without a token (default: a consumer token is needed)")
    p.add_argument("--max-connections-per-client", type=int, default=MAX_PER_CLIENT, metavar="N",
                   help=f"open connections one client address may hold (default {MAX_PER_CLIENT}; "
                        f"0: no cap, e.g. behind a reverse proxy that limits them)")
    p.add_argument("--header-timeout", type=float, default=HEADER_TIMEOUT_S, metavar="S",
                   help=f"seconds a connection may take to send a request head, or sit idle (default "
                        f"{HEADER_TIMEOUT_S:g})")
    p.set_defaults(service=True)

    p = action("token", "print a one-time enrolment token for a device", _token)
    p.add_argument("--device-id", required=True, metavar="D")
    p.add_argument("--ttl-hours", type=float, default=72.0, metavar="H", help="token lifetime (default 72)")

    p = action("events", "print the event feed (JSON lines with --json)", _events)
    p.add_argument("--device-id", metavar="D", help="only this device's events")
    p.add_argument("--after", metavar="CURSOR", default="0", help="feed cursor to start after (default: the start)")
    p.add_argument("--limit", type=int, metavar="N", help="print at most N events")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per line: cursor, device_id, seq, key, type, schema, payload, received_at")

    p = action("load", "load reference data from a JSON-lines file (one item per line)", _load)
    p.add_argument("--dataset", required=True, metavar="NAME")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--replace", action="store_true", help="the file is the whole dataset: delete ids not in it")

    p = action("resync", "make every device pull a dataset afresh (their cursors get 410)", _resync)
    p.add_argument("--dataset", required=True, metavar="NAME")

    p = action("compact", "forget a dataset's deletions; cursors from before now get 410", _compact)
    p.add_argument("--dataset", required=True, metavar="NAME")

    p = action("consumer-token", "print a bearer token for a downstream consumer of /v1/feed", _consumer_token)
    p.add_argument("--name", required=True, metavar="NAME", help="who uses it, e.g. reimbursement-approval")

    p = action("status", "print the terminals central knows", _status)
    p.add_argument("--json", action="store_true")

    action("openapi", "print the OpenAPI document of the API", _openapi, db=False)


def _storage(args):
    from sync.central.storage import open_storage

    if not args.db:
        raise TerminalError(f"no database: pass --db PATH|postgresql://... or set ${DB_ENV}", exit_code=2)
    return open_storage(args.db)


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[v6]:PORT`` -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not _PORT.fullmatch(port) or not 0 < int(port) < 65536 or not host:
        raise TerminalError(f"--listen {text!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN}", exit_code=2)
    return host.strip("[]"), int(port)


def _serve(args) -> int:

    from sync.central.app import create_app
    from sync.central.server import ConnectionLimits, raise_fd_limit, server_config

    _GracefulServer = _graceful_server_class()
    host, port = parse_listen(args.listen)
    tls = _tls_options(args)
    if args.max_connections_per_client < 0:
        raise TerminalError("--max-connections-per-client must be 0 (no cap) or more", exit_code=2)
    if not 0 < args.header_timeout <= 3600:
        raise TerminalError(f"--header-timeout {args.header_timeout}: give seconds above 0, at most 3600",
                            exit_code=2)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on such sockets, and without it every
    # keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise TerminalError(f"cannot listen on {args.listen}: {exc.strerror or exc}; "
                            f"is another central running there?") from None
    storage = _storage(args)
    try:
        app = create_app(storage, max_active=max(1, args.max_active), max_waiting=max(0, args.max_waiting),
                         public_status=args.public_status)
        # Every connection is a descriptor: a soft limit of 1024 would cap central far below what it can hold.
        fds_before, fds = raise_fd_limit()
        limits = ConnectionLimits(header_timeout_s=args.header_timeout,
                                  max_per_client=args.max_connections_per_client)
        config = server_config(app, limits=limits, timeout_graceful_shutdown=10, **tls)
        server = _GracefulServer(config)
        log.info("central.serving", listen=f"{host}:{port}", engine=storage.name,
                 scheme="https" if tls else "http", public_status=args.public_status,
                 max_connections=limits.max_total, max_per_client=limits.max_per_client or "no cap",
                 fd_limit=fds, fd_limit_raised_from=fds_before if fds != fds_before else None)
        # uvicorn handles SIGTERM/SIGINT: stop accepting, finish requests in flight, return.
        server.run(sockets=[sock])
    finally:
        storage.close()
        sock.close()
    log.info("central.stopped")
    return 0


def _tls_options(args) -> dict:
    """uvicorn's TLS settings, checked before anything starts (both files, readable, a matching pair)."""
    if not args.tls_cert and not args.tls_key:
        return {}
    if not (args.tls_cert and args.tls_key):
        raise TerminalError("--tls-cert and --tls-key go together", exit_code=2)
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(args.tls_cert, args.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise TerminalError(f"--tls-cert {args.tls_cert} / --tls-key {args.tls_key}: cannot use them ({exc})",
                            exit_code=2) from None
    return {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key}


def _graceful_server_class():
    import contextlib
    import signal
    import threading

    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn re-raises SIGTERM after its shutdown; a clean stop should exit 0 and close storage."""

        @contextlib.contextmanager
        def capture_signals(self):
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {s: signal.signal(s, self.handle_exit) for s in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for s, handler in previous.items():
                    signal.signal(s, handler)

    return GracefulServer


def _token(args) -> int:
    if args.ttl_hours <= 0:
        raise TerminalError("--ttl-hours must be above 0", exit_code=2)
    from sync.central.auth import DEVICE_ID_RULE, is_device_id

    if not is_device_id(args.device_id):
        raise TerminalError(f"--device-id {args.device_id!r}: use {DEVICE_ID_RULE}", exit_code=2)
    storage = _storage(args)
    try:
        print(storage.create_token(args.device_id, ttl_s=args.ttl_hours * 3600))
    finally:
        storage.close()
    return 0


def _events(args) -> int:
    from sync.central.auth import DEVICE_ID_RULE, is_device_id

    if not _CURSOR.fullmatch(args.after) or int(args.after) >= 2 ** 63:
        raise TerminalError(f"--after {args.after!r}: a feed cursor is a whole number in ASCII digits, "
                            f"0-{2 ** 63 - 1}", exit_code=2)
    if args.device_id is not None and not is_device_id(args.device_id):
        raise TerminalError(f"--device-id {args.device_id!r}: not a device id ({DEVICE_ID_RULE})", exit_code=2)
    if args.limit is not None and args.limit < 1:
        raise TerminalError("--limit must be 1 or more", exit_code=2)
    after, remaining = int(args.after), args.limit
    storage = _storage(args)
    try:
        while remaining is None or remaining > 0:
            page = 5000 if remaining is None else min(5000, remaining)
            items, more = storage.feed(after, page, args.device_id)
            for item in items:
                if args.json:
                    print(json.dumps(item, ensure_ascii=False))
                else:
                    print(f"{item['cursor']:>8}  {item['device_id']}  seq {item['seq']:<8} {item['type']}")
            if remaining is not None:
                remaining -= len(items)
            if not items or not more:
                break
            after = int(items[-1]["cursor"])
    finally:
        storage.close()
    return 0


def _load(args) -> int:
    from sync.central.reference import read_items

    storage = _storage(args)
    try:
        items = read_items(args.dataset, args.file, deployment_key=storage.deployment_key())
        counts = storage.load_reference(args.dataset, items, replace=args.replace)
    finally:
        storage.close()
    print(f"{args.dataset}: {counts['added']} added, {counts['changed']} changed, {counts['deleted']} deleted, "
          f"{counts['unchanged']} unchanged (version {counts['version']})")
    return 0


def _dataset_action(args, method: str):
    from sync.central.storage import UnknownDataset
    from sync.wire import DATASETS

    storage = _storage(args)
    try:
        return getattr(storage, method)(args.dataset)
    except UnknownDataset:
        raise TerminalError(f"unknown dataset {args.dataset!r}; central serves {', '.join(DATASETS)}",
                            exit_code=2) from None
    finally:
        storage.close()


def _resync(args) -> int:
    generation = _dataset_action(args, "force_resync")
    print(f"{args.dataset}: generation {generation}; every device will pull a full snapshot")
    return 0


def _compact(args) -> int:
    dropped = _dataset_action(args, "compact_reference")
    print(f"{args.dataset}: {dropped} deletion(s) forgotten; older cursors now get 410 (full snapshot)")
    return 0


def _consumer_token(args) -> int:
    if not args.name.strip() or not args.name.isprintable() or len(args.name) > 100:
        raise TerminalError(f"--name {args.name[:40]!r}: 1-100 printable characters, e.g. reimbursement-approval",
                            exit_code=2)
    storage = _storage(args)
    try:
        print(storage.create_consumer_token(args.name))
    finally:
        storage.close()
    return 0


def _status(args) -> int:
    from sync.central.auth import is_device_id

    storage = _storage(args)
    try:
        terminals = storage.terminals()
    finally:
        storage.close()
    if args.json:
        print(json.dumps(terminals, indent=2))
        return 0
    if not terminals:
        print("no terminal has enrolled yet")
    for t in terminals:
        backlog = t["backlog"] or {}
        # repr() of anything that is not a plain id: one row per terminal, whatever an old database holds.
        name = t["device_id"] if is_device_id(t["device_id"]) else repr(t["device_id"])
        print(f"{name:<20} events {t['events_total']:<8} gaps {t['seq_gaps']:<5} "
              f"backlog {backlog.get('depth', '-')!s:<7} offset "
              f"{'-' if t['clock_offset_s'] is None else format(t['clock_offset_s'], '+.1f')} s  "
              f"last error: {t['last_error'] or '-'}")
    return 0


def _openapi(args) -> int:
    from sync.central.app import create_app

    sys.stdout.write(openapi_text(create_app(None).openapi()))
    return 0


def openapi_text(document: dict) -> str:
    """The committed form of the OpenAPI document (sync/central/openapi.json)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
