"""``terminal central ...``: run and operate the reference central service.

``--db`` is a SQLite path (the default engine) or a ``postgresql://`` URL; it
falls back to ``$TERMINAL_CENTRAL_DB``.  Central is not a terminal, so it reads
no terminal config and its commands do not offer ``--config`` (still accepted,
hidden, with a deprecation warning, for one release).  Numbers are ASCII digits
(:mod:`terminal.cliopts`); durations are seconds.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="terminal")
    >>> register(parser.add_subparsers(dest="command"), None)
    >>> args = parser.parse_args(["central", "token", "--db", "c.db", "--device-id", "KSK-SHA-0001"])
    >>> args.ttl, args.config
    (259200.0, None)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import sys
from typing import TYPE_CHECKING

from terminal import TerminalError
from terminal.cliopts import deprecated_alias, example, json_option, listen_address, seconds, whole
from terminal.logs import get_logger

if TYPE_CHECKING:
    from sync.central.storage import Storage

log = get_logger(__name__)

DEFAULT_LISTEN = "127.0.0.1:8740"
DB_ENV = "TERMINAL_CENTRAL_DB"
_CURSOR = re.compile(r"[0-9]{1,19}")

MAX_PER_CLIENT = 64        # as sync.central.server (not imported here: the CLI must stay light)
HEADER_TIMEOUT_S = 10.0
TOKEN_TTL_S = 72 * 3600.0


def register(sub, common) -> None:
    """Add ``terminal central ACTION`` to ``sub`` (argparse subparsers).

    ``common`` (the shared ``--config``/``--log-level`` parent) is not used: central reads no
    config; each action takes ``--log-level`` itself and ``--config`` only as a deprecated no-op.
    """
    central = sub.add_parser("central", help="the reference central service (enrolment, ingest, reference data, feed)",
                             description="the reference central service (enrolment, ingest, reference data, feed)")
    example(central, "terminal central serve --db central.db --listen 127.0.0.1:8740")
    actions = central.add_subparsers(dest="central_command", metavar="ACTION", required=True)
    _serve_parser(actions)

    p = _action(actions, "token", "print a one-time enrolment token for a device", _token,
                "terminal central token --db central.db --device-id KSK-SHA-0001")
    p.add_argument("--device-id", required=True, metavar="D", help="the device to enrol, e.g. KSK-SHA-0001")
    p.add_argument("--ttl", type=seconds, default=TOKEN_TTL_S, metavar="S",
                   help=f"token lifetime in seconds (default {TOKEN_TTL_S:g}, 72 h)")
    deprecated_alias(p, "--ttl-hours", "--ttl S (seconds)", dest="ttl", type=_hours)

    p = _action(actions, "events", "print the event feed (JSON lines with --json)", _events,
                "terminal central events --db central.db --device-id KSK-SHA-0001 --after 120 --json")
    p.add_argument("--device-id", metavar="D", help="only this device's events")
    p.add_argument("--after", metavar="CURSOR", default="0", help="feed cursor to start after (default: the start)")
    p.add_argument("--limit", type=whole, metavar="N", help="print at most N events")
    json_option(p, help="one JSON object per line: cursor, device_id, seq, key, type, schema, payload, received_at")

    p = _action(actions, "load", "load reference data from a JSON-lines file (one item per line)", _load,
                "terminal central load --db central.db --dataset directory people.jsonl --replace")
    p.add_argument("--dataset", required=True, metavar="NAME")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--replace", action="store_true", help="the file is the whole dataset: delete ids not in it")

    p = _action(actions, "photos", "load HR photos (for the kiosk's face check) from a folder of <employee_no>.jpg",
                _photos, "terminal central photos --db central.db /srv/hr/photos")
    p.add_argument("folder", metavar="DIR", help="JPEG or PNG files named by employee number, e.g. E1001.jpg")

    p = _action(actions, "resync", "make every device pull a dataset afresh (their cursors get 410)", _resync,
                "terminal central resync --db central.db --dataset directory")
    p.add_argument("--dataset", required=True, metavar="NAME")

    p = _action(actions, "compact", "forget a dataset's deletions; cursors from before now get 410", _compact,
                "terminal central compact --db central.db --dataset directory")
    p.add_argument("--dataset", required=True, metavar="NAME")

    p = _action(actions, "consumer-token", "print a bearer token for a downstream consumer of /v1/feed",
                _consumer_token, "terminal central consumer-token --db central.db --name reimbursement-approval")
    p.add_argument("--name", required=True, metavar="NAME", help="who uses it, e.g. reimbursement-approval")

    p = _action(actions, "status", "print the terminals central knows", _status,
                "terminal central status --db central.db --json")
    json_option(p)

    _action(actions, "openapi", "print the OpenAPI document of the API", _openapi,
            "terminal central openapi > sync/central/openapi.json", db=False)
    _code_parsers(actions)
    # Their handlers live with their routes (FastAPI): loaded only when the command runs, so that
    # every other 'terminal' command starts without importing the web framework.
    p = _action(actions, "revoke-cert", "revoke an issued certificate: its verification page says revoked",
                _lazy("sync.central.routes.verify", "_revoke_cli"),
                "terminal central revoke-cert --db central.db KSK-SHA-0001-000012 --reason 'left'")
    p.add_argument("serial", metavar="SERIAL", help="the certificate's serial, as printed on it")
    p.add_argument("--reason", default="", metavar="TEXT", help="why (kept at central, never shown on the page)")
    p = _action(actions, "pay", "play the payer of a badge order (simulated WeChat Pay): pay it, or --cancel",
                _lazy("sync.central.routes.orders", "_pay_cli"),
                "terminal central pay --db .demo/central/central.db ORD-7KQ2M4XP9ABC")
    p.add_argument("order_id", metavar="ORDER", help="the order id the kiosk shows under the payment QR")
    p.add_argument("--cancel", action="store_true", help="walk away instead: cancel the unpaid order")


def _code_parsers(actions) -> None:
    """The signing-key and code actions: keys, rotate-key, retire-key, form-code, collection-code."""
    p = _action(actions, "keys", "list central's Ed25519 signing keys and their status", _keys,
                "terminal central keys --db central.db --json")
    json_option(p)
    p = _action(actions, "rotate-key", "make a new signing key; the old ones verify until retired", _rotate_key,
                "terminal central rotate-key --db central.db")
    json_option(p)
    p = _action(actions, "retire-key", "retire a signing key: boxes refuse the codes it signed", _retire_key,
                "terminal central retire-key --db central.db central-ed25519-3f9a2c1b4d5e")
    p.add_argument("key_id", metavar="KEY_ID", help="the key's id, or the 8-character key id a code carries")
    p = _action(actions, "form-code", "issue the QR form code for a claim awaiting an envelope", _form_code,
                "terminal central form-code --db central.db --claim CLM-2026-0001 --pdf claim.pdf")
    p.add_argument("--claim", required=True, metavar="CLAIM_ID", help="a claim of the claims dataset")
    p.add_argument("--pdf", metavar="FILE", help="also write a printable A4 form with the code to FILE")
    json_option(p, help="one JSON object: claim_id, employee_no, amount_cents, issued, key_id, code, pdf")
    p = _action(actions, "collection-code", "issue a courier's short-lived code that opens a box's door",
                _collection_code, "terminal central collection-code --db central.db --box DBX-SHA-0001 --ttl 900")
    p.add_argument("--box", required=True, metavar="BOX_ID", help="the box's device id, or '*' for any box")
    p.add_argument("--ttl", type=seconds, metavar="S", default=None,
                   help="seconds the code is valid (default 900, at most 604800)")
    p.add_argument("--png", metavar="FILE", help="also write the QR as a PNG image to FILE")
    json_option(p, help="one JSON object: box_id, not_after, nonce, key_id, code, png")


def _serve_parser(actions) -> None:
    p = _action(actions, "serve", "serve the central HTTP API until SIGTERM", _serve,
                "terminal central serve --db /var/lib/central/central.db --listen 0.0.0.0:8740 "
                "--tls-cert chain.pem --tls-key key.pem")
    p.add_argument("--listen", metavar="HOST:PORT", default=DEFAULT_LISTEN,
                   help=f"address to serve on (default {DEFAULT_LISTEN})")
    p.add_argument("--max-active", type=whole, default=4, metavar="N",
                   help="device calls worked on at once (default 4)")
    p.add_argument("--max-waiting", type=whole, default=32, metavar="N",
                   help="device calls queued before central answers 503 + Retry-After (default 32)")
    p.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate chain (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="private key of --tls-cert (PEM)")
    p.add_argument("--public-status", action="store_true",
                   help="serve /status and /v1/status without a token (default: a consumer token is needed)")
    p.add_argument("--max-connections-per-client", type=whole, default=MAX_PER_CLIENT, metavar="N",
                   help=f"open connections one client address may hold (default {MAX_PER_CLIENT}; "
                        f"0: no cap, e.g. behind a reverse proxy that limits them)")
    # Read as text and checked in _serve, so that a wrong value is refused by name, before listening.
    p.add_argument("--header-timeout", default=str(HEADER_TIMEOUT_S), metavar="S",
                   help=f"seconds a connection may take to send a request head, or sit idle (default "
                        f"{HEADER_TIMEOUT_S:g})")
    p.add_argument("--sms-outbox", metavar="FILE",
                   help="serve POST /v1/sms with a simulated gateway that appends each message to FILE as a JSON "
                        "line (demo and tests; without it central answers 503 no_gateway)")
    p.set_defaults(service=True)


def _lazy(module: str, name: str):
    """A command handler that imports ``module`` only when the command runs."""
    def run(args) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args)
    return run


def _action(actions, name: str, help_text: str, run, example_line: str, *, db: bool = True):
    """One ``terminal central NAME`` parser: ``--log-level``, the hidden ``--config``, ``--db``, an example."""
    p = actions.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--log-level", metavar="LEVEL", default=None,
                   help="debug | info | warning | error (default: info for serve, else warning)")
    p.add_argument("--config", metavar="PATH", help=argparse.SUPPRESS, action=_IgnoredConfig)
    if db:
        p.add_argument("--db", metavar="URL", default=os.environ.get(DB_ENV),
                       help=f"SQLite path or postgresql:// URL (default: ${DB_ENV})")
    p.set_defaults(run=run)
    example(p, example_line)
    return p


class _IgnoredConfig(argparse.Action):
    """``--config PATH`` on a central command: accepted for one release, with a warning, and ignored."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: warning: --config is deprecated and will be removed in the next release; "
              f"central reads no config file, so it is ignored", file=sys.stderr)
        setattr(namespace, self.dest, values)


