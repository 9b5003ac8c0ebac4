"""What a company, and companies of its sector, deliver well: shrunk rates from the past only."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import (
    SECTORS,
    ApprovalStats,
    compute_feature_batch,
    compute_features,
    normalise_sector,
    sector_label,
)
from matching.features import (
    FEATURE_INDEX,
    HISTORY_FEATURES,
    KIND_FEATURES,
    ROUTE_FEATURES,
    vector_from_mapping,
)
from matching.history import APPROVAL_PRIOR_A, APPROVAL_PRIOR_B, SHRINKAGE
from matching.synthetic import make_candidates, make_context
from matching.training import build_training_set
from matching.types import NEED_KINDS, DecisionRecord

from .conftest import SETTINGS

T0 = datetime(2024, 1, 1)


def col(name: str) -> int:
    return FEATURE_INDEX[name]


def decision(
    i: int,
    approved: bool,
    when: datetime,
    *,
    company: str = "KVK1",
    sector: str = "F",
    kind: str = "job",
    route: str = "paid_work",
    slug: str = "werkbedrijf",
    stored: bool = True,
) -> DecisionRecord:
    return DecisionRecord(
        decided_at=when,
        government="amsterdam",
        contract_reference=f"C-{i}",
        company_key=company,
        initiative_slug=slug,
        need_id=i,
        route=route,
        approved=approved,
        features={"priority_theme_fit": 0.5} if stored else None,
        need_kind=kind,
        company_sector=sector,
    )


def test_rates_shrink_from_the_company_to_its_sector_to_everyone():
    m, a, b = SHRINKAGE, APPROVAL_PRIOR_A, APPROVAL_PRIOR_B
    history = [
        # the company itself: 2 of 2 jobs approved
        decision(0, True, T0, company="KVK1"),
        decision(1, True, T0 + timedelta(days=1), company="KVK1"),
        # another construction company: 1 of 3 jobs
        decision(2, True, T0 + timedelta(days=2), company="KVK2"),
        decision(3, False, T0 + timedelta(days=3), company="KVK2"),
        decision(4, False, T0 + timedelta(days=4), company="KVK2"),
        # an ICT company: 0 of 1 jobs, 1 of 1 expertise
        decision(5, False, T0 + timedelta(days=5), company="KVK3", sector="J"),
        decision(
            6,
            True,
            T0 + timedelta(days=6),
            company="KVK3",
            sector="J",
            kind="expertise",
            route="social_domain",
        ),
        # decided later than the cut-off: never counted
        decision(7, False, T0 + timedelta(days=30), company="KVK1"),
    ]
    stats = ApprovalStats(history)
    before = T0 + timedelta(days=10)
    base = (4 + a) / (7 + a + b)
    everyone = (3 + m * base) / (6 + m)  # jobs: 3 of 6
    sector = (3 + m * everyone) / (5 + m)  # construction jobs: 3 of 5
    company = (2 + m * sector) / (2 + m)  # the company's jobs: 2 of 2
    rates = stats.group_rates("KVK1", "F", "kind", ["job", "goods", ""], before)
    assert rates.company[0] == pytest.approx(company) and rates.sector[0] == pytest.approx(sector)
    assert (rates.company_approved[0], rates.company_n[0]) == (2, 2)
    assert (rates.sector_approved[0], rates.sector_n[0]) == (3, 5)
    # no goods decided by anyone: everyone's rate for goods is the base rate, and so is the sector's
    assert rates.sector[1] == pytest.approx(base) and rates.company[1] == pytest.approx(base)
    assert rates.company[2] == pytest.approx(base)  # an unknown kind
    # a company without a sector is shrunk straight to everyone's rate
    unknown = stats.group_rates("KVK9", "", "kind", ["job"], before)
    assert unknown.sector[0] == pytest.approx(everyone) and unknown.sector_n[0] == 0
    # by route: the ICT company's social-domain pledge counts for social_domain only
    routes = stats.group_rates("KVK3", "J", "route", ["social_domain"], before)
    assert (routes.company_approved[0], routes.company_n[0]) == (1, 1)
    # at the first decision's time nothing is known yet
    cold = stats.group_rates("KVK1", "F", "kind", ["job"], T0)
    assert cold.company[0] == pytest.approx(0.5) and cold.company_n[0] == 0


def test_live_features_carry_the_sectors_preference_and_see_only_the_past():
    ctx = replace(make_context(1), company_key="KVK1", company_sector="F", as_of=T0 + timedelta(days=20))
    base = make_candidates(1, seed=2)[0]
    job = replace(base, id="need:1", need_id=1, kind="job", route="paid_work")
    goods = replace(base, id="need:2", need_id=2, kind="goods", route="social_domain")
    history = [decision(i, True, T0 + timedelta(days=i), company=f"KVK{10 + i}") for i in range(6)]  # jobs
    history += [
        decision(
            10 + i, False, T0 + timedelta(days=i), company=f"KVK{10 + i}", kind="goods", route="social_domain"
        )
        for i in range(6)
    ]
    history.append(decision(99, False, T0 + timedelta(days=25), company="KVK10"))  # after as_of
    batch = compute_feature_batch(ctx, [job, goods], history)
    X = batch.X
    assert X[0, col("sector_kind_rate")] > 0.75 > 0.25 > X[1, col("sector_kind_rate")]
    assert X[0, col("kind_job")] == 1.0 and X[1, col("kind_goods")] == 1.0
    assert X[0, col("route_paid_work")] == 1.0 and X[1, col("route_social_domain")] == 1.0
    assert batch.kind_rates is not None
    jobs = NEED_KINDS.index("job")  # the rates are aligned with the candidate set's kinds, NEED_KINDS first
    assert (batch.kind_rates.sector_approved[jobs], batch.kind_rates.sector_n[jobs]) == (6, 6)
    other_sector = compute_features(replace(ctx, company_sector="J"), [job, goods], history)
    assert (
        other_sector[0, col("sector_kind_rate")] < X[0, col("sector_kind_rate")]
    )  # J has no history: shrunk


def _brute_rates(records: list[DecisionRecord], rec: DecisionRecord) -> dict[str, float]:
    """The documented formulas, counted by hand over the decisions strictly before ``rec``."""
    m, a, b = SHRINKAGE, APPROVAL_PRIOR_A, APPROVAL_PRIOR_B
    past = [r for r in records if r.decided_at < rec.decided_at]
    base = (sum(r.approved for r in past) + a) / (len(past) + a + b)
    same_init = [
        r for r in past if r.initiative_slug == rec.initiative_slug and r.government == rec.government
    ]
    out = {"approval_rate": (sum(r.approved for r in same_init) + a) / (len(same_init) + a + b)}
    for dim, value in (("kind", rec.need_kind), ("route", rec.route)):
        if not value:
            out[f"company_{dim}_rate"] = out[f"sector_{dim}_rate"] = base
            continue
        pool = [r for r in past if (r.need_kind if dim == "kind" else r.route) == value]
        everyone = (sum(r.approved for r in pool) + m * base) / (len(pool) + m)
        sector = everyone
        if rec.company_sector:
            cell = [r for r in pool if r.company_sector == rec.company_sector]
            sector = (sum(r.approved for r in cell) + m * everyone) / (len(cell) + m)
        own = [r for r in pool if r.company_key == rec.company_key]
        out[f"company_{dim}_rate"] = (sum(r.approved for r in own) + m * sector) / (len(own) + m)
        out[f"sector_{dim}_rate"] = sector
    return out


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),  # day
            st.booleans(),  # approved
            st.sampled_from(["KVK1", "KVK2", "KVK3"]),
            st.sampled_from(["", "F", "J"]),
            st.sampled_from(["hours", "job", ""]),
            st.sampled_from(["paid_work", "social_domain"]),
            st.sampled_from(["a", "b"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_history_features_never_see_their_own_or_later_decisions(rows):
    """Every history feature of every training row equals a count by hand over strictly earlier decisions."""
    records = [
        decision(i, ok, T0 + timedelta(days=day), company=c, sector=s, kind=k, route=r, slug=slug)
        for i, (day, ok, c, s, k, r, slug) in enumerate(rows)
    ]
    ts = build_training_set(records)
    for i, rec in enumerate(records):
        expected = _brute_rates(records, rec)
        for name in HISTORY_FEATURES:
            assert ts.X[i, col(name)] == pytest.approx(expected[name]), name
    # flipping every decision at or after a time cannot change any history feature at that time or before
    cutoff = records[len(records) // 2].decided_at
    flipped = [replace(r, approved=not r.approved) if r.decided_at >= cutoff else r for r in records]
    ts2 = build_training_set(flipped)
    same = [i for i, r in enumerate(records) if r.decided_at <= cutoff]
    cols = [col(n) for n in HISTORY_FEATURES]
    assert np.array_equal(ts.X[np.ix_(same, cols)], ts2.X[np.ix_(same, cols)])


def test_training_rows_take_kind_and_route_from_the_record_not_the_store():
    stored = {name: 0.0 for name in (*KIND_FEATURES, *ROUTE_FEATURES)}
    stored.update({"kind_money": 1.0, "route_social_enterprise": 1.0})  # a wrong store
    rec = replace(decision(0, True, T0), features=stored)
    row = build_training_set([rec]).X[0]
    assert row[col("kind_job")] == 1.0 and row[col("kind_money")] == 0.0
    assert row[col("route_paid_work")] == 1.0 and row[col("route_social_enterprise")] == 0.0
    # a record without a kind keeps the stored one-hot, and its kind counts for the rates
    no_kind = [
        replace(decision(i, True, T0 + timedelta(days=i)), need_kind="", features=stored) for i in range(3)
    ]
    ts = build_training_set(no_kind)
    assert ts.records[0].need_kind == "money" and ts.X[0, col("kind_money")] == 1.0
    assert ts.X[2, col("company_kind_rate")] > ts.X[0, col("company_kind_rate")]


def test_resolved_records_take_kind_and_sector_from_the_pair():
    ctx = replace(make_context(1), company_sector="Q")
    cand = replace(make_candidates(1, seed=3)[0], kind="hours", route="social_domain")
    recs = [
        replace(decision(i, True, T0 + timedelta(days=i), stored=False), need_kind="", company_sector="")
        for i in range(2)
    ]
    ts = build_training_set(recs, lambda r: (ctx, cand))
    assert [(r.need_kind, r.company_sector) for r in ts.records] == [("hours", "Q"), ("hours", "Q")]
    assert ts.X[1, col("sector_kind_rate")] > ts.X[0, col("sector_kind_rate")]


def test_decisions_stored_before_the_size_features_keep_their_size():
    old = {"priority_theme_fit": 0.9, "fills_share": 1.0}  # the old capped share
    row = vector_from_mapping(old)
    assert row[col("size_ratio")] == pytest.approx(1.0) and row[col("overshoot")] == 0.0
    assert row[col("priority_theme_fit")] == 0.9


def test_sector_code_list_is_the_sbi_sections_in_dutch_and_english():
    assert [s.code for s in SECTORS] == [chr(c) for c in range(ord("A"), ord("U") + 1)]
    assert all(s.label_nl and s.label_en for s in SECTORS)
    assert sector_label("F") == "Bouwnijverheid" and sector_label("F", "en") == "Construction"
    assert sector_label("Q", "en") == "Human health and social work"
    assert [normalise_sector(v) for v in ("f", " F ", "F - Bouwnijverheid", "Fo", "", None, "Z")] == [
        "F",
        "F",
        "F",
        "",
        "",
        "",
        "",
    ]
    assert sector_label("Z") == ""
