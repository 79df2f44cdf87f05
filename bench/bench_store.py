"""Local store: durable single-row commits per second (WAL, synchronous=FULL)."""

import tempfile
import time
from pathlib import Path

from sync.store import Migration, open_store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "t.db", [Migration("b", 1, "CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT)")])
        n = 2000
        started = time.perf_counter()
        for i in range(n):
            with store.write():
                store.conn.execute("INSERT INTO b (v) VALUES (?)", (f"row {i}",))
        elapsed = time.perf_counter() - started
        print(f"store durable single-row commits: {n / elapsed:,.0f} /s ({n} commits)")
        store.close()
