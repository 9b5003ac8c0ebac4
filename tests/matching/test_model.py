"""The learned scorer: it beats the prior on decisions from a known rule, and it persists safely.

Synthetic decisions (``matching.synthetic.officer_rule``): an officer approves a proposed pledge when the
candidate serves one of the government's priority themes (theme score >= 50) AND lies within 15 km of the
company's site; each decision is then flipped with probability 10%. Proposals are drawn at random from a
catalogue around Amsterdam, so the text, size, route and search-score features carry no signal the prior
could exploit but are weighted by it.
"""

from __future__ import annotations

import json
import operator
from dataclasses import replace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from matching import (
    FEATURE_NAMES,
    FEATURE_SET,
    LearnedModel,
    ModelMismatch,
    evaluate,
    load_model,
    rank,
    save_model,
    train,
)
from matching.model import card_path_for
from matching.synthetic import make_candidates, make_context
from matching.training import build_training_set, ranking_metrics


@pytest.fixture(scope="module")
def trained_hgb(world_hgb):
    return train(world_hgb.records)


@pytest.fixture(scope="module")
def trained_lr(world_small):
    return train(world_small.records)


def test_boosted_model_beats_prior_and_random_on_held_out_companies(trained_hgb):
    model, card = trained_hgb
    assert card["model_type"] == "hgb"
    m = card["metrics"]
    assert m["learned"]["ndcg@10"] > m["prior"]["ndcg@10"] > m["random"]["ndcg@10"]
    assert m["learned"]["map"] > m["prior"]["map"]
    assert card["beats_prior"] and model.beats_prior
    assert card["n_decisions"] == 3000 and card["n_companies"] > 10
    assert card["label_counts"]["approved"] + card["label_counts"]["rejected"] == 3000
    assert card["evaluation"]["cv"].startswith("GroupKFold by company")


def test_logistic_model_with_few_labels_beats_the_prior(trained_lr):
    model, card = trained_lr
    assert card["model_type"] == "logistic"
    assert card["metrics"]["learned"]["ndcg@10"] > card["metrics"]["prior"]["ndcg@10"]


def test_training_from_contexts_instead_of_stored_features(world_small):
    records = [replace(r, features=None) for r in world_small.records]
    result = evaluate(records, world_small.resolve)
    assert result["n_decisions"] == len(records) and result["n_skipped"] == 0
    assert result["learned"]["ndcg@10"] > result["prior"]["ndcg@10"]
    unresolvable = evaluate(records[:50])  # no stored features, no resolver
    assert unresolvable["n_decisions"] == 0 and unresolvable["n_skipped"] == 50


def test_model_learns_the_rule_in_its_contributions(trained_hgb):
    model, _ = trained_hgb
    ctx = make_context(3)
    recs = rank(ctx, make_candidates(300, seed=9), model=model)
    assert all(r.scorer == "model" for r in recs)
    top = recs[0]
    assert {r.code for r in top.reasons if r.contribution > 0} & {"priority_theme", "distance"}
    strongest = max(top.contributions, key=lambda k: abs(top.contributions[k]))
    assert strongest in {"priority_theme_fit", "closeness"}


@pytest.mark.parametrize("fixture", ["trained_hgb", "trained_lr"])
def test_fast_scoring_equals_sklearn(fixture, request):
    model, _ = request.getfixturevalue(fixture)
    X = np.random.default_rng(0).random((500, len(FEATURE_NAMES)))
    assert model.compiled is not None
    assert np.allclose(model.score(X), model.pipeline.predict_proba(X)[:, 1], atol=1e-9)


def test_save_load_round_trip(tmp_path, trained_hgb):
    model, card = trained_hgb
    path = tmp_path / "model.skops"
    card_path = save_model(model, path)
    assert card_path == tmp_path / "model.json"
    assert path.read_bytes()[:2] == b"PK"  # a skops zip, not a pickle
    stored = json.loads(card_path.read_text())
    for key in ("versions", "feature_names", "data_cutoff", "label_counts", "metrics", "sha256"):
        assert key in stored
    assert stored["versions"]["scikit-learn"]
    loaded = load_model(path)
    X = np.random.default_rng(1).random((50, len(FEATURE_NAMES)))
    assert np.array_equal(loaded.score(X), model.score(X))
    assert loaded.beats_prior
    ctx = make_context(4)
    cands = make_candidates(100, seed=10)
    assert [r.candidate.id for r in rank(ctx, cands, model=loaded)] == [
        r.candidate.id for r in rank(ctx, cands, model=model)
    ]


def _tamper(path, **changes):
    cpath = card_path_for(path)
    card = json.loads(cpath.read_text())
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            card[outer][inner] = value
        else:
            card[key] = value
    cpath.write_text(json.dumps(card))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"feature_names": list(reversed(FEATURE_NAMES))}, "features"),
        ({"versions.scikit-learn": "0.24.2"}, "scikit-learn"),
        ({"versions.numpy": "1.0.0"}, "numpy"),
        ({"format": "something-else"}, "format"),
        ({"sha256": "0" * 64}, "checksum"),
        ({"model_type": "logistic"}, "card says"),
    ],
)
def test_tampered_card_raises_model_mismatch(tmp_path, trained_hgb, changes, message):
    model, _ = trained_hgb
    path = tmp_path / "model.skops"
    save_model(model, path)
    _tamper(path, **changes)
    with pytest.raises(ModelMismatch, match=message):
        load_model(path)


