"""The benchmarks stay runnable: their modules import and their commands answer --help (nothing is timed)."""

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_pages_reports_the_median_round_and_every_rounds_figure() -> None:
    from bench.pages import _median_run

    runs = [{"rps": 300.0, "p50_ms": 1}, {"rps": 150.0, "p50_ms": 2}, {"rps": 330.0, "p50_ms": 3}]
    chosen = _median_run(runs)
    assert (chosen["rps"], chosen["p50_ms"]) == (300.0, 1)
    assert chosen["rounds_rps"] == [300.0, 150.0, 330.0]
    assert _median_run(runs[:2])["rps"] == 150.0  # the lower middle of an even number: no flattering


def test_gunicorn_cpu_seconds_counts_the_server_and_its_workers(tmp_path: Any) -> None:
    import time

    from bench.serve import Gunicorn

    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc on this system: the CPU figure is Linux's")
    server = Gunicorn.__new__(Gunicorn)
    # A parent that burns CPU in a child: the child's time counts while it runs and after it ended.
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(30_000_000))']); input()"
    server.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    try:
        time.sleep(0.1)
        before = server.cpu_seconds()
        deadline = time.time() + 30
        while server.cpu_seconds() - before < 0.3 and time.time() < deadline:
            time.sleep(0.1)
        assert server.cpu_seconds() - before >= 0.3
    finally:
        server.proc.kill()
        server.proc.wait()
