"""Fit the learned scorer from officer decisions, with its held-out evaluation in the model card.

``build_training_set`` (``matching.dataset``) turns decisions into feature rows without leakage;
``matching.evaluation`` holds the evaluation (GroupKFold by company, NDCG@10 against the prior with a
bootstrap interval over companies). ``train`` runs that evaluation, on every candidate the companies could
have been shown when ``shown`` is given and on the pledge lists otherwise, then fits the final model on all
rows and writes the result into the card. The scorer only uses the model if the lower bound of the card's
interval for the gain over the prior is above 0.

The names that lived here before the split (``TrainingSet``, ``build_training_set``, ``evaluate``,
``ranking_metrics``, ``Resolver``) are re-exported.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from . import prior
from .curve import learning_curve
from .dataset import Resolver, TrainingSet, build_training_set
from .evaluation import (
    N_BOOT,
    CandidateSource,
    K,
    evaluate,
    evaluate_rankings,
    ranking_metrics,
)
from .features import FEATURE_NAMES, FEATURE_SET
from .model import LearnedModel, fit_model
from .types import DecisionRecord


def train(
    records: TrainingSet | Iterable[DecisionRecord],
    resolve: Resolver | None = None,
    *,
    shown: CandidateSource | None = None,
    kind: str = "auto",
    calibrate: bool = False,
    n_splits: int = 5,
    seed: int = 0,
    run_evaluation: bool = True,
    n_boot: int = N_BOOT,
) -> tuple[LearnedModel, dict[str, Any]]:
    """Evaluate (GroupKFold by company), then fit on every decision. Returns the model and its card.

    With ``shown`` (and records, not a TrainingSet) the evaluation ranks every candidate each contract could
    have been shown (``evaluate_rankings``); otherwise the pledge lists (``evaluate``). Without evaluation the
    card has no metrics and the scorer will keep using the prior.
    """
    t0 = time.perf_counter()
    evaluation: dict[str, Any] | None = None
    if isinstance(records, TrainingSet):
        ts, cutoff = records, (max(records.decided_at) if records.decided_at else None)
        if shown is not None:
            raise TypeError("evaluating every shown candidate needs the decision records, not a TrainingSet")
    else:
        records = list(records)
        ts = build_training_set(records, resolve)
        cutoff = max((r.decided_at for r in records), default=None)
        if run_evaluation and shown is not None:
            evaluation = evaluate_rankings(
                records,
                shown,
                resolve,
                kind=kind,
                calibrate=calibrate,
                n_splits=n_splits,
                seed=seed,
                n_boot=n_boot,
            )
    if run_evaluation and evaluation is None:
        evaluation = evaluate(ts, kind=kind, calibrate=calibrate, n_splits=n_splits, seed=seed, n_boot=n_boot)
    model = fit_model(ts.X, ts.y, kind=kind, calibrate=calibrate, random_state=seed)
    card: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_cutoff": cutoff.isoformat() if cutoff else None,
        "feature_set": FEATURE_SET,
        "feature_names": list(FEATURE_NAMES),
        "model_type": model.kind,
        "n_decisions": len(ts),
        "n_skipped": ts.n_skipped,
        "n_companies": len(set(ts.groups.tolist())),
        "label_counts": {"approved": int(ts.y.sum()), "rejected": int(len(ts) - ts.y.sum())},
        "reference": [float(v) for v in model.reference],
        "effects": {name: round(v, 4) for name, v in model.effects().items()},
        "prior_weights": dict(prior.WEIGHTS),
    }
    if evaluation is not None:
        card["metrics"] = {name: evaluation[name] for name in ("learned", "prior", "random")}
        card["evaluation"] = {
            key: evaluation[key]
            for key in (
                "mode",
                "cv",
                "folds",
                "n_queries",
                "n_contracts",
                "k",
                "gain",
                "beats_prior",
                "note",
                "n_candidates_ranked",
                "n_pledges_not_shown",
                "n_contracts_without_candidates",
            )
            if key in evaluation
        }
        card["beats_prior"] = evaluation["beats_prior"]
    card["training_seconds"] = round(time.perf_counter() - t0, 3)
    model.card = card
    return model, card


def decisions_as_training_rows(ts: TrainingSet) -> list[dict[str, float]]:
    """The feature rows as mappings (handy for inspection and exports)."""
    return [{name: float(v) for name, v in zip(FEATURE_NAMES, row, strict=True)} for row in ts.X]


__all__: Sequence[str] = (
    "K",
    "Resolver",
    "TrainingSet",
    "build_training_set",
    "decisions_as_training_rows",
    "evaluate",
    "evaluate_rankings",
    "learning_curve",
    "ranking_metrics",
    "train",
)
