"""The benchmarks stay runnable: their modules import and their commands answer --help (nothing is timed)."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["serve", "pages", "approvals", "startup", "search", "matching"])
def test_bench_module_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None) or module.load)


@pytest.mark.parametrize("bench", ["pages", "approvals", "startup"])
def test_bench_command_answers_help(bench: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench", bench, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert f"python -m bench {bench}" in out.stdout
