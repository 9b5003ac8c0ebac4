"""Search benchmark: indexing rate, query latency, update visibility, cold start and index size.

Run: .venv/bin/python -m bench search [--backends fts5,postgres] [--sizes 1000,100000,1000000]
     [--queries 300] [--postgres-url URL] [--out bench/results/search.json]

PostgreSQL runs when a URL is given by --postgres-url, TEST_DATABASE_URL or SEARCH_POSTGRES_URL; it
builds its index in a schema of its own (srx_bench_<n>) and drops it afterwards. The cold start is a
fresh subprocess that opens the existing index and times its first search (text and every facet).
It prints a side-by-side table and writes the same figures as JSON. It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from search import Document, Query, SearchBackend, make_backend

SEED = 20240601
# What the issues ask of FTS5 (the bench reports them next to the figures; it checks nothing).
TARGETS = {
    "text_facets_p95_ms_at_1m": 15.0,
    "index_docs_per_s_at_1m": 5000.0,
    "cold_first_search_ms_at_100k": 200.0,
    "update_visible_ms": 100.0,
}
COLD_QUERY = {"text": "voedselbank", "filters": {"municipality": ["Amsterdam"]}}

THEMES = (
    "werk",
    "armoedebestrijding",
    "gezondheidsbevordering",
    "participatie",
    "onderwijs",
    "gezond_opgroeien",
)
NEED_KINDS = ("money", "hours", "expertise", "goods", "internship", "job", "purchase")
KINDS = ("initiative", "social_firm", "sw_company")
TARGET_GROUPS = (
    "jongeren", "ouderen", "statushouders", "mensen_met_beperking", "langdurig_werklozen",
    "laaggeletterden", "gezinnen_in_armoede", "nieuwkomers", "mantelzorgers", "dak_en_thuislozen",
)  # fmt: skip
# municipality -> (lat, lon, regions, weight)
PLACES: dict[str, tuple[float, float, tuple[str, ...], int]] = {
    "Amsterdam": (52.372, 4.900, ("Noord", "Zuidoost", "Nieuw-West", "West", "Oost", "Centrum", "Zuid"), 30),
    "Amersfoort": (52.156, 5.389, ("Centrum", "Vathorst", "Kattenbroek", "Schothorst", "Liendert"), 10),
    "Soest": (52.173, 5.292, ("Soest-Zuid", "Soesterberg", "Centrum"), 4),
    "Baarn": (52.211, 5.288, ("Centrum", "Lage Vuursche"), 3),
    "Utrecht": (52.091, 5.122, ("Overvecht", "Kanaleneiland", "Zuilen", "Leidsche Rijn"), 12),
    "Leiden": (52.160, 4.497, ("Merenwijk", "Stevenshof", "Centrum"), 5),
    "Schiedam": (51.919, 4.399, ("Nieuwland", "Oost", "Groenoord"), 4),
    "Tilburg": (51.560, 5.091, ("Noord", "Reeshof", "Oud-Zuid"), 7),
    "Harlingen": (53.174, 5.423, ("Centrum",), 2),
    "Den Haag": (52.070, 4.300, ("Schilderswijk", "Transvaal", "Escamp", "Laak"), 14),
    "Rotterdam": (51.922, 4.479, ("Delfshaven", "Feijenoord", "Charlois", "Noord"), 16),
    "Súdwest-Fryslân": (53.033, 5.659, ("Sneek", "Bolsward"), 3),
}
ACTIVITIES = (
    "Voedselbank", "Taalcafé", "Repair Café", "Kringloopwinkel", "Huiswerkbegeleiding", "Buurtmoestuin",
    "Schuldhulpmaatjes", "Kledingbank", "Speelotheek", "Buurtsportcoach", "Computerles", "Fietsenwerkplaats",
    "Kookstudio", "Wijkrestaurant", "Inloophuis", "Jongerenwerk", "Leerwerkbedrijf", "Sociale Firma",
    "Naaiatelier", "Zorgboerderij", "Klussendienst", "Maatjesproject", "Voorleesexpress", "Digitaal Café",
)  # fmt: skip
NAMES = (
    "De Brug", "Het Anker", "De Zonnebloem", "Noorderlicht", "De Kim", "Het Baken", "De Schakel", "Samen Sterk",
    "De Vonk", "Het Trefpunt", "De Boog", "Buurtkracht", "De Werkplaats", "Op Eigen Kracht", "De Ontmoeting",
)  # fmt: skip
NEED_TITLES = {
    "money": ("Bijdrage voor {a}", "Financiering nieuwe {o} voor {a}"),
    "hours": ("Vrijwilligers gezocht voor {a}", "Handen nodig bij {a} {n}"),
    "expertise": ("Advies over {t} voor {a}", "Expertise {t} gevraagd"),
    "goods": ("Donatie {o} voor {a}", "Tweedehands {o} gezocht"),
    "internship": ("Stageplek bij {a} {n}", "Leerwerkplek {t}"),
    "job": ("Werkervaringsplek {a}", "Baan met begeleiding bij {a}"),
    "purchase": ("Inkoop catering bij {a}", "Bestel onze {o} bij {a}"),
}
OBJECTS = (
    "laptops", "bureaustoelen", "kookgerei", "fietsen", "naaimachines", "gereedschap", "verf", "schoolspullen",
    "winterjassen", "speelgoed", "tuingereedschap", "koelkasten", "bedrijfsbus", "kantoorruimte", "lunches",
)  # fmt: skip
TOPICS = (
    "boekhouding", "marketing", "fondsenwerving", "ICT", "juridisch advies", "subsidieaanvragen", "fotografie",
    "websitebouw", "logistiek", "personeelsbeleid", "veiligheid", "duurzaamheid", "communicatie",
)  # fmt: skip
SENTENCES = (
    "Wij helpen {g} in {p} met {x}.",
    "Elke week komen bewoners samen om te {v}.",
    "Het project draait op vrijwilligers en een kleine vaste kern.",
    "Deelnemers doen werkervaring op en bouwen een netwerk op in de wijk.",
    "We zoeken bedrijven die willen bijdragen met {x}.",
    "Sinds de start hebben we honderden {g} bereikt.",
    "De activiteiten vinden plaats in het buurthuis aan de {s}.",
    "Samen met de gemeente en woningcorporaties werken we aan {x}.",
    "Ons doel: minder eenzaamheid, meer zelfredzaamheid en een gezonde leefstijl.",
    "Met uw steun kunnen we {y} extra plekken aanbieden.",
    "Begeleiding gebeurt door ervaren jobcoaches en ervaringsdeskundigen.",
    "Ook statushouders en nieuwkomers zijn van harte welkom.",
    "Wij leveren {o} tegen een eerlijke prijs en bieden werk aan mensen met afstand tot de arbeidsmarkt.",
)  # fmt: skip
VERBS = (
    "koken",
    "tuinieren",
    "repareren",
    "sporten",
    "lezen",
    "taal oefenen",
    "naaien",
    "klussen",
    "leren programmeren",
)
XS = (
    "taalles", "schuldhulp", "voedselpakketten", "huiswerkbegeleiding", "sportactiviteiten", "een warme maaltijd",
    "digitale vaardigheden", "werk en inkomen", "gezonde voeding", "beweging", "opvoedondersteuning",
)  # fmt: skip
STREETS = ("Dorpsstraat", "Kerkweg", "Molenlaan", "Stationsplein", "Beukenlaan", "Havenkade", "Schoolstraat")
TEXT_QUERIES = (
    "voedselbank", "taalcafe", "repair cafe", "kringloop", "huiswerkbegeleiding", "moestuin", "schuldhulp",
    "kledingbank", "stageplek", "vrijwilligers", "laptops", "fietsen", "koken", "jongeren", "statushouders",
    "werkervaring", "zorgboerderij", "sociale firma", "catering", "boekhouding", "voedselbank noord",
    "taalcafe de brug", "naaiatelier", "digitaal", "computerles",
    # partial words, as typed
    "voedsel", "taal", "huisw", "kringl", "vrijwil",
    # typos
    "voedselbnk", "huiswerkbegeleidng", "kringlop", "vrijwiligers", "schuldhlp",
)  # fmt: skip


def _pick(rng: random.Random, values: tuple[str, ...], k_max: int) -> tuple[str, ...]:
    return tuple(sorted(rng.sample(values, rng.randint(1, k_max))))


def generate(n: int, seed: int = SEED) -> Iterator[Document]:
    """A reproducible synthetic catalogue of n initiatives and needs (about 1 initiative to 3 needs)."""
    rng = random.Random(seed)
    munis = list(PLACES)
    weights = [PLACES[m][3] for m in munis]
    today = date(2025, 1, 1)
    initiative = None
    ini_id = need_id = 0
    for i in range(n):
        if initiative is None or i % 4 == 0:
            ini_id += 1
            muni = rng.choices(munis, weights)[0]
            lat0, lon0, regions, _ = PLACES[muni]
            act = rng.choice(ACTIVITIES)
            name = rng.choice(NAMES) if rng.random() < 0.6 else rng.choice(regions)
            title = f"{act} {name}"
            kind = rng.choices(KINDS, (70, 22, 8))[0]
            themes = _pick(rng, THEMES, 3)
            groups = _pick(rng, TARGET_GROUPS, 3)
            eligible = tuple(
                sorted({muni.lower().replace(" ", "-")} | ({"rijk"} if rng.random() < 0.2 else set()))
            )
            lat = lat0 + rng.uniform(-0.05, 0.05)
            lon = lon0 + rng.uniform(-0.07, 0.07)
            has_geo = rng.random() < 0.9
            region = rng.choice(regions)
            initiative = dict(title=title, muni=muni, region=region, act=act, kind=kind, themes=themes,
                              groups=groups, eligible=eligible, lat=lat if has_geo else None,
                              lon=lon if has_geo else None, id=ini_id, need_kinds=[])  # fmt: skip
            text = _text(rng, initiative)
            yield Document(
                id=f"initiative:{ini_id}", type="initiative", title=title, text=text, kind=kind,
                need_kinds=tuple(sorted(rng.sample(NEED_KINDS, rng.randint(0, 3)))), themes=themes,
                municipality=muni, region=region, target_groups=groups, eligible_for=eligible,
                lat=initiative["lat"], lon=initiative["lon"], initiative_id=ini_id,
                payload={"slug": f"{act}-{name}".lower().replace(" ", "-"), "initiative_id": ini_id},
            )  # fmt: skip
            continue
        need_id += 1
        nk = rng.choice(NEED_KINDS)
        tmpl = rng.choice(NEED_TITLES[nk])
        title = tmpl.format(
            a=initiative["act"], n=rng.choice(NAMES), o=rng.choice(OBJECTS), t=rng.choice(TOPICS)
        )
        deadline = None if rng.random() < 0.15 else (today + timedelta(days=rng.randint(0, 540))).isoformat()
        yield Document(
            id=f"need:{need_id}", type="need", title=title, text=_text(rng, initiative), kind=initiative["kind"],
            need_kinds=(nk,), themes=tuple(t for t in initiative["themes"] if rng.random() < 0.8) or initiative["themes"][:1],
            municipality=initiative["muni"], region=initiative["region"], target_groups=initiative["groups"],
            eligible_for=initiative["eligible"], lat=initiative["lat"], lon=initiative["lon"], deadline=deadline,
            initiative_id=initiative["id"], payload={"open_capacity": rng.randint(1, 40), "initiative_id": initiative["id"]},
        )  # fmt: skip


def _text(rng: random.Random, ini: dict[str, Any]) -> str:
    parts = [f"{ini['title']} is actief in {ini['muni']} {ini['region']}."]
    for s in rng.sample(SENTENCES, rng.randint(3, 6)):
        parts.append(
            s.format(
                g=rng.choice(
                    ("jongeren", "ouderen", "gezinnen", "buurtbewoners", "statushouders", "werkzoekenden")
                ),
                p=ini["region"],
                x=rng.choice(XS),
                v=rng.choice(VERBS),
                s=rng.choice(STREETS),
                y=rng.randint(5, 60),
                o=rng.choice(OBJECTS),
            )  # fmt: skip
        )
    # A few rarer words make a realistic long-tail vocabulary (names, streets, numbers).
    parts.append(f"Contact: {rng.choice(('Fatima', 'Jan', 'Sanne', 'Mohamed', 'Els', 'Kees', 'Yusuf', 'Ineke'))}"
                 f" {rng.choice(('de Vries', 'Bakker', 'El Amrani', 'Jansen', 'Visser', 'Yilmaz'))}, ref {rng.randint(1000, 99999)}.")  # fmt: skip
    return " ".join(parts)


def _filters(rng: random.Random) -> dict[str, list[str]]:
    choices: list[tuple[str, Callable[[], list[str]]]] = [
        ("themes", lambda: list(rng.sample(THEMES, rng.randint(1, 2)))),
        ("municipality", lambda: [rng.choices(list(PLACES), [p[3] for p in PLACES.values()])[0]]),
        ("need_kinds", lambda: [rng.choice(NEED_KINDS)]),
        ("type", lambda: [rng.choice(("need", "initiative"))]),
        ("kind", lambda: [rng.choice(KINDS)]),
        ("target_groups", lambda: [rng.choice(TARGET_GROUPS)]),
        ("eligible_for", lambda: [rng.choice(("amsterdam", "amersfoort", "rijk", "utrecht"))]),
    ]
    return {f: make() for f, make in rng.sample(choices, rng.randint(1, 3))}


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    s = sorted(samples_ms)

    def pct(p: float) -> float:
        return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]

    return {
        "p50_ms": round(statistics.median(s), 2),
        "p95_ms": round(pct(95), 2),
        "p99_ms": round(pct(99), 2),
        "max_ms": round(s[-1], 2),
    }


class Target:
    """Where one backend's index of one size lives, and how to open it again (also in a subprocess)."""

    def __init__(self, backend: str, n: int, workdir: str, postgres_url: str | None) -> None:
        self.backend, self.n = backend, n
        if backend == "fts5":
            self.args: dict[str, Any] = {"sqlite_path": os.path.join(workdir, f"search-{n}.sqlite3")}
        else:
            # A generous statement timeout: the bench measures slow queries instead of failing on them.
            self.args = {
                "postgres_url": postgres_url,
                "postgres_schema": f"srx_bench_{n}",
                "timeout_s": 120.0,
            }

    def open(self) -> SearchBackend:
        return make_backend(self.backend, **self.args)

    def size_mb(self) -> float:
        if self.backend == "fts5":
            path = self.args["sqlite_path"]
            return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) / 1e6
        import psycopg

        with psycopg.connect(self.args["postgres_url"], autocommit=True) as conn:
            row = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                (self.args["postgres_schema"],),
            ).fetchone()
        return float(row[0] if row else 0) / 1e6

    def drop(self) -> None:
        if self.backend == "fts5":
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.args["sqlite_path"] + suffix):
                    os.remove(self.args["sqlite_path"] + suffix)
            return
        import psycopg

        with psycopg.connect(self.args["postgres_url"], autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.args["postgres_schema"]}" CASCADE')


