"""``make bench``: run every bench/bench_*.py and print its figures.

Each module has ``main() -> None`` that prints lines of the form
``name: value unit (context)``.  ``python -m bench store`` runs only
bench_store.py.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(i.name for i in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if i.name.startswith("bench_"))
    wanted = [f"bench_{a}" for a in argv] or names
    for name in wanted:
        if name not in names:
            print(f"no benchmark {name}; have: {', '.join(names)}", file=sys.stderr)
            return 2
    for name in wanted:
        print(f"== {name[6:]}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


raise SystemExit(main(sys.argv[1:]))
