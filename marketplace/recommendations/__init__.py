"""Recommendations for a contract: the marketplace side of the `matching` library.

- `candidates`: database rows as the library's inputs (the contract context, one candidate builder, the
  pool of eligible open needs and social firms from the search index);
- `history`: officer decisions as records (with the need's kind and the company's sector), approval statistics
  over every government's decisions, cached per process;
- `model_store`: the learned model on disk, loaded when its files change;
- `reasons`: the reasons as sentences in the reader's language (a table of templates);
- `insights`: what the recommender says about a page of pledges an officer decides on.

The library itself never sees Flask or the ORM.
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlmodel import Session

from matching import ContractContext, Recommendation

from ..counting import Totals
from ..models import BlockUnit, Contract, Initiative, Need
from .candidates import CandidatePool, Valuer, candidate_for, candidate_pool, contract_context
from .history import approval_stats, decision_records
from .insights import Insight, explain_match, insights_for
from .model_store import current_model
from .ranking import ranked
from .reasons import reason_text

if TYPE_CHECKING:
    from matching import Plan

__all__ = [
    "CandidatePool",
    "Insight",
    "Recommendations",
    "Suggestion",
    "Valuer",
    "approval_stats",
    "candidate_for",
    "candidate_pool",
    "contract_context",
    "decision_records",
    "explain_match",
    "insights_for",
    "plan_for",
    "reason_text",
    "recommend",
]


@dataclass
class Suggestion:
    """One recommendation with what the page and the API show."""

    rec: Recommendation
    valuer: Valuer
    need: Need | None
    initiative: Initiative

    @property
    def reasons(self) -> list[str]:
        return [reason_text(r) for r in self.rec.reasons]

    def pledge_defaults(self, remaining_cents: int) -> dict[str, Any]:
        """A sensible first pledge: what fills the remaining obligation, within the open capacity."""
        c = self.rec.candidate
        units = max(1, min(c.open_units, math.ceil(max(remaining_cents, 1) / max(1, c.unit_value_cents))))
        defaults: dict[str, Any] = {"target": c.id, "block": self.valuer.block.code}
        if self.valuer.unit == "euro":
            defaults["amount"] = str(units)
        else:
            defaults["quantity"] = units
        if self.valuer.block.unit == BlockUnit.FTE_YEAR:
            defaults.update(hours_per_week=36, months=12)
        if self.valuer.block.unit == BlockUnit.INTERNSHIP_YEAR:
            defaults["weeks"] = 52
        return defaults


@dataclass
class Recommendations:
    context: ContractContext
    suggestions: list[Suggestion]
    pool: CandidatePool
    scorer: str


def recommend(
    session: Session,
    contract: Contract,
    *,
    text: str = "",
    filters: dict[str, list[str]] | None = None,
    limit: int = 10,
    totals: Totals | None = None,
) -> Recommendations:
    """The top `limit` candidates for the contract's remaining obligation, with reasons.

    `totals`: the contract's totals when the caller has just read them in this transaction."""
    ctx = contract_context(session, contract, totals=totals)
    pool = candidate_pool(session, contract, ctx, text=text, filters=filters)
    model = current_model(Path(current_app.config["MODEL_PATH"]))
    recs = (
        ranked(ctx, pool.candidates, approval_stats(session), model, limit, contract_version=contract.version)
        if pool.candidates
        else []
    )
    suggestions = [
        Suggestion(
            r, pool.valuers[r.candidate.id], pool.needs[r.candidate.id], pool.initiatives[r.candidate.id]
        )
        for r in recs
    ]
    scorer = recs[0].scorer if recs else ("model" if model is not None else "prior")
    return Recommendations(ctx, suggestions, pool, scorer)


def plan_for(session: Session, contract: Contract, *, pool_size: int = 60) -> "tuple[Plan, Recommendations]":
    """A set of pledges that covers the remaining obligation as closely as possible."""
    # scipy's milp loads when a plan is made
    from matching.planner import options_from_recommendations, plan

    recs = recommend(session, contract, limit=pool_size)
    options = options_from_recommendations(s.rec for s in recs.suggestions)
    return plan(recs.context.remaining_cents, options, route_order=recs.context.route_order), recs