def _hours(text: str) -> float:
    """argparse type of the old ``--ttl-hours``: hours in ASCII digits -> seconds."""
    return seconds(text) * 3600


def _storage(args) -> Storage:
    """The storage ``--db`` names; TerminalError (exit code 2) without one, StorageError if it cannot open."""
    from sync.central.storage import open_storage

    if not args.db:
        raise TerminalError(f"no database: pass --db PATH|postgresql://... or set ${DB_ENV}", exit_code=2)
    return open_storage(args.db)


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[v6]:PORT`` -> (host, port), the port 1-65535 in ASCII digits.

    Raises TerminalError (exit code 2) naming ``--listen`` otherwise::

        >>> parse_listen("[::1]:8740")
        ('::1', 8740)
    """
    try:
        host, port = listen_address(text)
    except argparse.ArgumentTypeError:
        host, port = "", 0
    if not host or port == 0:
        raise TerminalError(f"--listen {text!r}: expected HOST:PORT, the port 1-65535 in ASCII digits, "
                            f"e.g. {DEFAULT_LISTEN}", exit_code=2)
    return host, port


def _header_timeout(text: str) -> float:
    """``--header-timeout``: seconds above 0, at most 3600; else TerminalError (exit code 2) naming it."""
    try:
        value = seconds(text)
    except argparse.ArgumentTypeError:
        value = math.nan
    if not 0 < value <= 3600:
        raise TerminalError(f"--header-timeout {text}: give seconds above 0, at most 3600", exit_code=2)
    return value


def _serve(args) -> int:
    """Serve until SIGTERM or SIGINT, then finish requests in flight; 0.

    Every option is checked before listening (TerminalError, exit code 2); a taken address
    is a TerminalError (exit code 1).
    """
    from sync.central.app import create_app
    from sync.central.server import ConnectionLimits, raise_fd_limit, server_config

    host, port = parse_listen(args.listen)
    tls = _tls_options(args)
    if args.max_connections_per_client < 0:
        raise TerminalError("--max-connections-per-client must be 0 (no cap) or more", exit_code=2)
    header_timeout_s = _header_timeout(args.header_timeout)
    sock = _listening_socket(host, port, args.listen)
    storage = _storage(args)
    try:
        app = create_app(storage, max_active=max(1, args.max_active), max_waiting=max(0, args.max_waiting),
                         public_status=args.public_status, sms_outbox=args.sms_outbox)
        # Every connection is a descriptor: a soft limit of 1024 would cap central far below what it can hold.
        fds_before, fds = raise_fd_limit()
        limits = ConnectionLimits(header_timeout_s=header_timeout_s, max_per_client=args.max_connections_per_client)
        config = server_config(app, limits=limits, timeout_graceful_shutdown=10, **tls)
        server = _graceful_server_class()(config)
        log.info("central.serving", listen=f"{host}:{port}", engine=storage.name,
                 scheme="https" if tls else "http", public_status=args.public_status,
                 max_connections=limits.max_total, max_per_client=limits.max_per_client or "no cap",
                 fd_limit=fds, fd_limit_raised_from=fds_before if fds != fds_before else None,
                 sms_outbox=args.sms_outbox)
        # uvicorn handles SIGTERM/SIGINT: stop accepting, finish requests in flight, return.
        server.run(sockets=[sock])
    finally:
        storage.close()
        sock.close()
    log.info("central.stopped")
    return 0


def _listening_socket(host: str, port: int, listen: str) -> socket.socket:
    """A TCP socket bound to (host, port); TerminalError when the address is taken or unknown."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on such sockets, and without it every
    # keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise TerminalError(f"cannot listen on {listen}: {exc.strerror or exc}; "
                            f"is another central running there?") from None
    return sock


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
    """A uvicorn.Server subclass that stops on SIGTERM/SIGINT and returns (uvicorn imported only to serve)."""
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
    """Print a one-time enrolment token for ``--device-id``, valid ``--ttl`` seconds; 0.

    TerminalError (exit code 2) for a lifetime not above 0 or an odd device id.
    """
    if not args.ttl > 0:
        raise TerminalError("--ttl must be seconds above 0", exit_code=2)
    from sync.central.auth import DEVICE_ID_RULE, is_device_id

    if not is_device_id(args.device_id):
        raise TerminalError(f"--device-id {args.device_id!r}: use {DEVICE_ID_RULE}", exit_code=2)
    storage = _storage(args)
    try:
        print(storage.create_token(args.device_id, ttl_s=args.ttl))
    finally:
        storage.close()
    return 0


