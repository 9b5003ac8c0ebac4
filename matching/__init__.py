"""SRX matching: pure recommendation library. Plain dataclasses in, numbers out.

Never imports Flask, SQLModel, SQLAlchemy or ``marketplace``. The marketplace (``marketplace/recommend.py``
and ``marketplace/cli_matching.py``) builds the dataclasses from its database and calls the functions below;
this is how it uses the library today::

    from matching import (ApprovalStats, Candidate, ContractContext, DecisionRecord, ModelMismatch,
                          PlanOption, build_training_set, evaluate, load_model, plan, rank, save_model, train)

    # per request (the contract page, the API, `srx recommend`, the officer's insight panel)
    ctx = ContractContext(...)                          # the contract, its government and the company
    candidates = [Candidate(...) for hit in search_hits]  # eligible open needs and social firms, with scores
    history = ApprovalStats(decision_records)            # officer decisions, DecisionRecord per row
    try:
        model = load_model(app.config["MODEL_PATH"])     # instance/model/scorer.skops + scorer.json (card)
    except (FileNotFoundError, ModelMismatch):          # no file, or a file this code must not use
        model = None                                     # -> the prior ranks
    recs = rank(ctx, candidates, history, model, limit=10)  # Recommendation: score, features, reasons
    options = [PlanOption(r.candidate.id, r.candidate.unit_value_cents, r.candidate.open_units, r.score,
                          r.candidate.route) for r in recs]
    bundle = plan(ctx.remaining_cents, options, route_order=ctx.route_order)

    # offline (`srx train`, `srx evaluate [--curve]`)
    ts = build_training_set(decision_records, resolve)  # stored features, or resolve(record) -> (ctx, cand)
    result = evaluate(ts)                               # GroupKFold by company: model vs prior vs random,
                                                        # bootstrap interval over companies, the gate
    curve = learning_curve(ts)                          # NDCG@10 after 50, 100, ... 1,000 decisions
    model, card = train(ts)                             # the same evaluation, then a fit on every decision
    save_model(model, "instance/model/scorer.skops")    # writes scorer.json, the model card, beside it

    # when the candidates each contract could have been shown can be enumerated (plain data, by reference):
    shown = {ref: ShownCandidates(ctx, candidates, gains=None) for ref, ...}   # or a callable ref -> ...
    result = evaluate_rankings(decision_records, shown, resolve)  # ranks all of them, graded gains
    model, card = train(decision_records, resolve, shown=shown)   # and gates on that evaluation

``rank`` uses the model only when its card shows it beat the prior on held-out decisions (the lower bound of
the bootstrap interval of its NDCG@10 gain is above 0); otherwise the prior (``matching.prior``). The
company's sector (``ContractContext.company_sector``, ``DecisionRecord.company_sector``: an SBI section from
``SECTORS``) and the pledged need's kind (``DecisionRecord.need_kind``) feed the history features; left empty
they fall back to everyone's rates. For many requests against one catalogue, ``Recommender`` and
``CandidateSet.from_candidates(..., index_text=True)`` keep the columns and the TF-IDF index between
requests (``bench/matching.py`` measures that path); the marketplace does not use them yet.
"""