_COLD = """
import json, sys, time
t0 = time.perf_counter()
from search import Query, make_backend
t1 = time.perf_counter()
kind, args, q = json.loads(sys.argv[1])
backend = make_backend(kind, **args)
t2 = time.perf_counter()
result = backend.search(Query(text=q["text"], filters=q["filters"]))
t3 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "open_ms": (t2 - t1) * 1000,
                  "first_search_ms": (t3 - t2) * 1000, "total": result.total}))
"""


def cold_start(target: Target, runs: int = 3) -> dict[str, float]:
    """A fresh process opens the index and runs one search (text + every facet); median of `runs`."""
    samples = []
    for _ in range(runs):
        arg = json.dumps([target.backend, target.args, COLD_QUERY])
        out = subprocess.run([sys.executable, "-c", _COLD, arg], capture_output=True, text=True, check=True)
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    samples.sort(key=lambda s: s["first_search_ms"])
    mid = samples[len(samples) // 2]
    return {k: round(float(v), 1) for k, v in mid.items()}


def run_size(target: Target, docs: list[Document], n_queries: int) -> dict[str, Any]:
    """Index the docs into a fresh index and measure it."""
    n = len(docs)
    target.drop()
    backend = target.open()
    backend.setup()
    t0 = time.perf_counter()
    count = backend.reindex(iter(docs), total=n)
    index_s = time.perf_counter() - t0
    size_mb = target.size_mb()
    cold = cold_start(target)

    rng = random.Random(SEED + n)
    t0 = time.perf_counter()
    backend.search(Query(text=COLD_QUERY["text"]))  # this process's first search after its reindex
    warm_ms = (time.perf_counter() - t0) * 1000
    kinds: dict[str, list[Query]] = {"text": [], "facets": [], "text_facets": []}
    for _ in range(n_queries):
        kinds["text"].append(Query(text=rng.choice(TEXT_QUERIES)))
        kinds["facets"].append(Query(filters=_filters(rng), sort=rng.choice(("relevance", "deadline"))))
        kinds["text_facets"].append(Query(text=rng.choice(TEXT_QUERIES), filters=_filters(rng)))
    # The same text+facets queries, each right after one document was written (the write is not timed):
    # the steady state of a marketplace whose outbox keeps the index in sync.
    kinds["text_facets_after_write"] = kinds["text_facets"]
    if hasattr(backend, "forget_query_caches"):
        # And with nothing cached at all, as right after a process start or a full reindex.
        kinds["text_facets_cold"] = kinds["text_facets"]
    latencies: dict[str, dict[str, float]] = {}
    cpu: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    for name, queries in kinds.items():
        samples, cpu_samples = [], []
        hits = 0
        for q in queries:
            if name.endswith("_cold"):
                backend.forget_query_caches()  # type: ignore[attr-defined]
            elif name.endswith("_after_write"):
                doc = docs[rng.randrange(len(docs))]
                backend.upsert([replace(doc, title=f"{doc.title} {rng.choice(TEXT_QUERIES)}")])
            t, c = time.perf_counter(), time.process_time()
            r = backend.search(q)
            cpu_samples.append((time.process_time() - c) * 1000)
            samples.append((time.perf_counter() - t) * 1000)
            hits += r.total
        latencies[name] = _percentiles(samples)
        cpu[name] = _percentiles(cpu_samples)
        totals[name] = round(hits / len(queries), 1)

    # Update visibility: upsert one changed document, then search until it is found.
    visible: list[float] = []
    for i in range(20):
        marker = f"zichtbaarheidstest{i}x"
        doc = replace(docs[rng.randrange(len(docs))], title=f"Nieuwe titel {marker}")
        t = time.perf_counter()
        backend.upsert([doc])
        while not backend.search(Query(text=marker, filters={"type": [doc.type]})).total:
            if time.perf_counter() - t > 5:
                break
        visible.append((time.perf_counter() - t) * 1000)
    close = getattr(backend, "close", None)
    if close is not None:
        close()
    return {
        "backend": target.backend,
        "docs": count,
        "index_seconds": round(index_s, 2),
        "index_docs_per_s": round(count / index_s),
        "index_size_mb": round(size_mb, 1),
        "cold_start": cold,
        "first_search_after_reindex_ms": round(warm_ms, 1),
        "queries_per_kind": n_queries,
        "latency": latencies,
        # CPU time of the benchmark process per query: the cost of the work itself, without the time
        # spent waiting for a core while other processes run (see load_average in "machine").
        # For PostgreSQL most of the work is in the server process and does not show here.
        "cpu_time": cpu,
        "mean_total_hits": totals,
        "update_visible_ms": _percentiles(visible),
    }


def postgres_url(cli: str | None) -> str | None:
    return cli or os.environ.get("TEST_DATABASE_URL") or os.environ.get("SEARCH_POSTGRES_URL") or None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--backends", default="fts5", help="comma-separated: fts5, postgres")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--postgres-queries", type=int, default=None, help="queries per kind for postgres")
    ap.add_argument("--postgres-url", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the indexes (FTS5 files in --workdir)")
    ap.add_argument("--workdir", default=None, help="where FTS5 index files go (default: a temp folder)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "search.json"))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    pg_url = postgres_url(args.postgres_url)
    if "postgres" in backends and not pg_url:
        print(
            "postgres skipped: no --postgres-url, TEST_DATABASE_URL or SEARCH_POSTGRES_URL", file=sys.stderr
        )
        backends.remove("postgres")
    results: dict[str, Any] = {
        "seed": SEED,
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            # Other work on the machine skews latencies; recorded so the figures can be judged.
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "targets": TARGETS,
        "cold_query": COLD_QUERY,
        "runs": [],
    }
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="srx-bench-") as tmp:
        workdir = args.workdir or tmp
        os.makedirs(workdir, exist_ok=True)
        for n in sizes:
            docs = list(generate(n))
            for kind in backends:
                print(f"… {kind} {n:,} docs", file=sys.stderr, flush=True)
                target = Target(kind, n, workdir, pg_url)
                queries = args.queries if kind != "postgres" else (args.postgres_queries or args.queries)
                try:
                    results["runs"].append(run_size(target, docs, queries))
                finally:
                    if not args.keep:
                        target.drop()
                # Written after every run: a long run that is stopped keeps what it measured.
                _write(out, results)
            del docs
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    _print_table(results)
    _write(out, results)
    print(f"\nwritten to {out}")
    return 0


def _write(out: Path, results: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


def _print_table(results: dict[str, Any]) -> None:
    head = (
        f"{'backend':<9} {'docs':>9} {'index/s':>8} {'text+facets p50':>15} {'p95':>7} {'p99':>7}"
        f" {'update p95':>10} {'cold first':>10} {'size MB':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in results["runs"]:
        lat = r["latency"]["text_facets"]
        print(
            f"{r['backend']:<9} {r['docs']:>9,} {r['index_docs_per_s']:>8,} {lat['p50_ms']:>15} {lat['p95_ms']:>7}"
            f" {lat['p99_ms']:>7} {r['update_visible_ms']['p95_ms']:>10} {r['cold_start']['first_search_ms']:>10}"
            f" {r['index_size_mb']:>8}"
        )
    print("\nall latencies in ms (p50 / p95 / p99):")
    for r in results["runs"]:
        print(f"  {r['backend']} {r['docs']:,}:")
        for kind, lat in r["latency"].items():
            cpu95 = r["cpu_time"][kind]["p95_ms"]
            print(
                f"    {kind:<24} {lat['p50_ms']:>8} {lat['p95_ms']:>8} {lat['p99_ms']:>8}"
                f"   cpu p95 {cpu95:>7}   avg hits {r['mean_total_hits'][kind]:>9}"
            )
        c = r["cold_start"]
        print(
            f"    cold start: import {c['import_ms']} ms, open {c['open_ms']} ms, first search"
            f" {c['first_search_ms']} ms; reindex {r['index_seconds']} s"
        )
    print(f"targets: {results['targets']}")
    m = results["machine"]
    print(
        f"load average (1/5/15 min) at start {m['load_average_at_start']},"
        f" at end {m.get('load_average_at_end')} on {m['cpus']} CPUs"
    )


if __name__ == "__main__":
    raise SystemExit(main())
