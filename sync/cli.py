"""``terminal sync ...``: enrol, forward, pull, and look inside the outbox.

``sync run`` is the long-running service: it forwards the outbox and, every
``[sync] pull_interval_s``, pulls reference data in the same process (one
connection, one place that owns the credentials).  ``sync run --once``
forwards only, until the outbox is empty (exit 0) or the retry budget is spent
(exit 1); ``sync pull`` pulls on demand.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time

from terminal import TerminalError
from terminal.cliopts import example, json_option, whole
from terminal.settings_access import load_for_command


def register(sub, common) -> None:
    """Add ``terminal sync ACTION`` (run, pull, status, dead-letters, requeue, emit, enroll) to ``sub``.

    ``sub`` is the ``terminal`` parser's subparsers; ``common`` the parent parser giving --config and --log-level.
    """
    sync = sub.add_parser("sync", help="store-and-forward to central: enrol, forward, pull, inspect")
    example(sync, "terminal sync status --config /etc/service-terminals/terminal.toml")
    s = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)

    run = s.add_parser("run", parents=[common], help="forward the outbox and pull reference data (service)")
    run.add_argument("--once", action="store_true",
                     help="forward until the outbox is empty (exit 0) or the retry budget is spent (exit 1)")
    example(run, "terminal sync run --once --config /etc/service-terminals/terminal.toml")
    run.set_defaults(run=_run, service=True)

    pull = s.add_parser("pull", parents=[common], help="pull reference data from central once")
    pull.add_argument("--dataset", action="append", metavar="NAME", help="only this dataset (repeatable)")
    example(pull, "terminal sync pull --dataset directory")
    pull.set_defaults(run=_pull)

    status = s.add_parser("status", parents=[common], help="backlog, last success and error, clock offset")
    json_option(status, help="print as JSON")
    example(status, "terminal sync status --json")
    status.set_defaults(run=_status)

    dead = s.add_parser("dead-letters", parents=[common], help="events central refused, with the reason")
    json_option(dead, help="print as JSON lines")
    example(dead, "terminal sync dead-letters --json")
    dead.set_defaults(run=_dead_letters)

    requeue = s.add_parser("requeue", parents=[common], help="put a dead letter back into the outbox")
    requeue.add_argument("id", nargs="?", type=whole, metavar="ID", help="dead letter id (from 'sync dead-letters')")
    requeue.add_argument("--all", action="store_true", help="requeue every dead letter")
    example(requeue, "terminal sync requeue 7", "terminal sync requeue --all")
    requeue.set_defaults(run=_requeue)

    emit = s.add_parser("emit", parents=[common], help="record diagnostic events that travel the whole path")
    emit.add_argument("--type", default="sync.diagnostic", metavar="T", help="event type (default sync.diagnostic)")
    emit.add_argument("--schema", type=whole, default=1, metavar="V", help="schema version (default 1)")
    emit.add_argument("--count", type=whole, default=1, metavar="N", help="how many (default 1)")
    emit.add_argument("--payload", default=None, metavar="JSON",
                      help="payload object for types other than sync.diagnostic (\"n\" is added)")
    example(emit, "terminal sync emit --count 3")
    emit.set_defaults(run=_emit)

    enroll = s.add_parser("enroll", parents=[common], help="exchange a one-time token for this device's secret")
    enroll.add_argument("--central", required=True, metavar="URL", help="central's base URL, e.g. https://central:8740")
    enroll.add_argument("--token", required=True, metavar="T", help="one-time token from 'terminal central token'")
    enroll.add_argument("--ca", metavar="FILE", help="CA bundle for central's TLS certificate")
    example(enroll, "terminal sync enroll --central https://central:8740 --token enr_1a2b3c")
    enroll.set_defaults(run=_enroll)


def _open(args):
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations

    cfg = load_for_command(args)
    return cfg, open_store(store_path(cfg), all_migrations(), busy_timeout_s=cfg.store.busy_timeout_s)


def _run(args) -> int:
    from sync.forwarder import Forwarder, NotEnrolled, single_forwarder
    from sync.pull import Puller
    from sync.sdnotify import Notifier

    cfg, store = _open(args)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    notifier = Notifier()
    try:
        with store, single_forwarder(store.path):
            forwarder = Forwarder(store, cfg.sync, device_id=cfg.device_id, stop=stop,
                                  puller=Puller(store, page_limit=cfg.sync.pull_page_limit, stop=stop,
                                                 progress=lambda: notifier(watchdog=True)),
                                  notify=notifier)
            try:
                return forwarder.run(once=args.once)
            except NotEnrolled:
                if stop.is_set():
                    return 0
                raise
    finally:
        notifier(stopping=True)
        for s, handler in old.items():
            signal.signal(s, handler)


def _client(cfg, store):
    from sync.client import CentralClient, Credentials, tls_verify
    from sync.state import all_state

    state = all_state(store.conn)
    creds = Credentials.from_state(state)
    if creds is None:
        raise TerminalError("this terminal is not enrolled with central; run "
                            "'terminal sync enroll --central URL --token T' first")
    return CentralClient(creds, verify=tls_verify(creds.ca_file, cfg.sync.ca_bundle),
                         connect_timeout_s=cfg.sync.connect_timeout_s, read_timeout_s=cfg.sync.read_timeout_s,
                         clock_offset_s=state.get("clock_offset"))


def _pull(args) -> int:
    from sync import wire
    from sync.pull import Puller
    from sync.state import set_state

    cfg, store = _open(args)
    with store:
        datasets = tuple(args.dataset or wire.DATASETS)
        unknown = [d for d in datasets if d not in wire.DATASETS]
        if unknown:
            raise TerminalError(f"unknown dataset {', '.join(unknown)} (known: {', '.join(wire.DATASETS)})",
                                exit_code=2)
        client = _client(cfg, store)
        try:
            counts = Puller(store, page_limit=cfg.sync.pull_page_limit, datasets=datasets).pull_all(client)
        finally:
            client.close()
        with store.write():
            set_state(store.conn, "clock_offset", client.clock_offset_s)
        for name, n in counts.items():
            total = store.conn.execute("SELECT COUNT(*) FROM sync_ref_items WHERE dataset = ?", (name,)).fetchone()[0]
            print(f"{name:15} {n} changes applied, {total} items held")
    return 0


def _status(args) -> int:
    from sync.status import collect, render

    cfg, store = _open(args)
    with store:
        info = collect(store, cfg)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        sys.stdout.write(render(info))
    return 0


def _dead_letters(args) -> int:
    cfg, store = _open(args)
    with store:
        rows = store.conn.execute(
            "SELECT id, seq, type, schema, code, reason, failed_at, size FROM sync_dead_letters ORDER BY id").fetchall()
    keys = ("id", "seq", "type", "schema", "code", "reason", "failed_at", "size")
    if args.json:
        for row in rows:
            print(json.dumps(dict(zip(keys, row))))
        return 0
    if not rows:
        print("no dead letters")
        return 0
    print(f"{'ID':>5} {'SEQ':>8}  {'TYPE':24} {'CODE':8} {'FAILED (UTC)':20} REASON")
    for i, seq, typ, ver, code, reason, at, _ in rows:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
        print(f"{i:>5} {seq:>8}  {typ + ' v' + str(ver):24} {code:8} {when:20} {reason}")
    print(f"{len(rows)} dead letter(s); fix the cause, then 'terminal sync requeue ID' (or --all)")
    return 0


def _requeue(args) -> int:
    from sync.state import EVENT_COLUMNS

    if (args.id is None) == (not args.all):
        raise TerminalError("name one dead letter ID, or --all", exit_code=2)
    cfg, store = _open(args)
    cols = ", ".join(EVENT_COLUMNS)
    with store:
        with store.write():
            where, params = ("", ()) if args.all else (" WHERE id = ?", (args.id,))
            ids = [r[0] for r in store.conn.execute(f"SELECT id FROM sync_dead_letters{where}", params)]
            if not ids and not args.all:
                raise TerminalError(f"no dead letter with id {args.id}; list them with 'terminal sync dead-letters'")
            moved, kept = 0, []
            for i in ids:  # same seq and key: central dedupes if it had taken it after all
                cur = store.conn.execute(f"INSERT OR IGNORE INTO sync_outbox ({cols}) SELECT {cols} "
                                         "FROM sync_dead_letters WHERE id = ?", (i,))
                if cur.rowcount:
                    store.conn.execute("DELETE FROM sync_dead_letters WHERE id = ?", (i,))
                    moved += 1
                else:
                    kept.append(i)  # its seq or key is already queued: never drop the dead letter
    print(f"requeued {moved} event(s); 'terminal sync run' forwards them")
    if kept:
        print(f"kept dead letter(s) {', '.join(map(str, kept))}: the same event is already in the outbox",
              file=sys.stderr)
        return 1
    return 0


def _emit(args) -> int:
    from sync.outbox import record

    if args.count < 1:
        raise TerminalError("--count must be at least 1", exit_code=2)
    base = {}
    if args.payload:
        try:
            base = json.loads(args.payload)
        except ValueError as exc:
            raise TerminalError(f"--payload is not JSON: {exc}", exit_code=2) from None
        if not isinstance(base, dict):
            raise TerminalError("--payload must be a JSON object", exit_code=2)
    cfg, store = _open(args)
    first = last = None
    with store:
        for n in range(args.count):
            with store.write() as db:  # one transaction per event, as a real business record has
                rec = record(db, args.type, {**base, "n": n + 1}, version=args.schema)
            first = first or rec.seq
            last = rec.seq
    print(f"recorded {args.count} {args.type} event(s), seq {first}..{last}")
    return 0


def _enroll(args) -> int:
    from sync.enrolment import enroll_store

    cfg, store = _open(args)
    if args.ca:
        try:
            open(args.ca, "rb").close()
        except OSError as exc:
            raise TerminalError(f"--ca {args.ca}: cannot read it ({exc.strerror})", exit_code=2) from None
    with store:
        answer = enroll_store(store, cfg.device_id, args.central, args.token,
                              verify=args.ca or cfg.sync.ca_bundle or True, ca_file=args.ca or "",
                              timeout_s=cfg.sync.connect_timeout_s + cfg.sync.read_timeout_s)
    print(f"enrolled {cfg.device_id} with {answer['central_url']}; the secret is kept in the local store")
    return 0
