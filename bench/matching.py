"""Benchmark of the matching library: recommendation latency, training time, planner time.

    .venv/bin/python -m bench.matching            # full run, writes bench/results/matching.json
    .venv/bin/python -m bench.matching --quick    # smaller repeats, for a smoke test
    .venv/bin/python -m bench.matching --learning # only the learning curves on the synthetic rules

Recommendation latency covers one request end to end: candidate retrieval, taking the rows from the
catalogue, features, scoring, and the top 10 with their reasons. Two retrieval paths are measured:

- "db": all open candidates eligible for the contract's government, from SQLite (the embedded default), as
  the marketplace does for the recommendation page. The search API clamps ``per_page`` to 100 (search/base.py
  MAX_PER_PAGE), so a full candidate set cannot come from one search call; paging through 1,000 pages for
  100k candidates is not a serious option, so the full set is read from the database table directly, as row
  numbers in one statement.
- "db+cache": the same rows, cached per process and re-read only when a version counter in the database
  moved; each request still makes one query.
- "search": the company typed a query; the FTS5 backend returns its best 100 eligible hits (one page) with
  their scores, and those are ranked. Measured when search/fts5.py is importable.

The catalogue (``CandidateSet`` with TF-IDF rows) is built once per process, like the search index; its
build time is reported separately.

Learning (``--learning``, a run of its own, written to ``results/matching-learning.json``): on decisions from the stated officer rules A and B
(``matching.synthetic``), NDCG@10 of the model, the prior and random after 50 ... 1,000 decisions
(``matching.learning_curve`` over every shown candidate), per seed and averaged; the gate's own evaluation
(``evaluate_rankings``, GroupKFold over the first 300 decisions); and the pledge-list evaluation
``srx evaluate`` computes, beside the all-candidates one, on the same decisions. Benchmarks print tables and
assert nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from matching import (
    ApprovalStats,
    CandidateSet,
    PlanOption,
    Recommender,
    evaluate,
    evaluate_rankings,
    learning_curve,
    plan,
    train,
)
from matching.model import library_versions
from matching.synthetic import RULE_A, RULE_B, make_candidates, make_context, make_decisions, make_rule_world

RESULTS = Path(__file__).resolve().parent / "results" / "matching.json"
GOVERNMENT = "amsterdam"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(q / 100 * (len(s) - 1)))))
    return s[k]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------------------
# World


class Catalogue:
    """N eligible candidates plus 10% eligible elsewhere, in SQLite and as a CandidateSet."""

    def __init__(self, n: int, seed: int = 0) -> None:
        extra = n // 10
        cands = make_candidates(n + extra, seed=seed, n_initiatives=max(1, (n + extra) // 4))
        self.candidates = cands
        self.government_of = {c.id: (GOVERNMENT if i < n else "utrecht") for i, c in enumerate(cands)}
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        # rowid = catalogue position + 1, as a marketplace would key its catalogue by need id
        self.db.execute(
            "CREATE TABLE candidate (rowid INTEGER PRIMARY KEY, id TEXT, government TEXT, open INTEGER)"
        )
        self.db.execute("CREATE INDEX candidate_gov ON candidate (government, open)")
        self.db.executemany(
            "INSERT INTO candidate VALUES (?, ?, ?, 1)",
            [(i + 1, c.id, self.government_of[c.id]) for i, c in enumerate(cands)],
        )
        self.db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER)")
        self.db.execute("INSERT INTO meta VALUES ('candidates_version', 1)")
        self.db.commit()
        self._cached: dict[str, tuple[int, np.ndarray]] = {}
        t0 = time.perf_counter()
        self.set = CandidateSet.from_candidates(cands, index_text=True)
        self.build_seconds = time.perf_counter() - t0

    def eligible_positions(self, government: str) -> np.ndarray:
        """Catalogue positions of the open candidates eligible for ``government``, in one SQL statement.

        group_concat keeps the 100k-row answer in C; fetching 100k Python rows costs ~100 ms by itself.
        """
        (csv,) = self.db.execute(
            "SELECT group_concat(rowid) FROM candidate WHERE government = ? AND open = 1", (government,)
        ).fetchone()
        if not csv:
            return np.zeros(0, dtype=np.int64)
        return np.array(csv.split(","), dtype=np.int64) - 1

    def eligible_positions_cached(self, government: str) -> np.ndarray:
        """The same answer, re-read only when the table's version counter moved (one tiny query per request).

        This is how the FTS5 backend keeps its facet cache; the marketplace would bump the counter in the
        transaction that opens, closes or re-scopes a need (its outbox already marks those changes).
        """
        (version,) = self.db.execute("SELECT value FROM meta WHERE key = 'candidates_version'").fetchone()
        hit = self._cached.get(government)
        if hit is None or hit[0] != version:
            hit = (version, self.eligible_positions(government))
            self._cached[government] = hit
        return hit[1]

    def documents(self) -> list[Any]:
        from search import Document

        return [
            Document(
                id=c.id,
                type="need",
                title=c.title,
                text=c.text,
                kind="initiative",
                need_kinds=(c.kind,),
                themes=c.themes,
                municipality="Amsterdam",
                eligible_for=(self.government_of[c.id],),
                lat=c.lat,
                lon=c.lon,
                initiative_id=None,
            )
            for c in self.candidates
        ]


def _contexts(k: int) -> list[Any]:
    return [make_context(i, seed=99, as_of=datetime(2025, 6, 1)) for i in range(k)]


# ---------------------------------------------------------------------------------------------------------
# Recommendation latency


def bench_recommend_db(
    cat: Catalogue, recommender: Recommender, repeats: int, *, cached: bool = False
) -> dict[str, Any]:
    contexts = _contexts(repeats + 2)
    retrieve = cat.eligible_positions_cached if cached else cat.eligible_positions
    stages: dict[str, list[float]] = {"retrieve": [], "select": [], "rank": [], "total": []}
    n_candidates = 0
    for i, ctx in enumerate(contexts):
        t0 = time.perf_counter()
        ids = retrieve(ctx.government)
        t1 = time.perf_counter()
        subset = cat.set.take(ids, np.zeros(len(ids)))  # no typed query: no search scores
        t2 = time.perf_counter()
        recs = recommender.rank(ctx, subset, limit=10)
        t3 = time.perf_counter()
        _ = [r.text for rec in recs for r in rec.reasons]  # the reasons are rendered too
        t4 = time.perf_counter()
        if i < 2:  # warm-up
            continue
        n_candidates = len(ids)
        stages["retrieve"].append(t1 - t0)
        stages["select"].append(t2 - t1)
        stages["rank"].append(t3 - t2 + t4 - t3)
        stages["total"].append(t4 - t0)
    return {
        "candidates": n_candidates,
        "p50_ms": _ms(_pct(stages["total"], 50)),
        "p95_ms": _ms(_pct(stages["total"], 95)),
        "median_ms": {k: _ms(statistics.median(v)) for k, v in stages.items()},
        "repeats": len(stages["total"]),
    }


def bench_recommend_search(cat: Catalogue, recommender: Recommender, repeats: int) -> dict[str, Any] | None:
    try:
        from search import Query, make_backend
    except ImportError as exc:  # search/ not available
        return {"skipped": f"search not importable: {exc}"}
    import tempfile

    tmp = tempfile.mkdtemp(prefix="bench-matching-")
    backend = make_backend("fts5", sqlite_path=os.path.join(tmp, "search.sqlite3"))
    if hasattr(backend, "setup"):
        backend.setup()
    docs = cat.documents()
    _, index_seconds = _timed(lambda: backend.reindex(docs))
    words = ["voedselbank", "jongeren sport", "taal", "buurt vrijwilligers", "schulden", "school huiswerk"]
    contexts = _contexts(repeats + 2)
    totals, searches, ranks = [], [], []
    hits_seen = 0
    for i, ctx in enumerate(contexts):
        q = Query(text=words[i % len(words)], filters={"eligible_for": [ctx.government]}, per_page=100)
        t0 = time.perf_counter()
        result = backend.search(q)
        t1 = time.perf_counter()
        ids = [h.document.id for h in result.hits]
        scores = [h.score for h in result.hits]
        subset = cat.set.select(ids, scores)
        recs = recommender.rank(ctx, subset, limit=10)
        _ = [r.text for rec in recs for r in rec.reasons]
        t2 = time.perf_counter()
        if i < 2:
            continue
        hits_seen = len(ids)
        totals.append(t2 - t0)
        searches.append(t1 - t0)
        ranks.append(t2 - t1)
    # full retrieval by paging (per_page is clamped to 100), measured once
    full_seconds = None
    if len(docs) <= 20_000:
        t0 = time.perf_counter()
        page, got = 1, 0
        while True:
            r = backend.search(
                Query(text="", filters={"eligible_for": [GOVERNMENT]}, per_page=100, page=page)
            )
            got += len(r.hits)
            if len(r.hits) < 100 or got >= r.total:
                break
            page += 1
        full_seconds = time.perf_counter() - t0
    if hasattr(backend, "close"):
        backend.close()
    return {
        "hits": hits_seen,
        "p50_ms": _ms(_pct(totals, 50)),
        "p95_ms": _ms(_pct(totals, 95)),
        "median_ms": {"search": _ms(statistics.median(searches)), "rank": _ms(statistics.median(ranks))},
        "index_seconds": round(index_seconds, 2),
        "full_retrieval_by_paging_ms": None if full_seconds is None else _ms(full_seconds),
        "repeats": len(totals),
    }


# ---------------------------------------------------------------------------------------------------------
# Training and planning


def bench_training(n: int, seed: int = 0) -> dict[str, Any]:
    world, gen_seconds = _timed(lambda: make_decisions(n, seed=seed))
    (model, card), seconds = _timed(lambda: train(world.records))
    return {
        "decisions": n,
        "seconds": round(seconds, 2),
        "generate_seconds": round(gen_seconds, 2),
        "model_type": card["model_type"],
        "ndcg@10_learned": round(card["metrics"]["learned"]["ndcg@10"], 4),
        "ndcg@10_prior": round(card["metrics"]["prior"]["ndcg@10"], 4),
        "ndcg@10_random": round(card["metrics"]["random"]["ndcg@10"], 4),
        "beats_prior": card["beats_prior"],
        "_model": model,
        "_world": world,
    }


def bench_planner(n: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    cands = make_candidates(n, seed=seed + 5)
    times, methods, gaps = [], [], []
    for r in range(repeats):
        ctx = make_context(r, seed=seed)
        options = [
            PlanOption(c.id, c.unit_value_cents, c.open_units, float(rng.random()), c.route) for c in cands
        ]
        p, seconds = _timed(lambda c=ctx, o=options: plan(c.remaining_cents, o, route_order=c.route_order))
        times.append(seconds)
        methods.append(p.method)
        gaps.append(p.shortfall_cents + p.overshoot_cents)
    return {
        "options": n,
        "p50_ms": _ms(_pct(times, 50)),
        "p95_ms": _ms(_pct(times, 95)),
        "method": max(set(methods), key=methods.count),
        "max_gap_cents": int(max(gaps)),
        "repeats": repeats,
    }


# ---------------------------------------------------------------------------------------------------------
# Learning on the synthetic officer rules


def bench_learning(seeds: list[int], total: int = 1500) -> dict[str, Any]:
    """Learning curves (all shown candidates, graded gains) on rules A and B, per seed and averaged."""
    out: dict[str, Any] = {"total_decisions": total, "seeds": seeds, "rules": {}}
    for rule in (RULE_A, RULE_B):
        per_seed = []
        for seed in seeds:
            world = make_rule_world(total, rule, seed=seed)
            curve = learning_curve(world.records, world.shown)
            head = sorted(world.records, key=lambda r: r.decided_at)[:300]
            gate = evaluate_rankings(head, world.shown)
            pledges = evaluate(world.records[:600])
            shown = evaluate_rankings(world.records[:600], world.shown)
            per_seed.append(
                {
                    "seed": seed,
                    "curve": curve,
                    "gate_300": {k: gate[k] for k in ("learned", "prior", "random", "gain", "beats_prior")},
                    "pledges_600": {k: pledges[k] for k in ("learned", "prior", "gain")},
                    "shown_600": {k: shown[k] for k in ("learned", "prior", "gain")},
                }
            )
        sizes = sorted({row["n_decisions"] for s in per_seed for row in s["curve"]})
        mean = []
        for n in sizes:
            rows = [row for s in per_seed for row in s["curve"] if row["n_decisions"] == n]
            gains = [row["gain"] for row in rows]
            mean.append(
                {
                    "n_decisions": n,
                    "learned": round(statistics.mean(r["learned"] for r in rows), 3),
                    "prior": round(statistics.mean(r["prior"] for r in rows), 3),
                    "random": round(statistics.mean(r["random"] for r in rows), 3),
                    "gain_mean": round(statistics.mean(gains), 3),
                    "gain_min": round(min(gains), 3),
                    "gain_max": round(max(gains), 3),
                    "seeds_beating_prior": sum(1 for r in rows if r["beats_prior"]),
                    "seeds": len(rows),
                }
            )
        out["rules"][rule.name] = {"rule": rule.describe(), "mean": mean, "per_seed": per_seed}
    return out


def print_learning(result: dict[str, Any]) -> None:
    for name, r in result["rules"].items():
        print(f"\n{r['rule']}")
        print(
            "| after N decisions | model | prior | random | gain: mean (min..max) | seeds whose lower bound > 0 |"
        )
        print("|---:|---:|---:|---:|---|---:|")
        for row in r["mean"]:
            print(
                f"| {row['n_decisions']:,} | {row['learned']} | {row['prior']} | {row['random']} | "
                f"{row['gain_mean']:+.3f} ({row['gain_min']:+.3f}..{row['gain_max']:+.3f}) | "
                f"{row['seeds_beating_prior']} of {row['seeds']} |"
            )
        print(f"{name}, per seed at 300 decisions: model [interval] / prior [interval], gain [interval]")
        for s in r["per_seed"]:
            row = next((x for x in s["curve"] if x["n_decisions"] == 300), None)
            g = s["gate_300"]["gain"]
            p6, s6 = s["pledges_600"], s["shown_600"]
            if row is not None:
                print(
                    f"  seed {s['seed']}: curve {row['learned']:.3f} [{row['learned_interval'][0]:.3f}, "
                    f"{row['learned_interval'][1]:.3f}] / {row['prior']:.3f} [{row['prior_interval'][0]:.3f}, "
                    f"{row['prior_interval'][1]:.3f}], gain {row['gain']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]"
                    f"; gate (CV over the first 300) {g['ndcg@10']:+.3f} [{g['low']:+.3f}, {g['high']:+.3f}]"
                    f"; 600 decisions: pledge lists {p6['gain']['ndcg@10']:+.3f} "
                    f"[{p6['gain']['low']:+.3f}, {p6['gain']['high']:+.3f}] vs all shown "
                    f"{s6['gain']['ndcg@10']:+.3f} [{s6['gain']['low']:+.3f}, {s6['gain']['high']:+.3f}]"
                )


# ---------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats and no 100k training")
    ap.add_argument("--no-search", action="store_true", help="skip the FTS5 retrieval path")
    ap.add_argument("--learning", action="store_true", help="only the learning curves on the synthetic rules")
    ap.add_argument("--seeds", default="1,2,3,4,5,6,7,8", help="seeds of the learning worlds")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    if args.learning:
        learning = bench_learning(seeds)
        print_learning(learning)
        path = args.output.with_name("matching-learning.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(learning, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")
        return 0

    repeats = {1_000: 40, 10_000: 30, 100_000: 20} if not args.quick else {1_000: 10, 10_000: 8, 100_000: 5}
    train_sizes = [1_000, 10_000, 100_000] if not args.quick else [1_000, 10_000]
    started = datetime.now()
    load_before = os.getloadavg()
    print(
        f"matching benchmark  python {platform.python_version()}  cpus {os.cpu_count()}  "
        f"load {load_before[0]:.2f}",
        flush=True,
    )

    # training first: the 10k model is also used for latency
    training = []
    model = None
    history = None
    for n in train_sizes:
        row = bench_training(n, seed=n)
        if n == 10_000:
            model, history = row["_model"], row["_world"].records
        training.append({k: v for k, v in row.items() if not k.startswith("_")})
        print(f"  trained on {n:>7,} decisions in {row['seconds']:6.2f} s ({row['model_type']})", flush=True)
    if history is None:
        world = make_decisions(10_000, seed=10_000)
        model, _ = train(world.records)
        history = world.records
    # decisions dated before the benchmark contexts' as_of; shift them onto a real timeline
    base = datetime(2024, 1, 1)
    history = [replace(r, decided_at=base + timedelta(minutes=i)) for i, r in enumerate(history)]
    stats = ApprovalStats(history)

    latency = []
    for n in (1_000, 10_000, 100_000):
        cat = Catalogue(n, seed=n)
        for retrieval, scorer_name, mdl in (
            ("db", "prior", None),
            ("db", "model", model),
            ("db+cache", "prior", None),
            ("db+cache", "model", model),
        ):
            rec = Recommender(model=mdl, history=stats)
            row = bench_recommend_db(cat, rec, repeats[n], cached=retrieval == "db+cache")
            row.update(
                {
                    "retrieval": retrieval,
                    "scorer": rec.scorer_name,
                    "catalogue_build_s": round(cat.build_seconds, 2),
                }
            )
            latency.append(row)
            print(
                f"  {n:>7,} candidates  {retrieval:8} {scorer_name:5}  p50 {row['p50_ms']:7.2f} ms  "
                f"p95 {row['p95_ms']:7.2f} ms  {row['median_ms']}",
                flush=True,
            )
        if not args.no_search and n <= 100_000:
            rec = Recommender(model=model, history=stats)
            row = bench_recommend_search(cat, rec, repeats[n])
            if row is not None:
                row.update({"retrieval": "search", "scorer": rec.scorer_name, "candidates": n})
                latency.append(row)
                if "skipped" in row:
                    print(f"  search skipped: {row['skipped']}", flush=True)
                else:
                    print(
                        f"  {n:>7,} in index    search  model  p50 {row['p50_ms']:7.2f} ms  "
                        f"p95 {row['p95_ms']:7.2f} ms  {row['median_ms']}  index {row['index_seconds']} s  "
                        f"full paging {row['full_retrieval_by_paging_ms']} ms",
                        flush=True,
                    )
        del cat

    planner = [
        bench_planner(50, 10 if not args.quick else 3),
        bench_planner(500, 10 if not args.quick else 3),
    ]
    for row in planner:
        print(
            f"  plan over {row['options']:>4} options  p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms"
            f"  ({row['method']}, worst gap {row['max_gap_cents']} cents)",
            flush=True,
        )

    # --- table
    print()
    print("| measurement | size | p50 ms | p95 ms | notes |")
    print("|---|---:|---:|---:|---|")
    for row in latency:
        if "skipped" in row:
            continue
        note = ", ".join(f"{k} {v}" for k, v in row["median_ms"].items())
        if row["retrieval"] != "search":
            size = f"{row['candidates']:,}"
        else:
            size = f"{row['hits']} hits of {row['candidates']:,}"
        print(
            f"| recommend ({row['retrieval']}, {row['scorer']}) | {size} | {row['p50_ms']} | {row['p95_ms']} "
            f"| median: {note} |"
        )
    for row in training:
        print(
            f"| train (5-fold eval + fit) | {row['decisions']:,} | {row['seconds'] * 1000:.0f} | - | "
            f"{row['model_type']}; NDCG@10 learned {row['ndcg@10_learned']} / prior {row['ndcg@10_prior']}"
            f" / random {row['ndcg@10_random']} |"
        )
    for row in planner:
        print(
            f"| plan | {row['options']} | {row['p50_ms']} | {row['p95_ms']} | {row['method']}, worst gap "
            f"{row['max_gap_cents']} cents |"
        )

    out = {
        "started": started.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "platform": platform.platform(),
        },
        "versions": library_versions(),
        "quick": args.quick,
        "notes": [
            "latency = retrieval + catalogue select + features + scoring + top-10 reasons, one request",
            "db retrieval: one SQLite statement for the eligible open candidates' row numbers (group_concat), "
            "because search per_page is clamped to 100",
            "db+cache retrieval: a version-counter query per request; the eligible rows are re-read only when "
            "the counter moved (as the FTS5 backend does for its facet cache)",
            "search retrieval: FTS5 top-100 eligible hits for a typed query, then ranked",
            "catalogue (CandidateSet with TF-IDF rows) is built once per process; build time in catalogue_build_s",
            "model: additive HistGradientBoosting trained on 10k synthetic decisions; history: 10k decisions",
        ],
        "targets": {"p95_ms_10k": 30, "p95_ms_100k": 150, "train_10k_s": 10, "plan_500_s": 1},
        "recommend": latency,
        "training": training,
        "planner": planner,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