def test_missing_card_or_changed_file_raises(tmp_path, trained_lr):
    model, _ = trained_lr
    path = tmp_path / "m.skops"
    save_model(model, path)
    with path.open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelMismatch, match="checksum"):
        load_model(path)
    card_path_for(path).unlink()
    with pytest.raises(ModelMismatch, match="card"):
        load_model(path)


def test_types_outside_the_allow_list_are_refused(tmp_path, world_small):
    ts = build_training_set(world_small.records)
    odd = Pipeline([("scale", FunctionTransformer(operator.neg)), ("clf", LogisticRegression())]).fit(
        ts.X, ts.y
    )
    path = tmp_path / "odd.skops"
    save_model(LearnedModel(odd, {}), path)
    with pytest.raises(ModelMismatch, match="not allowed"):
        load_model(path)


def test_ranking_metrics_on_known_lists():
    y = np.array([1, 0, 0, 1, 0, 1, 0])
    q = np.array([0, 0, 0, 0, 1, 1, 2])
    perfect = ranking_metrics(y, np.array([4, 1, 1, 3, 0, 1, 0.0]), q)
    assert perfect["ndcg@10"] == pytest.approx(1.0) and perfect["map"] == pytest.approx(1.0)
    assert perfect["n_queries"] == 2  # the single-item list is skipped
    worst = ranking_metrics(y, np.array([0, 3, 2, 1, 1, 0, 0.0]), q)
    # list 0: positives at ranks 3 and 4; list 1: positive at rank 2
    ndcg0 = (1 / np.log2(4) + 1 / np.log2(5)) / (1 + 1 / np.log2(3))
    ndcg1 = (1 / np.log2(3)) / 1
    assert worst["ndcg@10"] == pytest.approx((ndcg0 + ndcg1) / 2)
    assert worst["map"] == pytest.approx(((1 / 3 + 2 / 4) / 2 + 1 / 2) / 2)
    assert worst["precision@5"] == pytest.approx((2 / 4 + 1 / 2) / 2)


def test_evaluation_needs_two_companies_and_both_outcomes(world_small):
    one_company = [replace(r, company_key="KVK1") for r in world_small.records[:100]]
    result = evaluate(one_company)
    assert result["beats_prior"] is False and result["learned"] is None
    model, card = train(one_company)  # it still fits, but the scorer will not use it
    assert not model.beats_prior


def test_boosted_contributions_are_exact_for_the_additive_model(trained_hgb):
    """Contribution j = logit(x) - logit(x with feature j at its training mean), for the additive model."""
    model, _ = trained_hgb
    X = np.random.default_rng(2).random((20, len(FEATURE_NAMES)))
    contrib = model.contributions(X)

    def logit(p):
        return np.log(p) - np.log1p(-p)

    for j in range(len(FEATURE_NAMES)):
        Xj = X.copy()
        Xj[:, j] = model.reference[j]
        assert np.allclose(contrib[:, j], logit(model.score(X)) - logit(model.score(Xj)), atol=1e-9)


def test_calibrated_model_round_trips_through_the_allow_list(tmp_path, world_small):
    model, card = train(world_small.records, kind="logistic", calibrate=True, n_splits=3)
    assert card["model_type"] == "logistic+calibrated"
    assert model.compiled is None  # scored by sklearn, explained by occlusion
    path = tmp_path / "calibrated.skops"
    save_model(model, path)
    loaded = load_model(path)
    X = np.random.default_rng(3).random((10, len(FEATURE_NAMES)))
    assert np.allclose(loaded.score(X), model.score(X))
    assert loaded.contributions(X).shape == X.shape


OLD_FEATURE_NAMES = [
    "priority_theme_fit",
    "company_interest_fit",
    "text_fit",
    "closeness",
    "fills_share",
    "route_preference",
    "search_relevance",
    "approval_rate",
]


def test_a_model_file_from_the_old_feature_set_is_refused(tmp_path, trained_lr, world_small):
    """A model trained before the new features (their order in its card) must not be used: the marketplace then
    falls back to the prior (tests/views/test_recommendations.py)."""
    model, _ = trained_lr
    path = tmp_path / "model.skops"
    save_model(model, path)
    cpath = card_path_for(path)
    card = json.loads(cpath.read_text())
    assert card["feature_set"] == FEATURE_SET and card["feature_names"] == list(FEATURE_NAMES)
    assert card["monotonic"] == {"priority_theme_fit": 1, "company_interest_fit": 1, "overshoot": -1}
    old = {k: v for k, v in card.items() if k != "feature_set"}
    old["feature_names"] = OLD_FEATURE_NAMES
    cpath.write_text(json.dumps(old))
    with pytest.raises(ModelMismatch, match="features"):
        load_model(path)
    # an old 8-column pipeline, even under a card that names today's features, is refused too
    X8 = build_training_set(world_small.records).X[:, :8]
    y = build_training_set(world_small.records).y
    eight = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X8, y)
    save_model(LearnedModel(eight, {}), tmp_path / "eight.skops")
    with pytest.raises(ModelMismatch, match="expects 8 features"):
        load_model(tmp_path / "eight.skops")
