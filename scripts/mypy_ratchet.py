"""Type checks with a ratchet: the error count of each target may only go down.

    .venv/bin/python scripts/mypy_ratchet.py          # check (make lint runs this)
    .venv/bin/python scripts/mypy_ratchet.py --update # after fixing errors: lower the stored counts

Targets and their counts live in scripts/mypy-ratchet.json. A target with count 0 must stay at 0.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scripts" / "mypy-ratchet.json"
FOUND = re.compile(r"Found (\d+) errors? in")


def errors(args: list[str]) -> tuple[int, str]:
    run = subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True)
    out = run.stdout + run.stderr
    if run.returncode == 0:
        return 0, out
    found = FOUND.search(out)
    if found is None:  # mypy itself failed (bad config, crash): never pass silently
        raise SystemExit(f"mypy {' '.join(args)} did not run:\n{out}")
    return int(found.group(1)), out


def main(update: bool) -> int:
    baseline: dict[str, int] = json.loads(BASELINE.read_text())
    status = 0
    for target, allowed in baseline.items():
        count, out = errors(target.split())
        if count > allowed:
            print(out)
            print(f"mypy {target}: {count} errors, more than the {allowed} allowed; fix the new ones.")
            status = 1
        elif count < allowed:
            print(
                f"mypy {target}: {count} errors (ratchet at {allowed}); "
                + ("lowered." if update else "run scripts/mypy_ratchet.py --update to lower it.")
            )
            baseline[target] = count
        else:
            print(f"mypy {target}: {count} errors (ratchet at {allowed}).")
    if update and status == 0:
        BASELINE.write_text(json.dumps(baseline, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main("--update" in sys.argv[1:]))
