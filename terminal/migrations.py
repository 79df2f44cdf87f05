"""Every module's schema migrations, for the processes that open the store.

sync/ cannot import kiosk/ or dropbox/ (dependency direction), so the list is
assembled here, at the top, where every area is visible.
"""

from __future__ import annotations

from dropbox import journal as dropbox_journal
from kiosk import store as kiosk_store
from kiosk.badges import store as badges_store
from kiosk.certificates import store as certificates_store
from sync import state as sync_state
from sync.store import Migration


def all_migrations() -> list[Migration]:
    """Every area's store migrations, in the order they are applied: a list of sync.store.Migration.

    Both roles' tables are made in every store: a terminal's role can change at
    re-provisioning, and empty tables cost nothing.
    """
    migrations: list[Migration] = []
    migrations += sync_state.MIGRATIONS
    migrations += kiosk_store.MIGRATIONS
    migrations += certificates_store.MIGRATIONS
    migrations += badges_store.MIGRATIONS
    migrations += dropbox_journal.MIGRATIONS
    return migrations
