"""Shared helpers for the matching tests: hypothesis strategies and small synthetic worlds."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from matching.synthetic import make_decisions
from matching.types import ROUTES, THEMES, Candidate, ContractContext

# Applied per test (a profile would change other suites' settings too).
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WORDS = ["voedselbank", "buurt", "jongeren", "sport", "taal", "school", "schulden", "werk", "bouw", "zorg"]

coords = st.one_of(
    st.none(),
    st.tuples(st.floats(52.0, 52.7), st.floats(4.5, 5.3)),
)


@st.composite
def candidates(draw, prefix: str = "need") -> Candidate:
    i = draw(st.integers(0, 10_000))
    themes = tuple(draw(st.lists(st.sampled_from(THEMES), max_size=2, unique=True)))
    handprint = draw(st.dictionaries(st.sampled_from(THEMES), st.integers(0, 100), max_size=6))
    where = draw(coords)
    unit = draw(st.sampled_from([100, 10_000, 500_000]))
    units = draw(st.integers(1, 500))
    return Candidate(
        id=f"{prefix}:{i}",
        initiative_slug=f"init-{draw(st.integers(0, 5))}",
        initiative_name="Init",
        need_id=i,
        kind=draw(st.sampled_from(["hours", "money", "job", "purchase"])),
        route=draw(st.sampled_from(ROUTES)),
        title=" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))),
        text=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=8))),
        themes=themes,
        handprint=handprint,
        lat=None if where is None else where[0],
        lon=None if where is None else where[1],
        open_value_cents=unit * units,
        unit_value_cents=unit,
        open_units=units,
        search_score=draw(st.floats(0, 20)),
    )


candidate_lists = st.lists(candidates(), min_size=1, max_size=25, unique_by=lambda c: c.id)


@st.composite
def contexts(draw) -> ContractContext:
    where = draw(coords)
    obligation = draw(st.integers(0, 50_000_000))
    return ContractContext(
        contract_id=1,
        government="amsterdam",
        government_name="Amsterdam",
        priority_themes=tuple(draw(st.lists(st.sampled_from(THEMES), min_size=1, max_size=3, unique=True))),
        route_order=tuple(draw(st.permutations(ROUTES))),
        company_key="KVK1",
        company_interests=tuple(draw(st.lists(st.sampled_from(THEMES), max_size=2, unique=True))),
        company_profile=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=10))),
        lat=None if where is None else where[0],
        lon=None if where is None else where[1],
        obligation_cents=obligation,
        remaining_cents=draw(st.integers(0, obligation)),
        as_of=datetime(2025, 1, 1),
    )


@pytest.fixture(scope="session")
def world_hgb():
    """~3000 decisions by the synthetic officer rule (enough labels for the boosted model)."""
    return make_decisions(3000, seed=11)


@pytest.fixture(scope="session")
def world_small():
    """~800 decisions by the synthetic officer rule (logistic regression)."""
    return make_decisions(800, seed=12)
