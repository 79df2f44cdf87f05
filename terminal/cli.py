"""The one console command, ``terminal``, and its subcommands.

Each area adds its subcommands through a ``register(subparsers, common)``
function in the module listed in ``COMMAND_MODULES``; ``common`` is the parent
parser that gives every subcommand ``--config PATH`` (``terminal central``, which
reads no config, does not use it).

A subcommand's handler is ``args.run(args) -> int``.  A :class:`TerminalError`
becomes one line on stderr and its exit code; anything else is logged with its
traceback (masked) and the person sees one line, never the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from terminal import TerminalError, __version__
from terminal.cliopts import example
from terminal.logs import get_logger, setup_logging
from terminal.pii import mask_text

COMMAND_MODULES = [
    "terminal.commands",
    "sync.store_cli",
    "sync.cli",
    "drivers.cli",
    "dropbox.cli",  # after drivers.cli: adds "terminal hw qr" to the hw subcommands it made
    "dropbox.agent_cli",
    "terminal.selftest",
    "sync.central.cli",
    "kiosk.certificates.cli",  # terminal cert verify / issue
    "ui.cli",  # after terminal.commands: adds --tour to "terminal demo"
    "images.cli",
    "images.provision_cli",
]

log = get_logger("terminal.cli")


def build_parser() -> argparse.ArgumentParser:
    """The ``terminal`` argument parser with every area's subcommands (from ``COMMAND_MODULES``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help="terminal configuration file (default: $TERMINAL_CONFIG, "
                             "else /etc/service-terminals/terminal.toml)")
    common.add_argument("--log-level", metavar="LEVEL", default=None,
                        help="debug | info | warning | error (default: from the config)")
    parser = argparse.ArgumentParser(
        prog="terminal",
        description="service-terminals: HR/admin kiosk, reimbursement drop box, "
                    "store-and-forward sync and device tools.",
    )
    parser.add_argument("--version", action="version", version=f"terminal {__version__}")
    example(parser, "terminal demo", "terminal config check --config /etc/service-terminals/terminal.toml",
            "terminal hw idcard --port /dev/ttyUSB0 --json")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``terminal ARGV`` (``argv`` None: sys.argv[1:]); return the exit code.

    0 on success, a TerminalError's ``exit_code`` (1, or 2 for bad
    configuration or usage) with its message as one line on stderr, 130 on
    Ctrl-C, 1 for an unexpected error (its masked traceback goes to the log or
    a private file, never the screen).  argparse exits 2 on a usage error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    service = getattr(args, "service", False)
    level = args.log_level or os.environ.get("TERMINAL_LOG_LEVEL") or ("info" if service else "warning")
    # Services log to stdout for journald; one-shot commands keep stdout for their output.
    setup_logging(level, sys.stdout if service else sys.stderr)
    try:
        return int(args.run(args) or 0)
    except TerminalError as exc:
        print(f"terminal {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the person gets one line; the traceback goes to the log
        if service:
            log.exception("cli.internal_error", command=args.command, error=repr(exc))
            where = "the log"
        else:
            where = _save_traceback()
        print(mask_text(f"terminal {args.command}: internal error ({type(exc).__name__}: {exc}); "
                        f"details are in {where}"), file=sys.stderr)
        return 1


def _save_traceback() -> str:
    """Keep a one-shot command's traceback (masked) in a private file, not on the screen."""
    import tempfile
    import traceback

    directory = os.path.join(os.environ.get("XDG_STATE_HOME") or tempfile.gettempdir(),
                             f"service-terminals-{os.geteuid()}")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        path = os.path.join(directory, "last-error.txt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(mask_text(traceback.format_exc()))
        return path
    except OSError:
        return "no file (could not write one)"

if __name__ == "__main__":
    raise SystemExit(main())
