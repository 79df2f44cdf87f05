"""Every module's schema migrations, for the processes that open the store.

sync/ cannot import kiosk/ or dropbox/ (dependency direction), so the list is
assembled here, at the top, where every area is visible.
"""

from __future__ import annotations

from sync.store import Migration


def all_migrations() -> list[Migration]:
    """Every area's store migrations, in the order they are applied: a list of sync.store.Migration."""
    from sync import state as sync_state

    migrations: list[Migration] = []
    migrations += sync_state.MIGRATIONS
    return migrations
