"""`python -m bench [search|matching] [args]`: run the benchmarks; each prints a table and writes JSON.

They measure; they assert nothing. `make bench` runs both with their default sizes.
"""

import sys

from . import matching, search


def main(argv: list[str]) -> int:
    which = argv[0] if argv and argv[0] in ("search", "matching") else None
    rest = argv[1:] if which else argv
    status = 0
    if which in (None, "search"):
        status |= search.main(rest if which else [])
    if which in (None, "matching"):
        status |= matching.main(rest if which else [])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
