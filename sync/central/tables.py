"""Tables a central module keeps beside the core schema, created once per storage object.

Photos, certificate data, the certificate index and badge orders each bring a
few tables of their own; :func:`schema_once` makes the ``ensure_schema(storage)``
each calls before touching them, so the same lock-and-remember code is written
once::

    >>> ensure = schema_once(["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)"])
    >>> callable(ensure)
    True
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence


def schema_once(ddl: Sequence[str], *, after: Sequence[str] = ()) -> Callable[[object], None]:
    """``ensure_schema(storage)``: run ``ddl`` (then ``after``, e.g. seeding a row, through the engine's
    SQL dialect) in one transaction the first time it is called for a storage object; idempotent,
    thread-safe.  Raises what the engine raises for bad SQL."""
    lock = threading.Lock()
    done: weakref.WeakSet = weakref.WeakSet()

    def ensure_schema(storage) -> None:
        """Create this module's tables (idempotent; once per storage object)."""
        if storage in done:
            return
        with lock:
            if storage in done:
                return
            with storage.engine.transaction() as c:
                for statement in ddl:
                    c.execute(statement)
                for statement in after:
                    c.execute(storage.engine.sql(statement))
            done.add(storage)

    return ensure_schema
