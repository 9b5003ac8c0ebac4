"""The learned model on decisions from a stated officer rule: it finds the sector-by-kind preference and the
size penalty, and after 300 decisions it ranks clearly better than the prior.

The rules (``matching.synthetic.RULE_A`` and ``RULE_B``; ``World.rule`` states them in full):

    logit P(approve) = -0.5 + 1.0 x [serves a priority theme] + sector_kind[company's sector][need kind]
                       - 1.2 x max(0, log2(open value / remaining obligation))

RULE_A and RULE_B differ only in the sector-by-kind table (construction, ICT and care companies, each good at
other kinds). Each contract shows 60 candidates, the company pledges 12 of them, the officer approves each
with the rule's chance, and the evaluation's gain for every shown candidate is that chance.
Run with ``-s`` to see the figures and their intervals.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching import MONOTONIC, learning_curve, train
from matching.features import FEATURE_NAMES, compute_features
from matching.synthetic import RULE_A, RULE_B, OfficerRule, make_candidates, make_context, make_rule_world

# (rule, sector that likes kind `good` and dislikes `bad`, the other sector, which likes them the other way)
CONTRASTS = {
    "rule A": ("F", "internship", "J", "expertise"),  # construction: internships; ICT: expertise
    "rule B": ("F", "hours", "J", "internship"),  # construction: hours; ICT: internships
}
RULES = [pytest.param(RULE_A, id="rule_A"), pytest.param(RULE_B, id="rule_B")]


def test_the_worlds_state_their_rule():
    world = make_rule_world(24, RULE_A, seed=1)
    assert "sector_kind" in world.rule and "log2(value / remaining)" in world.rule
    assert "F: job +2.0" in world.rule
    assert RULE_A.sector_kind != RULE_B.sector_kind


@pytest.mark.parametrize("rule", RULES)
def test_after_300_decisions_the_model_beats_the_prior_by_a_tenth(rule: OfficerRule):
    world = make_rule_world(600, rule, seed=2)
    (point,) = learning_curve(world.records, world.shown, sizes=(300,))
    print(
        f"\n{rule.name}, after 300 decisions ({point['n_queries']} later contracts of {point['n_companies']} "
        f"unseen companies, all 60 shown candidates each): model {point['learned']:.3f} "
        f"[{point['learned_interval'][0]:.3f}, {point['learned_interval'][1]:.3f}], prior {point['prior']:.3f} "
        f"[{point['prior_interval'][0]:.3f}, {point['prior_interval'][1]:.3f}], random {point['random']:.3f}; "
        f"gain {point['gain']:+.3f} [{point['low']:+.3f}, {point['high']:+.3f}] (95%, bootstrap over companies)"
    )
    assert point["n_decisions"] == 300 and point["model_type"] == "logistic"
    assert point["gain"] >= 0.10
    assert point["low"] > 0 and point["beats_prior"]
    assert point["learned"] > point["prior"] > point["random"]


def _signals(effects: dict[str, float]) -> dict[str, float]:
    """Effects per signal of the rule: the two kind rates are one signal, the two size features another."""
    out = {name: v for name, v in effects.items() if name not in ("sector_kind_rate", "company_kind_rate")}
    out.pop("size_ratio")
    out.pop("overshoot")
    out["sector x kind"] = max(effects["sector_kind_rate"], effects["company_kind_rate"], key=abs)
    out["size"] = min(effects["size_ratio"], effects["overshoot"])
    return out


@pytest.mark.parametrize("rule", RULES)
def test_the_model_recovers_the_sector_preference_and_the_size_penalty(rule: OfficerRule):
    world = make_rule_world(600, rule, seed=3)
    model, card = train(world.records, run_evaluation=False)
    assert model.kind == "logistic"
    signals = _signals(model.effects())
    top = sorted(signals, key=lambda s: -abs(signals[s]))[:3]
    print(f"\n{rule.name}: strongest effects (log-odds per sd) {[(s, round(signals[s], 2)) for s in top]}")
    # the rule's three factors are the model's three strongest signals, each with the rule's sign
    assert set(top) == {"sector x kind", "size", "priority_theme_fit"}
    assert signals["sector x kind"] > 0 and signals["size"] < 0 and signals["priority_theme_fit"] > 0
    assert model.effects()["sector_kind_rate"] > 0 and model.effects()["overshoot"] < 0
    assert card["effects"] == {k: round(v, 4) for k, v in model.effects().items()}
    # and it ranks accordingly: the same need, only its kind differs, for a new company of each sector
    sector, good, other_sector, bad = CONTRASTS[rule.name]
    when = max(r.decided_at for r in world.records)
    base = replace(make_candidates(1, seed=7)[0], open_value_cents=200_000)  # fits what is owed
    pair = [replace(base, id="need:1", kind=good), replace(base, id="need:2", kind=bad)]
    for who, winner in ((sector, 0), (other_sector, 1)):
        ctx = replace(
            make_context(5), company_key="KVK-new", company_sector=who, as_of=when, remaining_cents=5_000_000
        )
        scores = model.score(compute_features(ctx, pair, world.records))
        assert scores[winner] > scores[1 - winner], (who, pair[winner].kind)


def test_boosting_can_learn_that_size_lowers_the_chance():
    """Above 2,000 decisions the boosted model is used; it is no longer forced to be increasing in size."""
    world = make_rule_world(2400, RULE_A, seed=4)
    model, _ = train(world.records, run_evaluation=False)
    assert model.kind == "hgb"
    assert list(model.pipeline.named_steps["clf"].monotonic_cst) == [MONOTONIC[n] for n in FEATURE_NAMES]
    ctx = replace(make_context(5), remaining_cents=2_000_000, as_of=max(r.decided_at for r in world.records))
    base = make_candidates(1, seed=8)[0]
    sizes = [1_000_000, 2_000_000, 8_000_000, 20_000_000]  # half, all, 4x and 10x what is owed
    cands = [replace(base, id=f"need:{i}", open_value_cents=v) for i, v in enumerate(sizes)]
    scores = model.score(compute_features(ctx, cands, world.records))
    assert scores[1] > scores[2] > scores[3]
    assert scores[0] > scores[3]
    effects = model.effects()
    assert min(effects["size_ratio"], effects["overshoot"]) < 0
