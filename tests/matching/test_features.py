"""Pair features: formulas, neutral values for missing data, and no leakage in approval rates."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import FEATURE_NAMES, FEATURE_NEUTRAL, ApprovalStats, CandidateSet, compute_features
from matching.features import (
    FEATURE_INDEX,
    KIND_FEATURES,
    ROUTE_FEATURES,
    closeness,
    fills_share,
    haversine_km,
    normalise_search,
    overshoot,
    route_preference,
    size_ratio,
    smoothed_rate,
)
from matching.synthetic import make_candidates, make_context
from matching.training import build_training_set
from matching.types import DecisionRecord

from .conftest import SETTINGS, candidate_lists, contexts

T0 = datetime(2024, 1, 1)


def col(name: str) -> int:
    return FEATURE_INDEX[name]


def test_library_imports_no_web_or_orm_code():
    code = (
        "import sys, matching, matching.synthetic, matching.training, matching.planner;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlmodel', 'sqlalchemy', 'marketplace')];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_haversine_amsterdam_utrecht_is_about_35_km():
    km = float(haversine_km(52.3676, 4.9041, 52.0907, 5.1214))
    assert 33 < km < 37


def test_closeness_is_bounded_decreasing_and_neutral_when_unknown():
    c = closeness([0.0, 5.0, 15.0, 100.0, np.nan])
    assert c[0] == 1.0 and c[0] > c[1] > c[2] > c[3] > 0
    assert c[4] == FEATURE_NEUTRAL["closeness"]


def test_size_is_uncapped_and_log_scaled_with_a_separate_overshoot():
    # Changed by the issue: fills_share used to stop at 1, so needs of EUR 25k and EUR 40k against EUR 20k
    # still owed looked the same. The share r is now uncapped, the size feature is log2(1 + r) and the part
    # beyond what is owed is its own feature.
    assert list(fills_share([50, 100, 400], 200)) == [0.25, 0.5, 2.0]
    share = fills_share([2_500_000, 4_000_000], 2_000_000)
    assert list(share) == [1.25, 2.0]
    assert size_ratio(share)[1] > size_ratio(share)[0] > 1.0
    assert overshoot(share)[1] == pytest.approx(1.0) and 0 < overshoot(share)[0] < 1
    assert list(overshoot([0.1, 0.5, 1.0])) == [0.0, 0.0, 0.0]  # a need that fits overshoots nothing
    assert size_ratio([1.0])[0] == pytest.approx(1.0) and size_ratio([3.0])[0] == pytest.approx(2.0)
    # nothing remains to be owed: the size features carry no information
    nothing = fills_share([50], 0)
    assert size_ratio(nothing)[0] == pytest.approx(FEATURE_NEUTRAL["size_ratio"])
    assert overshoot(nothing)[0] == FEATURE_NEUTRAL["overshoot"]


def test_route_preference_follows_the_governments_ladder():
    order = ("paid_work", "labour_participation", "social_domain")
    prefs = [route_preference(r, order) for r in (*order, "social_enterprise")]
    assert prefs == sorted(prefs, reverse=True) and prefs[0] == 1.0 and prefs[-1] == 0.0
    assert prefs[2] > 0  # the last listed route is still better than an unlisted one


def test_search_normalisation_is_scale_free_and_neutral_without_a_ranking():
    s = np.array([1.0, 3.0, 0.5])
    assert np.allclose(normalise_search(s), normalise_search(7 * s))
    assert normalise_search(s).max() == 1.0
    assert (normalise_search([2.0, 2.0]) == FEATURE_NEUTRAL["search_relevance"]).all()
    assert (normalise_search([0.0, 0.0]) == FEATURE_NEUTRAL["search_relevance"]).all()


def test_text_fit_prefers_candidates_that_talk_about_the_profile():
    ctx = replace(make_context(1), company_profile="wij bouwen huizen en steunen de voedselbank in de buurt")
    cands = make_candidates(3, seed=1)
    cands = [
        replace(cands[0], title="Voedselbank zoekt hulp", text="voedselbank buurt inzameling"),
        replace(cands[1], title="Sportclub", text="jongeren sport bewegen"),
        replace(cands[2], title="Taalcafe", text="taal lezen ontmoeting"),
    ]
    X = compute_features(ctx, cands)
    assert X[0, col("text_fit")] > X[1, col("text_fit")]
    assert X[0, col("text_fit")] > X[2, col("text_fit")]
    empty = compute_features(replace(ctx, company_profile="  "), cands)
    assert (empty[:, col("text_fit")] == FEATURE_NEUTRAL["text_fit"]).all()


@SETTINGS
@given(contexts(), candidate_lists)
def test_features_are_finite_and_in_unit_interval(ctx, cands):
    # Changed by the issue: size_ratio and overshoot are uncapped (>= 0); every other feature stays in [0, 1].
    X = compute_features(ctx, cands)
    assert X.shape == (len(cands), len(FEATURE_NAMES))
    assert np.isfinite(X).all()
    unbounded = [col("size_ratio"), col("overshoot")]
    bounded = [j for j in range(len(FEATURE_NAMES)) if j not in unbounded]
    assert (X[:, bounded] >= 0).all() and (X[:, bounded] <= 1).all()
    assert (X[:, unbounded] >= 0).all()
    for group in (KIND_FEATURES, ROUTE_FEATURES):
        hot = X[:, [col(n) for n in group]]
        assert set(np.unique(hot)) <= {0.0, 1.0} and (hot.sum(axis=1) <= 1).all()
    kinds = X[:, [col(n) for n in KIND_FEATURES]]
    for i, cand in enumerate(cands):
        assert kinds[i, KIND_FEATURES.index(f"kind_{cand.kind}")] == 1.0


@SETTINGS
@given(contexts(), candidate_lists)
def test_missing_company_site_gives_neutral_closeness(ctx, cands):
    X = compute_features(replace(ctx, lat=None, lon=None), cands)
    assert (X[:, col("closeness")] == FEATURE_NEUTRAL["closeness"]).all()


def test_catalogue_select_path_matches_the_list_path():
    ctx = make_context(3)
    cands = make_candidates(400, seed=3)
    catalogue = CandidateSet.from_candidates(cands, index_text=True)
    chosen = [c.id for c in cands[::7]]
    scores = np.linspace(5, 1, len(chosen))
    fast = compute_features(ctx, catalogue.select(chosen, scores))
    by_id = {c.id: c for c in cands}
    slow = compute_features(
        ctx, [replace(by_id[i], search_score=s) for i, s in zip(chosen, scores, strict=True)]
    )
    other = [j for j, name in enumerate(FEATURE_NAMES) if name != "text_fit"]
    assert np.allclose(fast[:, other], slow[:, other])
    # text fit uses the catalogue's IDF on the fast path and the set's own IDF otherwise: same ordering trend
    assert np.corrcoef(fast[:, col("text_fit")], slow[:, col("text_fit")])[0, 1] > 0.9
    with pytest.raises(KeyError):
        catalogue.select(["need:999999"])
    assert len(catalogue.select(["need:999999", chosen[0]], [1.0, 2.0], strict=False)) == 1


# ---------------------------------------------------------------------------------------------------------
# Approval rates: the past only


def _decision(i: int, approved: bool, when: datetime, slug: str = "food-bank") -> DecisionRecord:
    return DecisionRecord(
        decided_at=when,
        government="amsterdam",
        contract_reference=f"C-{i}",
        company_key=f"KVK{i % 3}",
        initiative_slug=slug,
        need_id=i,
        route="social_domain",
        approved=approved,
        features={name: 0.5 for name in FEATURE_NAMES},
    )


def test_approval_rate_counts_strictly_earlier_decisions_of_this_government():
    history = [_decision(i, ok, T0 + timedelta(days=i)) for i, ok in enumerate([True, True, False, True])]
    history.append(replace(_decision(9, False, T0), government="utrecht"))
    stats = ApprovalStats(history)
    assert stats.counts("amsterdam", "food-bank", T0) == (0, 0)  # a decision at T0 is not before T0
    assert stats.counts("amsterdam", "food-bank", T0 + timedelta(days=2)) == (2, 2)
    assert stats.counts("amsterdam", "food-bank", T0 + timedelta(days=10)) == (3, 4)
    assert stats.rate("amsterdam", "food-bank", T0 + timedelta(days=10)) == pytest.approx((3 + 2) / (4 + 4))
    assert stats.counts("utrecht", "food-bank", T0 + timedelta(days=10)) == (0, 1)
    assert stats.rate("amsterdam", "unknown", T0) == 0.5


def test_live_features_use_history_before_as_of():
    ctx = replace(make_context(1), government="amsterdam", as_of=T0 + timedelta(days=2))
    cand = replace(make_candidates(1, seed=2)[0], initiative_slug="food-bank")
    history = [_decision(i, False, T0 + timedelta(days=i)) for i in range(5)]
    x = compute_features(ctx, [cand], history)[0, col("approval_rate")]
    assert x == pytest.approx(float(smoothed_rate(0, 2)))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6), st.booleans(), st.sampled_from(["a", "b"])
        ),  # (day, approved, initiative)
        min_size=1,
        max_size=40,
    )
)
def test_training_rows_never_see_their_own_or_later_decisions(rows):
    """Each row's approval_rate equals a brute-force count over decisions strictly before it (ties excluded)."""
    records = [_decision(i, ok, T0 + timedelta(days=day), slug) for i, (day, ok, slug) in enumerate(rows)]
    ts = build_training_set(records)
    for i, rec in enumerate(records):
        earlier = [
            r for r in records if r.initiative_slug == rec.initiative_slug and r.decided_at < rec.decided_at
        ]
        expected = float(smoothed_rate(sum(r.approved for r in earlier), len(earlier)))
        assert ts.X[i, col("approval_rate")] == pytest.approx(expected)
    # flipping every decision at or after a time cannot change the feature of any row at that time or before
    cutoff = records[len(records) // 2].decided_at
    flipped = [replace(r, approved=not r.approved) if r.decided_at >= cutoff else r for r in records]
    ts2 = build_training_set(flipped)
    same = [i for i, r in enumerate(records) if r.decided_at <= cutoff]
    assert np.array_equal(ts.X[same, col("approval_rate")], ts2.X[same, col("approval_rate")])


def test_stored_approval_rate_is_recomputed_not_trusted():
    records = [_decision(i, True, T0 + timedelta(days=i)) for i in range(3)]
    records = [replace(r, features={**r.features, "approval_rate": 1.0}) for r in records]  # a leaky store
    ts = build_training_set(records)
    assert ts.X[0, col("approval_rate")] == pytest.approx(0.5)
    assert ts.X[2, col("approval_rate")] == pytest.approx((2 + 2) / (2 + 4))
