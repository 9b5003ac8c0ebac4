"""What the recommender says about pledges an officer looks at: a score, the features and the reasons.

`insights_for` serves a whole page of matches with a fixed number of queries, whatever its length: contract
totals, building blocks and handprints are loaded once for the page, approval statistics come from the
process's cache (one index for every government). `explain_match` is the same for one match at decision time; its features are stored
with the decision (the training data).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import current_app
from sqlmodel import Session, col, select

from ..counting import Totals
from ..models import BuildingBlock, Match
from ..queries import MatchRow, contract_totals, match_rows
from ..services.approvals import Explanation
from .candidates import candidate_for, context_of, handprints
from .history import approval_stats
from .model_store import current_model
from .ranking import ranked
from .reasons import reason_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Insight:
    score: float
    features: dict[str, float]
    reasons: list[str]


def _model() -> Any:
    return current_model(Path(current_app.config["MODEL_PATH"]))


def insights_for(
    session: Session, rows: Sequence[MatchRow], totals: dict[int, Totals] | None = None
) -> dict[int, Insight | None]:
    """Insight per match id for a page of match rows. A failure shows nothing: decisions never wait on it.

    `totals`: the contracts' totals when the page has them already (the queue shows them too)."""
    rows = [r for r in rows if r.initiative is not None]
    if not rows:
        return {}
    try:
        return _insights(session, rows, totals)
    except Exception:
        log.warning("match insight failed for %s", [r.match.id for r in rows], exc_info=True)
        return {}


def _insights(
    session: Session, rows: Sequence[MatchRow], totals: dict[int, Totals] | None
) -> dict[int, Insight | None]:
    if totals is None or any(r.contract.id not in totals for r in rows):
        contracts = {r.contract.id: r.contract for r in rows}
        totals = contract_totals(session, list(contracts.values()))
    table_ids = {r.contract.table_id for r in rows}
    blocks: dict[int, list[BuildingBlock]] = {}
    for b in session.exec(
        select(BuildingBlock)
        .where(col(BuildingBlock.table_id).in_(table_ids))
        .order_by(col(BuildingBlock.route), col(BuildingBlock.id))
    ).all():
        blocks.setdefault(b.table_id, []).append(b)
    prints = handprints(session, {r.initiative.id or 0 for r in rows if r.initiative is not None})
    model = _model()
    stats = approval_stats(session)  # one index for every government on the page
    out: dict[int, Insight | None] = {}
    for r in rows:
        assert r.initiative is not None
        ctx = context_of(r.contract, r.government, r.company, totals[r.contract.id or 0])
        cand = candidate_for(
            session,
            r.contract,
            ctx,
            need=r.need,
            initiative=r.initiative,
            fallback_block=r.block,
            open_units=1,
            blocks=blocks.get(r.contract.table_id, []),
            handprint=prints.get(r.initiative.id or 0, {}),
        )
        if cand is None:
            out[r.match.id or 0] = None
            continue
        # Size the candidate as pledged, so "fills x% of what you still owe" speaks of this pledge.
        value = max(1, r.match.value_cents)
        cand = replace(cand, unit_value_cents=value, open_value_cents=value, route=r.block.route)
        recs = ranked(ctx, [cand], stats, model, 1, contract_version=r.contract.version)
        out[r.match.id or 0] = (
            Insight(
                score=recs[0].score,
                features=dict(recs[0].features),
                reasons=[reason_text(x, for_officer=True) for x in recs[0].reasons],
            )
            if recs
            else None
        )
    return out


def explain_match(match: Match) -> Explanation:
    """The recommender's view of one match, to store with the officer's decision (empty when it fails)."""
    from ..db import get_session

    session = get_session()
    insight = insights_for(session, match_rows(session, [match])).get(match.id or 0)
    if insight is None:
        return Explanation()
    return Explanation(features=insight.features, score=insight.score)
