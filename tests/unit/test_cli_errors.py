"""The command line answers a newcomer's mistakes in one clear line with exit status 1, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRX = [sys.executable, "-m", "marketplace.cli"]


def _srx(tmp_path: Path, *args: str, database: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database or f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "SEARCH_SQLITE_PATH": str(tmp_path / "search.sqlite3"),
        "EVIDENCE_PATH": str(tmp_path / "evidence"),
    }
    return subprocess.run([*SRX, *args], env=env, capture_output=True, text=True, timeout=120)


def test_a_command_on_an_unmigrated_database_says_what_to_run(tmp_path: Path) -> None:
    done = _srx(tmp_path, "contracts", "advance")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "srx db upgrade" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_seeding_a_database_with_data_mentions_if_empty(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seeded.sqlite3'}"
    assert _srx(tmp_path, "db", "upgrade", database=url).returncode == 0
    assert _srx(tmp_path, "seed", database=url).returncode == 0
    again = _srx(tmp_path, "seed", database=url)
    assert again.returncode == 1 and "--if-empty" in again.stderr and "Traceback" not in again.stderr
    assert _srx(tmp_path, "seed", "--if-empty", database=url).returncode == 0


@pytest.mark.parametrize("day", ["2026-13-01", "gisteren"])
def test_a_bad_date_option_is_one_line(tmp_path: Path, day: str) -> None:
    done = _srx(tmp_path, "contracts", "advance", "--today", day)
    assert done.returncode != 0 and "YYYY-MM-DD" in done.stderr and "Traceback" not in done.stderr