# The names below load their module on first use (PEP 562), so that `from matching import ContractContext`
# costs the dataclasses only: scikit-learn, scipy and skops load where a model is trained, loaded or a
# feature batch is computed, never when the app starts or `srx --help` runs.
import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, tuple[str, str]] = {
    "CURVE_SIZES": ("curve", "CURVE_SIZES"),
    "learning_curve": ("curve", "learning_curve"),
    "ShownCandidates": ("evaluation", "ShownCandidates"),
    "bootstrap_interval": ("evaluation", "bootstrap_interval"),
    "evaluate_rankings": ("evaluation", "evaluate_rankings"),
    "FEATURE_NAMES": ("features", "FEATURE_NAMES"),
    "FEATURE_NEUTRAL": ("features", "FEATURE_NEUTRAL"),
    "FEATURE_SET": ("features", "FEATURE_SET"),
    "MONOTONIC": ("features", "MONOTONIC"),
    "ApprovalStats": ("history", "ApprovalStats"),
    "CandidateSet": ("candidates", "CandidateSet"),
    "compute_feature_batch": ("features", "compute_feature_batch"),
    "compute_features": ("features", "compute_features"),
    "LearnedModel": ("model", "LearnedModel"),
    "ModelMismatch": ("model", "ModelMismatch"),
    "load_model": ("model", "load_model"),
    "save_model": ("model", "save_model"),
    "Plan": ("planner", "Plan"),
    "PlanItem": ("planner", "PlanItem"),
    "PlanOption": ("planner", "PlanOption"),
    "plan": ("planner", "plan"),
    "PRIOR": ("prior", "PRIOR"),
    "PRIOR_WEIGHTS": ("prior", "WEIGHTS"),
    "Recommender": ("scorer", "Recommender"),
    "choose_scorer": ("scorer", "choose_scorer"),
    "rank": ("scorer", "rank"),
    "SECTORS": ("sectors", "SECTORS"),
    "Sector": ("sectors", "Sector"),
    "normalise_sector": ("sectors", "normalise_sector"),
    "sector_label": ("sectors", "sector_label"),
    "build_training_set": ("training", "build_training_set"),
    "evaluate": ("training", "evaluate"),
    "train": ("training", "train"),
    "NEED_KINDS": ("types", "NEED_KINDS"),
    "ROUTES": ("types", "ROUTES"),
    "THEMES": ("types", "THEMES"),
    "Candidate": ("types", "Candidate"),
    "ContractContext": ("types", "ContractContext"),
    "DecisionRecord": ("types", "DecisionRecord"),
    "Reason": ("types", "Reason"),
    "Recommendation": ("types", "Recommendation"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'matching' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
    from .curve import CURVE_SIZES, learning_curve
    from .evaluation import ShownCandidates, bootstrap_interval, evaluate_rankings
    from .features import (
        FEATURE_NAMES,
        FEATURE_NEUTRAL,
        FEATURE_SET,
        MONOTONIC,
        ApprovalStats,
        CandidateSet,
        compute_feature_batch,
        compute_features,
    )
    from .model import LearnedModel, ModelMismatch, load_model, save_model
    from .planner import Plan, PlanItem, PlanOption, plan
    from .prior import PRIOR
    from .prior import WEIGHTS as PRIOR_WEIGHTS
    from .scorer import Recommender, choose_scorer, rank
    from .sectors import SECTORS, Sector, normalise_sector, sector_label
    from .training import build_training_set, evaluate, train
    from .types import (
        NEED_KINDS,
        ROUTES,
        THEMES,
        Candidate,
        ContractContext,
        DecisionRecord,
        Reason,
        Recommendation,
    )


__all__ = [
    "CURVE_SIZES",
    "FEATURE_NAMES",
    "FEATURE_NEUTRAL",
    "FEATURE_SET",
    "MONOTONIC",
    "NEED_KINDS",
    "PRIOR",
    "PRIOR_WEIGHTS",
    "ROUTES",
    "SECTORS",
    "THEMES",
    "ApprovalStats",
    "Candidate",
    "CandidateSet",
    "ContractContext",
    "DecisionRecord",
    "LearnedModel",
    "ModelMismatch",
    "Plan",
    "PlanItem",
    "PlanOption",
    "Reason",
    "Recommendation",
    "Recommender",
    "Sector",
    "ShownCandidates",
    "bootstrap_interval",
    "build_training_set",
    "choose_scorer",
    "compute_feature_batch",
    "compute_features",
    "evaluate",
    "evaluate_rankings",
    "learning_curve",
    "load_model",
    "normalise_sector",
    "plan",
    "rank",
    "save_model",
    "sector_label",
    "train",
]
