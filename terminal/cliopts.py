"""One command-line vocabulary, shared by every ``terminal`` command (after sqlite-utils' option helpers).

=================  ==========================================================
``--port PATH``    a serial device (``/dev/ttyUSB0``, a simulator's pty)
``--listen H:P``   a server address to listen on, or a simulator's address
``--out DIR``      an output folder
``--timeout S``    a duration in seconds (how long to wait, run or pulse)
``--json``         machine output, one JSON document or JSON lines
=================  ==========================================================

Numbers count only in the digits 0-9 (``int()`` would also read '１２' and
'١٢').  Every command's help ends with an example (:func:`example`).  An old
spelling keeps working for one release and prints a deprecation warning::

    >>> import argparse
    >>> p = argparse.ArgumentParser(prog="terminal hw gpio")
    >>> timeout_option(p, default=1.0, help="pulse length", old=("--seconds",))
    >>> example(p, "terminal hw gpio --pulse lock --timeout 0.5")
    >>> p.parse_args(["--timeout", "0.5"]).timeout
    0.5
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     p.parse_args(["--seconds", "2"]).timeout
    2.0
    >>> print(err.getvalue().strip())
    terminal hw gpio: warning: --seconds is deprecated and will be removed in the next release; use --timeout
"""

from __future__ import annotations

import argparse
import math
import re
import sys

__all__ = ["number", "seconds", "whole", "listen_address", "json_option", "timeout_option", "out_option",
           "listen_option", "port_option", "example", "deprecated_alias"]


# A plain decimal only: float() would also take 'nan', 'inf', '1_0' and other scripts' digits.
_DECIMAL = r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"


def number(text: str) -> float:
    """argparse type: a finite number in ASCII digits (``2.5``, ``-1``, ``1e3``), e.g. frames per second.

    Raises argparse.ArgumentTypeError (argparse prints it as a usage error, exit 2) otherwise.

    >>> number(" -2.5 "), number("1e3")
    (-2.5, 1000.0)
    """
    if re.fullmatch(rf"\s*[+-]?{_DECIMAL}\s*", text):
        value = float(text)
        if math.isfinite(value):
            return value
    raise argparse.ArgumentTypeError(f"expected a number written with the digits 0-9, such as 2.5; got {text!r}")


def seconds(text: str) -> float:
    """argparse type: a duration in seconds, a finite number >= 0 in ASCII (``0.5``, ``10``).

    Raises argparse.ArgumentTypeError otherwise (a sign other than '+', '２', 'nan', 'inf', '1_0').
    """
    if re.fullmatch(rf"\s*\+?{_DECIMAL}\s*", text):
        value = float(text)
        if math.isfinite(value):
            return value
    raise argparse.ArgumentTypeError(f"expected seconds written with the digits 0-9, such as 2.5; got {text!r}")


def whole(text: str) -> int:
    """argparse type: a whole number in ASCII digits (``42``, ``-1``); argparse.ArgumentTypeError otherwise."""
    if re.fullmatch(r"\s*[+-]?[0-9]+\s*", text):
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a whole number written with the digits 0-9; got {text!r}")


def listen_address(text: str) -> tuple[str, int]:
    """argparse type: ``HOST:PORT`` (port 0-65535 in ASCII; 0 asks the OS for a free one) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if sep and host and re.fullmatch(r"[0-9]{1,5}", port) and int(port) < 65536 \
            and re.fullmatch(r"[A-Za-z0-9.\-:]+", host):
        return host, int(port)
    raise argparse.ArgumentTypeError(f"expected HOST:PORT such as 127.0.0.1:9100 (port 0-65535); got {text!r}")


def deprecated_alias(parser: argparse.ArgumentParser, old: str, new: str, *, dest: str, type=None,
                     nargs=None) -> None:
    """Accept ``old`` as ``new`` for one release, warning on stderr each time it is used."""

    class _Deprecated(argparse.Action):
        def __call__(self, p, namespace, values, option_string=None):
            print(f"{p.prog}: warning: {old} is deprecated and will be removed in the next release; use {new}",
                  file=sys.stderr)
            setattr(namespace, self.dest, values)

    parser.add_argument(old, dest=dest, type=type, nargs=nargs, action=_Deprecated, help=argparse.SUPPRESS)


def json_option(parser: argparse.ArgumentParser, help: str = "print machine-readable JSON") -> None:
    """``--json``: machine output."""
    parser.add_argument("--json", action="store_true", help=help)


def timeout_option(parser: argparse.ArgumentParser, *, default: float | None, help: str,
                   old: tuple[str, ...] = ()) -> None:
    """``--timeout S`` (dest ``timeout``): a duration in seconds; ``old`` spellings are deprecated aliases."""
    shown = "" if default is None else f" (default {default:g})"
    parser.add_argument("--timeout", type=seconds, default=default, metavar="S", help=help + shown)
    for spelling in old:
        deprecated_alias(parser, spelling, "--timeout", dest="timeout", type=seconds)


def out_option(parser: argparse.ArgumentParser, *, default: str | None, help: str, required: bool = False,
               old: tuple[str, ...] = ()) -> None:
    """``--out DIR`` (dest ``out``): an output folder; ``old`` spellings are deprecated aliases."""
    shown = "" if default is None else f" (default {default})"
    parser.add_argument("--out", default=default, required=required and not old, metavar="DIR", help=help + shown)
    for spelling in old:
        deprecated_alias(parser, spelling, "--out", dest="out")


def listen_option(parser: argparse.ArgumentParser, *, default: str, help: str,
                  old_port: str | None = None) -> None:
    """``--listen HOST:PORT`` (dest ``listen``, a (host, port) tuple).

    ``old_port`` names a deprecated option that took a bare TCP port (``--port 18631``);
    it is read as ``127.0.0.1:PORT``.
    """
    parser.add_argument("--listen", type=listen_address, default=listen_address(default), metavar="HOST:PORT",
                        help=f"{help} (default {default})")
    if old_port:
        deprecated_alias(parser, old_port, "--listen HOST:PORT", dest="listen",
                         type=lambda t: listen_address(f"127.0.0.1:{t}"))


def port_option(parser: argparse.ArgumentParser, *, help: str, default: str | None = None,
                required: bool = False) -> None:
    """``--port PATH``: a serial device."""
    parser.add_argument("--port", default=default, required=required, metavar="PATH", help=help)


def example(parser: argparse.ArgumentParser, *lines: str) -> None:
    """End ``parser``'s help with ``example:`` and the given command lines, kept as written."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    text = "example:\n" + "\n".join(f"  {line}" for line in lines)
    parser.epilog = f"{parser.epilog}\n\n{text}" if parser.epilog else text