def _events(args) -> int:
    """Print the feed after ``--after``, ``--limit`` events at most (all: None); 0. Odd options: exit code 2."""
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


def _photos(args) -> int:
    """Store every <employee_no>.jpg|.png of ``args.folder``; 0, or PhotoRefused (exit 2) naming the file."""
    from sync.central.routes.photo import load_photos

    storage = _storage(args)
    try:
        loaded = load_photos(storage, args.folder)
    finally:
        storage.close()
    print(f"{len(loaded)} HR photo(s) loaded from {args.folder}")
    return 0


def _load(args) -> int:
    """Load a JSON-lines file into ``--dataset`` and print the counts; 0. ReferenceFileError: nothing loaded."""
    from sync.central.reference import read_items

    storage = _storage(args)
    try:
        items = read_items(args.dataset, args.file, deployment_key=storage.deployment_key())
        counts = storage.load_reference(args.dataset, items, replace=args.replace)
    finally:
        storage.close()
    print(f"{args.dataset}: {counts['added']} added, {counts['changed']} changed, {counts['deleted']} deleted, "
          f"{counts['unchanged']} unchanged (version {counts['version']})")
    if args.dataset == "claims":
        _warn_unissuable(items)
    return 0


def _warn_unissuable(items: list[dict]) -> None:
    """Name (on stderr) the loaded claims no form code can carry, so they are fixed before anyone asks for one."""
    from sync import codes

    bad = [str(i["id"])[:40] for i in items if not i.get("deleted") and not (
        codes.ID_RE.fullmatch(str(i["id"])) and isinstance(i.get("employee_no"), str)
        and codes.EMPLOYEE_RE.fullmatch(i["employee_no"]) and type(i.get("amount_cents")) is int
        and 1 <= i["amount_cents"] <= codes.MAX_AMOUNT_CENTS)]
    if bad:
        print(f"warning: {len(bad)} claim(s) cannot get a form code (id 1-24 and employee_no 1-16 of A-Z, 0-9, '-'; "
              f"amount_cents 1-{codes.MAX_AMOUNT_CENTS}): {', '.join(bad[:10])}{' ...' if len(bad) > 10 else ''}",
              file=sys.stderr)


