"""Start-up benchmark: `srx --help`, and a new gunicorn worker's first catalogue page and first search.

Run: .venv/bin/python -m bench startup [--docs 100000] [--repeat 5] [--plain] [--out FILE]

- `srx --help`: wall time of the command in a fresh process, the median of --repeat runs (target 0.5 s).
- A new worker: a demo instance whose FTS5 index holds --docs synthetic documents (`bench.search.generate`)
  beside the demo's own, served by gunicorn with one worker. Once it served a page, the bench stops that
  worker (SIGTERM to its pid); gunicorn forks a fresh one, and the bench times that worker's first
  catalogue page and then its first search with text and a facet filter (target 200 ms each). With the
  repository's gunicorn.conf.py the worker forks from a master that loaded and warmed the app; `--plain`
  runs gunicorn's defaults (the worker imports and builds the app itself) for comparison.
It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .serve import PYTHON, ROOT, Gunicorn, Instance, get, machine

TARGETS = {"srx_help_s": 0.5, "first_page_ms": 200.0, "first_search_ms": 200.0}
SEARCH_PATH = "/catalogue?q=voedselbank&municipality=Amsterdam"
BOOT_RE = re.compile(r"Booting worker with pid: (\d+)")


def srx_help(repeat: int) -> dict[str, Any]:
    srx = Path(PYTHON).with_name("srx")
    cmd = [str(srx), "--help"] if srx.exists() else [PYTHON, "-m", "marketplace.cli", "--help"]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=True, timeout=120)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    # On a busy machine the wall time is mostly waiting for a core; the CPU time is what the command costs.
    return {
        "median_s": round(statistics.median(times), 3),
        "median_cpu_s": round(statistics.median(cpu), 3),
        "runs_s": [round(t, 3) for t in times],
    }


def build_index(inst: Instance, docs: int) -> float:
    """Add `docs` synthetic documents to the instance's FTS5 index (after the demo's own); seconds."""
    code = f"""
import time
from bench.search import generate
from search import make_backend
backend = make_backend("fts5", sqlite_path={str(inst.dir / "search.sqlite3")!r})
backend.setup()
t0 = time.perf_counter()
batch = []
for doc in generate({docs}):
    batch.append(doc)
    if len(batch) == 5000:
        backend.upsert(batch)
        batch = []
if batch:
    backend.upsert(batch)
print(time.perf_counter() - t0)
print(backend.count())
"""
    out = inst.python(code).split()
    return float(out[0])


def _workers(log: Path) -> list[int]:
    return [int(p) for p in BOOT_RE.findall(log.read_text())]


def _timed_get(port: int, path: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    status, _ = get(port, path, timeout=120)
    return status, (time.perf_counter() - t0) * 1000


def new_worker(inst: Instance, *, plain: bool) -> dict[str, Any]:
    server = Gunicorn(inst, workers=1, config=None) if plain else Gunicorn(inst, workers=1)
    t0 = time.perf_counter()
    server.start(ready_path="/favicon.ico", timeout=600)
    try:
        status, first_ms = _timed_get(server.port, "/catalogue")
        start_to_page = time.perf_counter() - t0
        old = _workers(server.log)
        os.kill(old[-1], signal.SIGTERM)
        deadline = time.time() + 120
        while time.time() < deadline and len(_workers(server.log)) <= len(old):
            time.sleep(0.01)
        if not plain:  # the conf logs "worker N ready" once the worker accepts
            ready = f"worker {_workers(server.log)[-1]} ready"
            while time.time() < deadline and ready not in server.log.read_text():
                time.sleep(0.01)
        s1, page_ms = _timed_get(server.port, "/catalogue")
        s2, search_ms = _timed_get(server.port, SEARCH_PATH)
        s3, again_ms = _timed_get(server.port, SEARCH_PATH)
    finally:
        server.stop()
    return {
        "settings": "gunicorn defaults (sync, no preload)"
        if plain
        else "gunicorn.conf.py (preload, warm-up)",
        "server_start_to_first_page_s": round(start_to_page, 2),
        "first_page_of_server_ms": round(first_ms, 1),
        "new_worker_first_page_ms": round(page_ms, 1),
        "new_worker_first_search_ms": round(search_ms, 1),
        "second_search_ms": round(again_ms, 1),
        "statuses": [status, s1, s2, s3],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench startup", description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000, help="synthetic documents in the FTS5 index")
    ap.add_argument("--repeat", type=int, default=5, help="runs of `srx --help`")
    ap.add_argument("--plain", action="store_true", help="also measure gunicorn's defaults (no preload)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "startup.json"))
    args = ap.parse_args(argv)
    results: dict[str, Any] = {"machine": machine(), "targets": TARGETS, "docs": args.docs}
    print("… srx --help", file=sys.stderr, flush=True)
    results["srx_help"] = srx_help(args.repeat)
    inst = Instance()
    try:
        print("… preparing a demo instance", file=sys.stderr, flush=True)
        inst.prepare()
        print(f"… indexing {args.docs:,} synthetic documents", file=sys.stderr, flush=True)
        results["index_seconds"] = round(build_index(inst, args.docs), 1)
        results["workers"] = []
        for plain in (False, True) if args.plain else (False,):
            print(f"… a new worker ({'plain' if plain else 'gunicorn.conf.py'})", file=sys.stderr, flush=True)
            results["workers"].append(new_worker(inst, plain=plain))
    finally:
        results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        inst.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten to {out}")
    return 0


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"startup: {r['docs']:,} documents, {m['cpus']} CPUs, load average {m['load_average'][0]} at start, "
        f"{m['load_average_at_end'][0]} at end",
        "",
        "| measure | value | target |",
        "|---|---:|---:|",
        f"| `srx --help`, wall (median of {len(r['srx_help']['runs_s'])}) | {r['srx_help']['median_s']:.2f} s | 0.5 s |",
        f"| `srx --help`, CPU | {r['srx_help']['median_cpu_s']:.2f} s | |",
    ]
    for w in r.get("workers", []):
        s = w["settings"]
        lines += [
            f"| server start to first catalogue page, {s} | {w['server_start_to_first_page_s']:.2f} s | |",
            f"| new worker: first catalogue page, {s} | {w['new_worker_first_page_ms']:.0f} ms | 200 ms |",
            f"| new worker: first search, {s} | {w['new_worker_first_search_ms']:.0f} ms | 200 ms |",
            f"| the same search again, {s} | {w['second_search_ms']:.0f} ms | |",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
