"""Search benchmark: indexing rate, query latency and update visibility of the FTS5 backend.

Run: .venv/bin/python -m bench.search [--sizes 1000,10000,100000] [--queries 300] [--out bench/results/search.json]

It prints a table and writes the same figures as JSON. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from search import Document, Query, make_backend

SEED = 20240601
TARGETS = {"text_facets_p95_ms": 15.0, "index_docs_per_s": 5000.0, "update_visible_ms": 100.0}

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


def run_size(n: int, n_queries: int, workdir: str) -> dict[str, Any]:
    """Index n docs into a fresh file and measure it."""
    path = os.path.join(workdir, f"search-{n}.sqlite3")
    backend = make_backend("fts5", sqlite_path=path)
    backend.setup()
    docs = list(generate(n))
    t0 = time.perf_counter()
    count = backend.reindex(iter(docs), total=n)
    index_s = time.perf_counter() - t0

    rng = random.Random(SEED + n)
    t0 = time.perf_counter()
    backend.search(Query(text="voedselbank"))  # first search loads the facet bitsets
    warm_ms = (time.perf_counter() - t0) * 1000
    kinds: dict[str, list[Query]] = {"text": [], "facets": [], "text_facets": []}
    for _ in range(n_queries):
        kinds["text"].append(Query(text=rng.choice(TEXT_QUERIES)))
        kinds["facets"].append(Query(filters=_filters(rng), sort=rng.choice(("relevance", "deadline"))))
        kinds["text_facets"].append(Query(text=rng.choice(TEXT_QUERIES), filters=_filters(rng)))
    # The same text+facets queries, each right after one document was written (the write is not timed):
    # the steady state of a marketplace whose outbox keeps the index in sync.
    kinds["text_facets_after_write"] = kinds["text_facets"]
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
    size_mb = os.path.getsize(path) / 1e6
    return {
        "docs": count,
        "index_seconds": round(index_s, 2),
        "index_docs_per_s": round(count / index_s),
        "db_size_mb": round(size_mb, 1),
        "first_search_ms": round(warm_ms, 1),
        "queries_per_kind": n_queries,
        "latency": latencies,
        # CPU time of the benchmark process per query: the cost of the work itself, without the time
        # spent waiting for a core while other processes run (see load_average in "machine").
        "cpu_time": cpu,
        "mean_total_hits": totals,
        "update_visible_ms": _percentiles(visible),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "search.json"))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results: dict[str, Any] = {
        "backend": "fts5",
        "seed": SEED,
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            # Other work on the machine skews latencies; recorded so the figures can be judged.
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "targets_at_100k": TARGETS,
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="srx-bench-") as tmp:
        for n in sizes:
            print(f"… {n:,} docs", file=sys.stderr, flush=True)
            results["sizes"][str(n)] = run_size(n, args.queries, tmp)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    _print_table(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {out}")
    return 0


def _print_table(results: dict[str, Any]) -> None:
    head = (
        f"{'docs':>8} {'index/s':>9} {'query':<23} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'cpu p95':>8} {'avg hits':>9}"
    )
    print(head)
    print("-" * len(head))
    for n, r in results["sizes"].items():
        first = True
        for kind, lat in r["latency"].items():
            lead = f"{int(n):>8} {r['index_docs_per_s']:>9,}" if first else " " * 18
            cpu95 = r["cpu_time"][kind]["p95_ms"]
            print(
                f"{lead} {kind:<23} {lat['p50_ms']:>7} {lat['p95_ms']:>7} {lat['p99_ms']:>7}"
                f" {cpu95:>8} {r['mean_total_hits'][kind]:>9}"
            )
            first = False
        u = r["update_visible_ms"]
        print(f"{'':18} {'update -> found':<23} {u['p50_ms']:>7} {u['p95_ms']:>7} {u['p99_ms']:>7}")
        print(
            f"{'':18} reindex {r['index_seconds']} s, file {r['db_size_mb']} MB,"
            f" first search (loads facet bitsets) {r['first_search_ms']} ms"
        )
    print(f"targets at 100k: {results['targets_at_100k']}")
    m = results["machine"]
    print(
        f"load average (1/5/15 min) at start {m['load_average_at_start']}, at end {m['load_average_at_end']}"
        f" on {m['cpus']} CPUs"
    )


if __name__ == "__main__":
    raise SystemExit(main())