def _dataset_action(args, method: str):
    """``storage.<method>(--dataset)``'s result; TerminalError (exit code 2) for a dataset central lacks."""
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
    """Start a new generation of ``--dataset`` (every device pulls a snapshot); 0."""
    generation = _dataset_action(args, "force_resync")
    print(f"{args.dataset}: generation {generation}; every device will pull a full snapshot")
    return 0


def _compact(args) -> int:
    """Forget ``--dataset``'s deletions (older cursors get 410); 0."""
    dropped = _dataset_action(args, "compact_reference")
    print(f"{args.dataset}: {dropped} deletion(s) forgotten; older cursors now get 410 (full snapshot)")
    return 0


def _consumer_token(args) -> int:
    """Print a bearer token for consumer ``--name`` (1-100 printable characters, else exit code 2); 0."""
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
    """Print every terminal central knows (a table, or JSON with ``--json``); 0."""
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
    """Print the OpenAPI document in its committed form; 0 (no database needed)."""
    from sync.central.app import create_app

    sys.stdout.write(openapi_text(create_app(None).openapi()))
    return 0


def openapi_text(document: dict) -> str:
    """The committed form of the OpenAPI document (sync/central/openapi.json)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- signing keys and codes ------------------------------------------------------------------------
def _keys(args) -> int:
    """Print central's Ed25519 keys, oldest first (table, or JSON with ``--json``); 0."""
    storage = _storage(args)
    try:
        keys = storage.signing_keys()
    finally:
        storage.close()
    if args.json:
        print(json.dumps([{k: i.get(k) for k in ("id", "code_key_id", "status", "created_at", "retired_at")}
                          for i in keys], indent=2))
        return 0
    for i in keys:
        print(f"{i['id']:<30} {i['code_key_id']:<9} {i['status']}")
    return 0


