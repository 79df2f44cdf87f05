"""Helpers the subcommands share for reading the terminal's configuration."""

from __future__ import annotations

import sys

from terminal.config import Config
from terminal.logs import get_logger, setup_logging
from terminal.schema import load_config

log = get_logger(__name__)


def load_for_command(args) -> Config:
    """The configuration a subcommand runs with: ``args.config`` (None: $TERMINAL_CONFIG, else the system path).

    For a service command (``args.service``) without ``--log-level`` the
    file's ``[log] level`` is applied.  A key the file still spells the old
    way is logged as a warning.  Returns the read-only Config; raises
    terminal.config.ConfigError (exit 2) listing every problem in the file.
    """
    cfg = load_config(getattr(args, "config", None))
    if not getattr(args, "log_level", None) and getattr(args, "service", False):
        setup_logging(cfg.log.level, sys.stdout)
    for note in cfg.deprecations:
        log.warning("config.deprecated_key", note=note)
    return cfg
