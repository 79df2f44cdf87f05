"""Helpers the subcommands share for reading the terminal's configuration."""

from __future__ import annotations

from terminal.config import Config
from terminal.logs import setup_logging
from terminal.schema import load_config


def load_for_command(args) -> Config:
    """Load ``--config`` (or the default), and apply its log level unless --log-level was given."""
    cfg = load_config(getattr(args, "config", None))
    if not getattr(args, "log_level", None) and getattr(args, "service", False):
        import sys

        setup_logging(cfg.log.level, sys.stdout)
    return cfg
