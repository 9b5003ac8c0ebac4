"""Evaluation that tells the truth: graded gains, every candidate shown, an interval, and a gate on it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from matching import (
    CURVE_SIZES,
    LearnedModel,
    bootstrap_interval,
    evaluate,
    evaluate_rankings,
    learning_curve,
    rank,
)
from matching.evaluation import per_query_metrics, ranking_metrics
from matching.synthetic import RULE_A, make_candidates, make_context, make_rule_world
from matching.types import DecisionRecord


def test_graded_ndcg_on_a_known_list():
    gains = np.array([0.9, 0.1, 0.5, 0.0])
    q = np.zeros(4, dtype=int)
    d = 1 / np.log2(np.arange(2, 6))
    ideal = 0.9 * d[0] + 0.5 * d[1] + 0.1 * d[2]
    m = per_query_metrics(gains, np.array([1.0, 4.0, 3.0, 2.0]), q)  # order: 0.1, 0.5, 0.0, 0.9
    assert m.ndcg[0] == pytest.approx((0.1 * d[0] + 0.5 * d[1] + 0.9 * d[3]) / ideal)
    assert per_query_metrics(gains, gains, q).ndcg[0] == pytest.approx(1.0)
    # with 0/1 gains it is the binary NDCG the pledge-list evaluation always had
    y = np.array([1, 0, 0, 1, 0, 1, 0])
    qq = np.array([0, 0, 0, 0, 1, 1, 2])
    assert ranking_metrics(y, np.array([4, 1, 1, 3, 0, 1, 0.0]), qq)["ndcg@10"] == pytest.approx(1.0)


def test_bootstrap_interval_over_companies():
    rng = np.random.default_rng(0)
    values = rng.normal(0.1, 0.2, size=200)
    many = np.arange(200) // 2  # 100 companies of two lists each
    low, high = bootstrap_interval(values, many, seed=1)
    assert low < values.mean() < high
    few_low, few_high = bootstrap_interval(values, np.arange(200) // 50, seed=1)  # 4 companies
    assert few_high - few_low > 0 and (high - low) > 0
    # two lists of one company move together: resampling companies, not lists, widens the interval
    clustered = np.repeat(rng.normal(0.1, 0.2, size=50), 4)
    by_list = bootstrap_interval(clustered, np.arange(200), seed=2)
    by_company = bootstrap_interval(clustered, np.arange(200) // 4, seed=2)
    assert by_company[1] - by_company[0] > 1.5 * (by_list[1] - by_list[0])
    assert bootstrap_interval(np.full(10, 0.3), np.arange(10)) == pytest.approx((0.3, 0.3))


@pytest.fixture(scope="module")
def world_a():
    return make_rule_world(360, RULE_A, seed=5)


def test_every_candidate_shown_is_ranked_with_graded_gains(world_a):
    result = evaluate_rankings(world_a.records, world_a.shown, n_boot=200)
    n_contracts = len(world_a.shown)
    assert result["mode"] == "all candidates shown"
    assert result["n_candidates_ranked"] == 60 * n_contracts  # not only the 12 pledges per contract
    assert result["n_queries"] == n_contracts and result["n_decisions"] == 360
    for name in ("learned", "prior", "random"):
        row = result[name]
        assert row["ndcg@10_low"] <= row["ndcg@10"] <= row["ndcg@10_high"]
    gain = result["gain"]
    assert gain["low"] <= gain["ndcg@10"] <= gain["high"] and gain["level"] == 0.95
    assert result["beats_prior"] == (gain["low"] > 0)
    # the callable form gives the same answer as the mapping
    again = evaluate_rankings(world_a.records, world_a.shown.get, n_boot=200)
    assert again["gain"] == gain


def test_without_graded_gains_the_decisions_are_the_gains(world_a):
    shown = {ref: replace(s, gains=None) for ref, s in world_a.shown.items()}
    result = evaluate_rankings(world_a.records, shown, n_boot=200)
    assert result["n_pledges_not_shown"] == 0 and result["n_candidates_ranked"] == 60 * len(shown)
    # a contract whose candidates cannot be enumerated is left out and counted
    fewer = dict(list(shown.items())[1:])
    partial = evaluate_rankings(world_a.records, fewer, n_boot=200)
    assert partial["n_contracts_without_candidates"] == 1 and partial["n_queries"] < result["n_queries"]


def test_pledge_lists_report_the_interval_and_gate_on_its_lower_bound(world_a):
    result = evaluate(world_a.records, n_boot=200)
    assert result["mode"] == "pledges"
    gain = result["gain"]
    assert gain["low"] <= gain["ndcg@10"] <= gain["high"]
    assert result["beats_prior"] == (gain["low"] > 0)


class _Card(LearnedModel):
    def __init__(self, card: dict) -> None:  # a card and nothing else: only the gate is asked
        self.card = card


def test_a_model_is_used_only_when_the_lower_bound_beats_the_prior():
    ahead = {"metrics": {"learned": {"ndcg@10": 0.80}, "prior": {"ndcg@10": 0.77}}}
    unsure = {**ahead, "evaluation": {"gain": {"ndcg@10": 0.03, "low": -0.01, "high": 0.07}}}
    sure = {**ahead, "evaluation": {"gain": {"ndcg@10": 0.03, "low": 0.01, "high": 0.05}}}
    assert not _Card(ahead).beats_prior  # a point estimate ahead is not enough (0.773 vs 0.770 once)
    assert not _Card(unsure).beats_prior
    assert _Card(sure).beats_prior


def test_learning_curve_reports_each_size_with_its_interval(world_a):
    curve = learning_curve(world_a.records, world_a.shown, sizes=(50, 100, 200, 300, 500), n_boot=200)
    assert [row["n_decisions"] for row in curve] == [50, 100, 200, 300]  # 500 > what exists: left out
    for row in curve:
        assert row["low"] <= row["gain"] <= row["high"]
        assert row["n_trained_on"] <= row["n_decisions"] and row["n_scored_decisions"] > 0
        assert row["gain"] == pytest.approx(row["learned"] - row["prior"])
    pledges = learning_curve(world_a.records, sizes=(100,), n_boot=200)  # no shown candidates: pledge lists
    assert len(pledges) == 1 and pledges[0]["n_decisions"] == 100
    assert CURVE_SIZES == (50, 100, 200, 300, 500, 1000)


def test_rank_quotes_what_the_companys_sector_delivered():
    """The issue's example: officers approved 9 of 10 pledges of this kind from companies in your sector."""
    t0 = datetime(2024, 1, 1)
    history = [
        DecisionRecord(
            decided_at=t0 + timedelta(days=i),
            government="utrecht",
            contract_reference=f"U-{i}",
            company_key=f"KVK{i}",
            initiative_slug=f"initiative-{i}",
            need_id=100 + i,
            route="social_domain",
            approved=i != 3,
            need_kind="hours",
            company_sector="F",
        )
        for i in range(10)
    ]
    ctx = replace(
        make_context(1),
        company_key="KVK-new",
        company_sector="F",
        company_profile="",
        lat=None,
        lon=None,
        as_of=t0 + timedelta(days=30),
    )
    base = make_candidates(1, seed=3)[0]
    plain = {"handprint": {}, "themes": (), "lat": None, "lon": None, "route": "social_domain"}
    hours = replace(base, id="need:1", need_id=1, kind="hours", **plain)
    goods = replace(base, id="need:2", need_id=2, kind="goods", **plain)
    recs = rank(ctx, [goods, hours], history, limit=2)
    assert recs[0].candidate.id == "need:1"  # same in everything but the sector's record on the kind
    reason = next(r for r in recs[0].reasons if r.code == "sector_kind_rate")
    assert reason.contribution > 0
    assert reason.params == {"approved": 9, "n": 10, "pct": 90, "kind": "hours", "sector": "F"}
    assert (
        reason.text == "Officers approved 9 of 10 hours pledges from companies in your sector (Construction)"
    )
    assert not [
        r for r in recs[1].reasons if r.code == "sector_kind_rate"
    ]  # no goods decided: nothing to say
