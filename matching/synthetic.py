"""Synthetic candidates, contracts and officer decisions, for tests, benchmarks and demos.

Nothing in the scorer uses this module. The officer rule used for decisions is stated in ``officer_rule``:

    an officer approves a proposed pledge when the candidate serves one of the government's priority themes
    (theme score >= 50: handprint, or the need is tagged with it) AND lies within 15 km of the company's site;
    then each decision is flipped with probability ``noise`` (default 10%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from .features import CandidateSet, compute_feature_batch, features_dict, haversine_km, theme_scores
from .types import ROUTES, THEMES, Candidate, ContractContext, DecisionRecord

CENTER = (52.3676, 4.9041)  # Amsterdam

THEME_WORDS: dict[str, list[str]] = {
    "werk": [
        "baan",
        "werkervaring",
        "sollicitatie",
        "leerwerkplek",
        "vakmanschap",
        "arbeidsmarkt",
        "werkgever",
        "re-integratie",
    ],
    "armoedebestrijding": [
        "voedselbank",
        "schulden",
        "armoede",
        "budget",
        "kledingbank",
        "minima",
        "schuldhulp",
        "maaltijden",
    ],
    "gezondheidsbevordering": [
        "gezondheid",
        "sport",
        "bewegen",
        "voeding",
        "preventie",
        "welzijn",
        "mantelzorg",
        "ouderen",
    ],
    "participatie": [
        "buurt",
        "vrijwilligers",
        "ontmoeting",
        "eenzaamheid",
        "buurthuis",
        "taalcafe",
        "inburgering",
        "meedoen",
    ],
    "onderwijs": ["school", "huiswerk", "bijles", "taal", "lezen", "digitaal", "vaardigheden", "scholing"],
    "gezond_opgroeien": [
        "jeugd",
        "kinderen",
        "jongeren",
        "opvoeding",
        "speeltuin",
        "sportclub",
        "ouders",
        "opgroeien",
    ],
}
COMMON_WORDS = [
    "project",
    "initiatief",
    "hulp",
    "team",
    "stad",
    "wijk",
    "ondersteuning",
    "activiteit",
    "samen",
    "organisatie",
]

KIND_ROUTE = {
    "job": "paid_work",
    "internship": "labour_participation",
    "purchase": "labour_participation",
    "hours": "social_domain",
    "expertise": "social_domain",
    "money": "social_domain",
    "goods": "social_domain",
}
KIND_UNIT_CENTS = {  # value of one unit, loosely after the building-block tables in domain.md
    "job": 4_000_000,  # one person-year, Participatiewet
    "internship": 500_000,  # one internship year
    "purchase": 100,  # one euro invoiced
    "hours": 10_000,  # one employee-hour
    "expertise": 10_000,
    "money": 100,
    "goods": 100,
}
KIND_UNITS = {
    "job": (1, 3),
    "internship": (1, 4),
    "purchase": (1_000, 50_000),
    "hours": (8, 200),
    "expertise": (4, 80),
    "money": (500, 25_000),
    "goods": (200, 10_000),
}
KINDS = tuple(KIND_ROUTE)

GOVERNMENTS: dict[str, dict[str, Any]] = {
    "amsterdam": {
        "name": "Amsterdam",
        "priority_themes": ("armoedebestrijding", "participatie"),
        "route_order": ("paid_work", "labour_participation", "social_domain", "social_enterprise"),
    },
    "utrecht": {
        "name": "Utrecht",
        "priority_themes": ("werk", "onderwijs"),
        "route_order": ("paid_work", "social_domain", "labour_participation", "social_enterprise"),
    },
    "den-haag": {
        "name": "Den Haag",
        "priority_themes": ("gezond_opgroeien", "gezondheidsbevordering"),
        "route_order": ("labour_participation", "paid_work", "social_domain", "social_enterprise"),
    },
}


def _point(
    rng: np.random.Generator, radius_km: float, center: tuple[float, float] = CENTER
) -> tuple[float, float]:
    r = radius_km * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    dlat = (r * math.cos(a)) / 111.32
    dlon = (r * math.sin(a)) / (111.32 * math.cos(math.radians(center[0])))
    return center[0] + dlat, center[1] + dlon


def _text(rng: np.random.Generator, themes: Sequence[str], n_words: int = 14) -> str:
    vocab = [w for t in themes for w in THEME_WORDS[t]]
    words = [vocab[k] for k in rng.integers(0, len(vocab), size=n_words * 2 // 3)] if vocab else []
    words += [COMMON_WORDS[k] for k in rng.integers(0, len(COMMON_WORDS), size=n_words - len(words))]
    rng.shuffle(words)
    return " ".join(words)


def make_candidates(
    n: int, seed: int = 0, *, radius_km: float = 25.0, n_initiatives: int | None = None
) -> list[Candidate]:
    """``n`` open needs ("need:<i>") of ``n_initiatives`` initiatives around Amsterdam."""
    rng = np.random.default_rng(seed)
    n_init = n_initiatives or max(1, n // 4)
    inits = []
    for k in range(n_init):
        main = [THEMES[j] for j in rng.choice(len(THEMES), size=int(rng.integers(1, 3)), replace=False)]
        handprint = {t: int(rng.integers(50, 101)) for t in main}
        for t in THEMES:
            if t not in handprint and rng.random() < 0.3:
                handprint[t] = int(rng.integers(0, 45))
        lat, lon = _point(rng, radius_km) if rng.random() > 0.03 else (None, None)
        inits.append((f"initiative-{k}", f"Initiative {k}", main, handprint, lat, lon))
    out = []
    for i in range(n):
        slug, name, main, handprint, lat, lon = inits[int(rng.integers(0, n_init))]
        kind = KINDS[int(rng.integers(0, len(KINDS)))]
        lo, hi = KIND_UNITS[kind]
        units = int(rng.integers(lo, hi + 1))
        unit = KIND_UNIT_CENTS[kind]
        out.append(
            Candidate(
                id=f"need:{i}",
                initiative_slug=slug,
                initiative_name=name,
                need_id=i,
                kind=kind,
                route=KIND_ROUTE[kind],
                title=f"{kind} voor {name}",
                text=_text(rng, main),
                themes=tuple(main[:1]),
                handprint=handprint,
                lat=lat,
                lon=lon,
                open_value_cents=units * unit,
                unit_value_cents=unit,
                open_units=units,
                search_score=float(rng.exponential(1.0)),
            )
        )
    return out


def make_context(
    contract_id: int,
    seed: int = 0,
    *,
    government: str = "amsterdam",
    company_key: str | None = None,
    as_of: datetime | None = None,
    radius_km: float = 10.0,
) -> ContractContext:
    rng = np.random.default_rng([seed, contract_id])
    gov = GOVERNMENTS[government]
    interests = tuple(THEMES[j] for j in rng.choice(len(THEMES), size=2, replace=False))
    lat, lon = _point(rng, radius_km)
    obligation = int(rng.integers(20, 500)) * 100_000
    return ContractContext(
        contract_id=contract_id,
        government=government,
        government_name=gov["name"],
        priority_themes=gov["priority_themes"],
        route_order=gov["route_order"],
        company_key=company_key or f"KVK{contract_id:08d}",
        company_interests=interests,
        company_profile=_text(rng, interests, 25),
        lat=lat,
        lon=lon,
        obligation_cents=obligation,
        remaining_cents=int(obligation * rng.uniform(0.2, 1.0)),
        as_of=as_of or datetime(2025, 1, 1),
    )


def officer_rule(ctx: ContractContext, candidate: Candidate) -> bool:
    """Approve when the candidate serves a priority theme (score >= 50) and is within 15 km."""
    scores = theme_scores(candidate)
    serves = any(scores[THEMES.index(t)] >= 0.5 for t in ctx.priority_themes if t in THEMES)
    if ctx.lat is None or ctx.lon is None or candidate.lat is None or candidate.lon is None:
        return False
    km = float(haversine_km(ctx.lat, ctx.lon, candidate.lat, candidate.lon))
    return serves and km <= 15.0


@dataclass
class World:
    records: list[DecisionRecord]
    contexts: dict[str, ContractContext]  # by contract reference
    candidates: dict[str, Candidate]  # by id
    catalogue: CandidateSet
    rule: str = field(default=__doc__ or "")

    def resolve(self, record: DecisionRecord) -> tuple[ContractContext, Candidate] | None:
        ctx = self.contexts.get(record.contract_reference)
        cand = self.candidates.get(f"need:{record.need_id}")
        return None if ctx is None or cand is None else (ctx, cand)


def make_decisions(
    n_decisions: int,
    seed: int = 0,
    *,
    per_contract: int = 10,
    noise: float = 0.1,
    n_candidates: int | None = None,
    n_companies: int | None = None,
    store_features: bool = True,
    start: datetime = datetime(2023, 1, 1),
) -> World:
    """Decisions by the officer rule (module docstring), ``per_contract`` proposals per contract."""
    rng = np.random.default_rng(seed)
    catalogue_list = make_candidates(n_candidates or max(300, n_decisions // 5), seed + 1)
    catalogue = CandidateSet.from_candidates(catalogue_list, index_text=True)
    n_contracts = max(1, -(-n_decisions // per_contract))
    n_comp = n_companies or max(2, n_contracts // 3)
    govs = list(GOVERNMENTS)
    records: list[DecisionRecord] = []
    contexts: dict[str, ContractContext] = {}
    for c in range(n_contracts):
        company = int(rng.integers(0, n_comp))
        when = start + timedelta(hours=c)
        ctx = make_context(
            company,  # a company keeps its site, profile and interests across its contracts
            seed,
            government=govs[int(rng.integers(0, len(govs)))],
            company_key=f"KVK{company:08d}",
            as_of=when,
        )
        ctx = ContractContext(**{**ctx.__dict__, "contract_id": c})
        ref = f"C-{c:06d}"
        contexts[ref] = ctx
        m = min(per_contract, n_decisions - len(records), len(catalogue_list))
        rows = rng.choice(len(catalogue_list), size=m, replace=False)
        subset = catalogue.take(rows)
        X = compute_feature_batch(ctx, subset, None).X if store_features else None
        for j, r in enumerate(rows.tolist()):
            cand = catalogue_list[r]
            ok = officer_rule(ctx, cand)
            if rng.random() < noise:
                ok = not ok
            records.append(
                DecisionRecord(
                    decided_at=when + timedelta(minutes=j + 1),
                    government=ctx.government,
                    contract_reference=ref,
                    company_key=ctx.company_key,
                    initiative_slug=cand.initiative_slug,
                    need_id=cand.need_id,
                    route=cand.route,
                    approved=ok,
                    features=features_dict(X[j]) if X is not None else None,
                )
            )
        if len(records) >= n_decisions:
            break
    return World(records, contexts, {c.id: c for c in catalogue_list}, catalogue)


__all__ = ["ROUTES", "World", "make_candidates", "make_context", "make_decisions", "officer_rule"]
