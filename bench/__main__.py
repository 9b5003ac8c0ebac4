"""`python -m bench [search|matching|pages|approvals|startup] [args]`: run the benchmarks.

Each prints a table and writes JSON to bench/results/. They measure; they assert nothing. `make bench` runs
them all with their default sizes (approvals only when a PostgreSQL URL is known: --database-url,
BENCH_DATABASE_URL or TEST_DATABASE_URL).
"""

import importlib
import sys

BENCHES = ("search", "matching", "pages", "approvals", "startup")


def main(argv: list[str]) -> int:
    which = argv[0] if argv and argv[0] in BENCHES else None
    rest = argv[1:] if which else argv
    status = 0
    for name in (which,) if which else BENCHES:
        module = importlib.import_module(f".{name}", __package__)
        status |= module.main(rest if which else [])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
