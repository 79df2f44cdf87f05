"""Core of the service-terminals edge software: CLI, configuration, logging.

Kept free of heavy imports: every other package imports from here.
"""

__version__ = "0.1.0"


class TerminalError(Exception):
    """An error whose message a person can act on; the CLI prints it as one line.

    ``exit_code`` is what the ``terminal`` command exits with (2 for bad
    configuration or usage, 1 for a failed operation).
    """

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
