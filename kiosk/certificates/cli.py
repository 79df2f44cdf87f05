"""``terminal cert``: check a certificate offline (``verify``), or issue one from the command line (``issue``).

``verify`` needs no terminal: the keys come from ``--keys FILE`` (central's
``/verify/keys.json``, or a list of ``terminal_keys`` items) or, with
``--config``, from the ``terminal_keys`` dataset synced into that terminal's
store.  It prints one line and exits 0 valid, 1 tampered (text changed, a
field changed, forged signature, not a certificate code), 3 signed by an
unknown key (not issued by us), 2 when it cannot check at all.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

from terminal import TerminalError
from terminal.cliopts import example, json_option, out_option


def register(sub, common) -> None:
    """Add ``terminal cert verify`` and ``terminal cert issue`` to ``sub`` (argparse subparsers)."""
    cert = sub.add_parser("cert", help="certificates: check one offline, or issue one",
                          description="certificates: check one offline, or issue one")
    example(cert, "terminal cert verify certificate.pdf --keys keys.json")
    actions = cert.add_subparsers(dest="cert_command", metavar="ACTION", required=True)

    p = actions.add_parser("verify", parents=[common], help="check a certificate PDF or its QR text offline",
                           description="check a certificate PDF, or the text of its QR, offline against the "
                                       "terminals' public keys; exit 0 valid, 1 tampered, 3 unknown key, "
                                       "2 cannot check")
    p.add_argument("what", metavar="FILE.pdf|QRTEXT", help="the certificate's PDF, or the URL/code its QR holds")
    p.add_argument("--keys", metavar="FILE", help="terminal keys: central's /verify/keys.json (default: the "
                                                 "terminal_keys synced into --config's store)")
    json_option(p, help="one JSON object: valid, reason, message, kind, issued_on, serial, terminal, url")
    example(p, "terminal cert verify certificate.pdf --keys keys.json",
            "terminal cert verify 'http://127.0.0.1:8740/verify/CV1.E...' --config .demo/kiosk/terminal.toml")
    p.set_defaults(run=_verify)

    p = actions.add_parser("issue", parents=[common], help="issue a certificate now (fetch, sign, record, PDF)",
                           description="fetch an employee's data from central, issue the certificate (a new "
                                       "serial, recorded with its event) and write the PDF; a technician tool")
    p.add_argument("--kind", required=True, choices=("employment", "income", "social_insurance"))
    p.add_argument("--employee", required=True, metavar="EMPLOYEE_NO")
    p.add_argument("--lang", default="zh", choices=("zh", "zh+en"), help="Chinese, or Chinese and English")
    out_option(p, default=".", help="folder the PDF is written to")
    p.add_argument("--print", action="store_true", help="also print it on the [printer] and wait for the job")
    json_option(p, help="one JSON object: serial, kind, issued_on, url, pdf, bytes")
    example(p, "terminal cert issue --config .demo/kiosk/terminal.toml --kind employment --employee E1002 --out /tmp")
    p.set_defaults(run=_issue)


def _verify(args) -> int:
    from kiosk.certificates.verify import CannotCheck, check_pdf, check_text, load_keys

    keys = load_keys(args.keys) if args.keys else _store_keys(args)
    target = args.what
    looks_like_file = target.lower().endswith(".pdf") or (os.sep in target and "://" not in target)
    if looks_like_file or Path(target).is_file():
        if not Path(target).is_file():
            raise CannotCheck(f"{target}: no such file")
        outcome = check_pdf(target, keys)
    else:
        outcome = check_text(target, keys)
    if args.json:
        print(json.dumps(outcome.as_dict(), ensure_ascii=False))
    else:
        print(outcome.message if outcome.reason == "valid" else f"NOT VALID: {outcome.message}")
        if outcome.code is not None and outcome.reason == "valid":
            print(f"revocation is shown on central's page{': ' + outcome.url if outcome.url else ''}")
    return outcome.exit_code


def _store_keys(args) -> dict:
    from kiosk.certificates.verify import CannotCheck, store_keys

    if not (args.config or os.environ.get("TERMINAL_CONFIG")):
        raise CannotCheck("no keys: give --keys FILE (central's /verify/keys.json) or --config of a terminal")
    cfg, store = _open(args)
    try:
        keys = store_keys(store.conn)
    finally:
        store.close()
    if not keys:
        raise CannotCheck("this terminal has no terminal_keys yet: run 'terminal sync pull', or give --keys FILE")
    return keys


def _open(args):
    from kiosk.certificates.store import MIGRATIONS
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.settings_access import load_for_command
    from terminal.migrations import all_migrations

    cfg = load_for_command(args)
    migrations = all_migrations()
    if not any(m.module == "certificates" for m in migrations):
        migrations = migrations + MIGRATIONS
    return cfg, open_store(store_path(cfg), migrations, busy_timeout_s=cfg.store.busy_timeout_s)


def _issue(args) -> int:
    from kiosk.certificates import data, store as issuing
    from kiosk.certificates.render import ensure_qt

    ensure_qt()
    cfg, store = _open(args)
    try:
        client = data.client_for(store, cfg.sync)
        try:
            answer = data.fetch(client, args.kind, args.employee)
        finally:
            client.close()
        session_id = "cli-" + uuid.uuid4().hex[:12]
        made = issuing.issue(store, answer, session_id=session_id, lang=args.lang)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{made.serial}.pdf"
        path.write_bytes(made.pdf)
        if args.print:
            _print(cfg, path)
            issuing.printed(store, made.serial, session_id)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"serial": made.serial, "kind": made.kind, "issued_on": made.issued_on, "url": made.url,
                          "pdf": str(path), "bytes": len(made.pdf)}))
    else:
        print(f"{made.kind} certificate {made.serial} ({len(made.pdf)} bytes): {path}")
    return 0


def _print(cfg, path: Path) -> None:
    from drivers.printer import open_printer

    section = getattr(cfg, "printer", None)
    if not section:
        raise TerminalError("this terminal has no [printer] section; drop --print", exit_code=2)
    printer = open_printer(section)
    try:
        printer.print_file(path, job_name="certificate")
    finally:
        printer.close()
    print(f"printed on {printer.uri}", file=sys.stderr)
