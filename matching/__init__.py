"""SRX matching: pure recommendation library. Plain dataclasses in, numbers out.

Never imports Flask, SQLModel, SQLAlchemy or ``marketplace``; the marketplace builds the dataclasses from its
database and calls ``rank`` / ``plan`` / ``train``.

Typical use from the marketplace::

    from matching import (ApprovalStats, CandidateSet, ModelMismatch, Recommender, load_model, plan,
                          train, save_model)
    from matching.planner import options_from_recommendations

    # once per process (and again when the outbox says needs changed, or a new model was written)
    catalogue = CandidateSet.from_candidates(all_open_candidates, index_text=True)
    try:
        model = load_model("instance/model.skops")        # None -> the prior
    except (FileNotFoundError, ModelMismatch):
        model = None
    recommender = Recommender(model=model, history=ApprovalStats(decision_records), catalogue=catalogue)

    # per request: ids + scores from search (or every eligible id), then rank and plan
    recs = recommender.rank(ctx, ids=[h.document.id for h in hits], search_scores=[h.score for h in hits])
    bundle = plan(ctx.remaining_cents, options_from_recommendations(recs), route_order=ctx.route_order)

    # offline (`srx train`)
    model, card = train(decision_records)                  # GroupKFold evaluation + final fit
    save_model(model, "instance/model.skops")              # + instance/model.json, the model card

``rank(ctx, candidates, history, model=None, limit=10)`` also takes a plain list of Candidate objects.
"""

from .features import (
    FEATURE_NAMES,
    FEATURE_NEUTRAL,
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
from .training import build_training_set, evaluate, train
from .types import (
    ROUTES,
    THEMES,
    Candidate,
    ContractContext,
    DecisionRecord,
    Reason,
    Recommendation,
)

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_NEUTRAL",
    "PRIOR",
    "PRIOR_WEIGHTS",
    "ROUTES",
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
    "build_training_set",
    "choose_scorer",
    "compute_feature_batch",
    "compute_features",
    "evaluate",
    "load_model",
    "plan",
    "rank",
    "save_model",
    "train",
]