def _rotate_key(args) -> int:
    """Make a new signing key and print its ids; 0.  Terminals learn it at their next pull of ``keys``."""
    storage = _storage(args)
    try:
        kid = storage.rotate_key()
        new = next(i for i in storage.signing_keys() if i["id"] == kid)
    finally:
        storage.close()
    if args.json:
        print(json.dumps({"id": kid, "code_key_id": new["code_key_id"], "status": new["status"]}))
    else:
        print(f"{kid} ({new['code_key_id']}) now signs; older keys verify until retired "
              f"('terminal central retire-key')")
    return 0


def _retire_key(args) -> int:
    """Retire ``KEY_ID``; 0 (also when it was already retired).  KeyNotFound (exit code 2) otherwise."""
    storage = _storage(args)
    try:
        changed = storage.retire_key(args.key_id)
    finally:
        storage.close()
    print(f"{args.key_id}: {'retired; boxes refuse its codes after their next pull' if changed else 'already retired'}")
    return 0


def _form_code(args) -> int:
    """Print the form code for ``--claim`` and write ``--pdf``; 0.

    IssueError (exit code 2) for a claim that cannot get one; FormPdfError (1) for a PDF it cannot write.
    """
    from sync.central.signing import issue_form_code

    storage = _storage(args)
    try:
        issued = issue_form_code(storage, args.claim)
    finally:
        storage.close()
    if args.pdf:
        from sync.central.formpdf import render_form

        render_form(args.pdf, issued)
    if args.json:
        print(json.dumps({"claim_id": issued.claim["id"], "employee_no": issued.claim.get("employee_no"),
                          "amount_cents": issued.claim.get("amount_cents"), "issued": issued.issued.isoformat(),
                          "key_id": issued.key_id, "code": issued.text, "pdf": args.pdf}))
    else:
        print(issued.text)
    return 0


def _collection_code(args) -> int:
    """Print a collection code for ``--box`` valid ``--ttl`` seconds (and write ``--png``); 0.

    IssueError (exit code 2) for a lifetime or box id out of bounds.
    """
    from sync.central.signing import DEFAULT_COLLECTION_TTL_S, issue_collection_code

    storage = _storage(args)
    try:
        issued = issue_collection_code(storage, args.box, ttl_s=DEFAULT_COLLECTION_TTL_S if args.ttl is None
                                       else args.ttl)
    finally:
        storage.close()
    if args.png:
        import segno

        try:
            segno.make(issued.text, error="m", micro=False).save(args.png, kind="png", scale=6, border=4)
        except OSError as exc:
            raise TerminalError(f"--png {args.png}: cannot write it ({exc.strerror or exc})") from None
    if args.json:
        print(json.dumps({"box_id": issued.box_id, "not_after": issued.not_after, "nonce": issued.nonce,
                          "key_id": issued.key_id, "code": issued.text, "png": args.png}))
    else:
        print(issued.text)
    return 0
