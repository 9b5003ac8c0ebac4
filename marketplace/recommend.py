"""Recommendations for a contract: the marketplace side of the `matching` library.

It turns database rows into the library's plain dataclasses, asks the search backend for candidates
(eligible open needs and social firms), ranks them with the learned model when one is trained and
beats the prior (otherwise with the prior), translates the reasons, and builds plans. The library
itself never sees Flask or the ORM.
"""

import logging
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlmodel import Session, col, select

from matching import (
    ApprovalStats,
    Candidate,
    ContractContext,
    DecisionRecord,
    ModelMismatch,
    Plan,
    PlanOption,
    Reason,
    Recommendation,
    load_model,
    plan,
    rank,
)
from search import Query, SearchError

from . import i18n
from .models import (
    BuildingBlock,
    Company,
    Contract,
    Decision,
    Government,
    HandprintScore,
    Initiative,
    Match,
    Need,
)
from .queries import blocks_of, contract_totals, eligible_initiative_ids, open_capacities

log = logging.getLogger(__name__)

# How many search hits feed the ranking; the scorer handles far more, the page shows ten.
CANDIDATE_POOL = 300


@dataclass(frozen=True)
class Valuer:
    """How one candidate is pledged: the block that values it, the unit and what a unit is worth."""

    block: BuildingBlock
    unit: str  # the pledge quantity's unit: "hours", "days", "euro", "persons"
    unit_value_cents: int


def contract_context(session: Session, contract: Contract, *, now: datetime | None = None) -> ContractContext:
    """The contract as the matching library sees it."""
    gov = session.get(Government, contract.government_id)
    company = session.get(Company, contract.company_id)
    assert gov is not None and company is not None
    totals = contract_totals(session, [contract])[contract.id or 0]
    return ContractContext(
        contract_id=contract.id or 0, government=gov.slug, government_name=gov.name,
        priority_themes=tuple(gov.priority_themes), route_order=tuple(gov.route_order),
        company_key=company.kvk, company_interests=tuple(company.interests), company_profile=company.profile,
        lat=company.lat, lon=company.lon, obligation_cents=totals.obligation_cents,
        remaining_cents=totals.remaining_cents, as_of=now or datetime.now(UTC),
    )


def _fte_year_value(block: BuildingBlock) -> int:
    """A person-year at 36 h/week, counted for at most the block's months."""
    months = min(12, block.max_months) if block.max_months else 12
    return (block.value_cents or 0) * months // 12


def valuer_for(need: Need | None, initiative: Initiative, blocks: list[BuildingBlock],
               route_order: tuple[str, ...]) -> Valuer | None:
    """The building block a company would most naturally use for this need in this table."""
    def pref(b: BuildingBlock) -> tuple[int, int]:
        rank_ = route_order.index(b.route) if b.route in route_order else len(route_order)
        return rank_, -(b.value_cents or b.percentage_bp or 0)

    unit = need.unit if need is not None else "cents"
    if unit in ("hours", "days"):
        wanted = "hour" if unit == "hours" else "day"
        options = [b for b in blocks if b.unit == wanted and b.value_cents]
        if not options:
            return None
        b = min(options, key=pref)
        return Valuer(b, unit, b.value_cents or 0)
    if unit == "cents":
        firm = initiative.kind in ("social_firm", "sw_company")
        purchase = need is None or need.kind == "purchase"
        # A purchase from a social firm is labour participation; money or goods for an initiative is a
        # social-domain contribution. Other euro blocks (e.g. training costs as a bonus) do not value needs.
        route = "labour_participation" if purchase and firm else "social_domain"
        options = [b for b in blocks if b.unit == "euro_spent" and b.route == route]
        if not options:
            return None
        b = min(options, key=pref)
        # Planned in whole euro: value of one euro spent, in cents.
        return Valuer(b, "euro", (100 * (b.percentage_bp if b.percentage_bp is not None else 10_000)) // 10_000)
    if unit == "places":
        if need is not None and need.kind == "internship":
            options = [b for b in blocks if b.unit == "internship_year" and b.value_cents]
            if not options:
                return None
            b = min(options, key=lambda b: b.value_cents or 0)
            return Valuer(b, "persons", b.value_cents or 0)
        options = [b for b in blocks if b.unit == "fte_year" and b.value_cents]
        matching_group = [b for b in options if b.target_group and b.target_group in initiative.target_groups]
        # Without a known target group, count the most modest block: never promise more than is sure.
        pool = matching_group or options
        if not pool:
            return None
        b = min(pool, key=_fte_year_value)
        return Valuer(b, "persons", _fte_year_value(b))
    return None


def _handprints(session: Session, initiative_ids: set[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if initiative_ids:
        for h in session.exec(select(HandprintScore).where(col(HandprintScore.initiative_id).in_(initiative_ids))):
            out.setdefault(h.initiative_id, {})[h.theme] = h.score
    return out


@dataclass
class CandidatePool:
    """Candidates with what the pages need beside them (the valuer, the need and initiative rows)."""

    candidates: list[Candidate]
    valuers: dict[str, Valuer]
    needs: dict[str, Need | None]
    initiatives: dict[str, Initiative]
    search_failed: bool = False


def candidate_pool(session: Session, contract: Contract, ctx: ContractContext, *, text: str = "",
                   filters: dict[str, list[str]] | None = None, pool: int = CANDIDATE_POOL) -> CandidatePool:
    """Eligible open needs and social firms, from the search index (or the database when it is down)."""
    from .search_sync import get_backend

    filters = {k: v for k, v in (filters or {}).items() if v}
    filters["eligible_for"] = [ctx.government]
    scores: dict[str, float] = {}
    search_failed = False
    try:
        backend = get_backend()
        page = 1
        while len(scores) < pool:
            result = backend.search(Query(text=text, filters=filters, facets=(), page=page, per_page=100))
            for hit in result.hits:
                scores[hit.id] = max(0.0, float(hit.score))
            if page * 100 >= min(result.total, pool) or not result.hits:
                break
            page += 1
    except SearchError:
        log.warning("search unavailable; recommendations use the database", exc_info=True)
        search_failed = True
    eligible = eligible_initiative_ids(session, contract.government_id)
    if search_failed:
        need_ids = [n for n in session.exec(select(Need.id).where(
            col(Need.initiative_id).in_(eligible), Need.status == "open")).all()]
        scores = {f"need:{n}": 0.0 for n in need_ids}
        scores.update({f"initiative:{i}": 0.0 for i in eligible})
    need_ids = [int(k.split(":")[1]) for k in scores if k.startswith("need:")]
    needs = {n.id: n for n in session.exec(select(Need).where(col(Need.id).in_(need_ids), Need.status == "open"))}
    ini_ids = {n.initiative_id for n in needs.values()} | {int(k.split(":")[1]) for k in scores
                                                           if k.startswith("initiative:")}
    initiatives = {i.id: i for i in session.exec(select(Initiative).where(col(Initiative.id).in_(ini_ids & eligible)))}
    # A social firm that lists its own purchase need is offered through that need, not twice.
    firms_with_purchase_need = set(session.exec(select(Need.initiative_id).where(
        col(Need.initiative_id).in_(ini_ids), Need.status == "open", Need.kind == "purchase")).all())
    caps = open_capacities(session, list(needs.values()))
    prints = _handprints(session, set(initiatives))
    blocks = blocks_of(session, contract.table_id)
    out = CandidatePool([], {}, {}, {}, search_failed)
    for key, score in scores.items():
        kind, raw = key.split(":")
        need = needs.get(int(raw)) if kind == "need" else None
        ini = initiatives.get(need.initiative_id if need else int(raw))
        if ini is None or (kind == "need" and need is None):
            continue
        if kind == "initiative" and (ini.kind not in ("social_firm", "sw_company")
                                     or ini.id in firms_with_purchase_need):
            continue  # an initiative without a need is no candidate; a social firm sells
        valuer = valuer_for(need, ini, blocks, ctx.route_order)
        if valuer is None:
            continue
        if need is not None:
            open_native = caps.get(need.id or 0, 0)
            open_units = open_native // 100 if valuer.unit == "euro" else open_native
            title, text_, themes = need.title, need.description, tuple(need.themes)
            need_kind = need.kind
        else:
            # A social firm can take any purchase: capacity is what the company still owes.
            open_units = max(0, ctx.remaining_cents) // max(1, valuer.unit_value_cents)
            title, text_, themes, need_kind = ini.name, ini.summary, (), "purchase"
        if open_units <= 0:
            continue
        handprint = prints.get(ini.id or 0, {})
        out.candidates.append(Candidate(
            id=key, initiative_slug=ini.slug, initiative_name=ini.name, need_id=need.id if need else None,
            kind=need_kind, route=valuer.block.route, title=title, text=f"{text_}\n{ini.summary}",
            themes=themes or tuple(t for t, s in handprint.items() if s >= 20), handprint=handprint,
            lat=ini.lat, lon=ini.lon, open_value_cents=open_units * valuer.unit_value_cents,
            unit_value_cents=valuer.unit_value_cents, open_units=open_units, search_score=score))
        out.valuers[key] = valuer
        out.needs[key] = need
        out.initiatives[key] = ini
    return out


# --- history and model, kept per process --------------------------------------------------------------

_model_lock = threading.Lock()
_model_cache: dict[str, Any] = {"key": None, "model": None}


def current_model() -> Any:
    """The learned model from MODEL_PATH when it exists, matches and beat the prior; otherwise None (prior)."""
    path = Path(current_app.config["MODEL_PATH"])
    try:
        # Both files: a new card with an old model (or the reverse) must not be served from the cache.
        stamp = (path.stat().st_mtime_ns, path.with_suffix(".json").stat().st_mtime_ns)
    except OSError:
        return None
    key = f"{path}:{stamp}"
    with _model_lock:
        if _model_cache["key"] != key:
            try:
                model = load_model(path)
            except (ModelMismatch, OSError, ValueError) as exc:
                log.warning("model file %s not used, falling back to the prior: %s", path, exc)
                model = None
            _model_cache.update(key=key, model=model)
        return _model_cache["model"]


def decision_records(session: Session, *, government: str | None = None) -> list[DecisionRecord]:
    """Officer decisions as the library's records (approved or rejected; change requests are not final)."""
    stmt = select(Decision).where(col(Decision.outcome).in_(("approved", "rejected")))
    if government:
        stmt = stmt.where(Decision.government == government)
    need_ids = {}
    rows = session.exec(stmt.order_by(col(Decision.decided_at), col(Decision.id))).all()
    refs = {d.need for d in rows if d.need}
    if refs:
        need_ids = dict(session.exec(select(Need.reference, Need.id).where(col(Need.reference).in_(refs))).all())
    return [DecisionRecord(
        decided_at=d.decided_at, government=d.government, contract_reference=d.contract_reference,
        company_key=d.company_kvk, initiative_slug=d.initiative, need_id=need_ids.get(d.need),
        route=d.route, approved=d.outcome == "approved", features=d.features) for d in rows]


def approval_stats(session: Session, government: str) -> ApprovalStats:
    return ApprovalStats(decision_records(session, government=government))


# --- reasons in the user's language -------------------------------------------------------------------

def reason_text(reason: Reason, *, for_officer: bool = False) -> str:
    """A reason as a sentence in the user's language; companies read "you", officers "the company"."""
    p = dict(reason.params)
    theme = str(i18n.THEMES.get(str(p.get("theme")), p.get("theme", "")))
    route = str(i18n.ROUTES.get(str(p.get("route")), p.get("route", "")))
    gov = str(p.get("government", ""))
    km, pct = p.get("km", "?"), p.get("pct", "?")
    positive = reason.contribution >= 0
    code = reason.code
    if code == "priority_theme":
        return gettext("Serves '%(theme)s', a priority theme of %(government)s", theme=theme, government=gov) \
            if positive else gettext("Does not serve a priority theme of %(government)s", government=gov)
    if code == "company_interest":
        if for_officer:
            return gettext("Fits the company's interest in '%(theme)s'", theme=theme) if positive \
                else gettext("Outside the company's stated interests")
        return gettext("Matches your interest in '%(theme)s'", theme=theme) if positive \
            else gettext("Outside your company's stated interests")
    if code == "text_fit":
        if for_officer:
            return gettext("Fits the company's profile") if positive \
                else gettext("Has little in common with the company's profile")
        return gettext("Fits your company profile") if positive \
            else gettext("Has little in common with your company profile")
    if code == "distance":
        if for_officer:
            return gettext("%(km)s km from the company's site", km=km) if positive \
                else gettext("Far from the company's site (%(km)s km)", km=km)
        return gettext("%(km)s km from your site", km=km) if positive \
            else gettext("Far from your site (%(km)s km)", km=km)
    if code == "fills_share":
        if for_officer:
            return gettext("Fills %(pct)s%% of what the company still owes", pct=pct) if positive \
                else gettext("Covers only %(pct)s%% of what the company still owes", pct=pct)
        return gettext("Fills %(pct)s%% of what you still owe", pct=pct) if positive \
            else gettext("Covers only %(pct)s%% of what you still owe", pct=pct)
    if code == "route_preference":
        return gettext("%(route)s is a preferred route of %(government)s", route=route, government=gov) \
            if positive else gettext("%(route)s is a less preferred route of %(government)s", route=route,
                                     government=gov)
    if code == "search_relevance":
        return gettext("Strong match for the search") if positive else gettext("Weak match for the search")
    if code == "approval_rate":
        return gettext("Officers often approve pledges like this (%(approved)s of %(n)s)",
                       approved=p.get("approved", "?"), n=p.get("n", "?")) if positive \
            else gettext("Officers seldom approved pledges like this (%(approved)s of %(n)s)",
                         approved=p.get("approved", "?"), n=p.get("n", "?"))
    return reason.text


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
        if self.valuer.block.unit == "fte_year":
            defaults.update(hours_per_week=36, months=12)
        if self.valuer.block.unit == "internship_year":
            defaults["weeks"] = 52
        return defaults

    def as_dict(self) -> dict[str, Any]:
        c = self.rec.candidate
        return {
            "id": c.id, "rank": self.rec.rank, "score": round(self.rec.score, 4), "scorer": self.rec.scorer,
            "title": c.title, "initiative": {"slug": c.initiative_slug, "name": c.initiative_name},
            "need_id": c.need_id, "kind": c.kind, "route": c.route, "building_block": self.valuer.block.code,
            "open_units": c.open_units, "unit": self.valuer.unit, "unit_value_cents": c.unit_value_cents,
            "open_value_cents": c.open_value_cents, "reasons": self.reasons,
            "reason_codes": [{"code": r.code, "params": dict(r.params), "contribution": round(r.contribution, 4)}
                             for r in self.rec.reasons],
            "features": {k: round(v, 4) for k, v in self.rec.features.items()},
        }


@dataclass
class Recommendations:
    context: ContractContext
    suggestions: list[Suggestion]
    pool: CandidatePool
    scorer: str


def recommend(session: Session, contract: Contract, *, text: str = "", filters: dict[str, list[str]] | None = None,
              limit: int = 10) -> Recommendations:
    """The top `limit` candidates for the contract's remaining obligation, with reasons."""
    ctx = contract_context(session, contract)
    pool = candidate_pool(session, contract, ctx, text=text, filters=filters)
    model = current_model()
    recs = rank(ctx, pool.candidates, approval_stats(session, ctx.government), model, limit) \
        if pool.candidates else []
    suggestions = [Suggestion(r, pool.valuers[r.candidate.id], pool.needs[r.candidate.id],
                              pool.initiatives[r.candidate.id]) for r in recs]
    scorer = recs[0].scorer if recs else ("model" if model is not None else "prior")
    return Recommendations(ctx, suggestions, pool, scorer)


def plan_for(session: Session, contract: Contract, *, pool_size: int = 60) -> tuple[Plan, Recommendations]:
    """A set of pledges that covers the remaining obligation as closely as possible."""
    recs = recommend(session, contract, limit=pool_size)
    options = [PlanOption(candidate_id=s.rec.candidate.id, unit_value_cents=s.rec.candidate.unit_value_cents,
                          max_units=s.rec.candidate.open_units, score=s.rec.score, route=s.rec.candidate.route)
               for s in recs.suggestions]
    result = plan(recs.context.remaining_cents, options, route_order=recs.context.route_order)
    return result, recs


def candidate_for(session: Session, contract: Contract, ctx: ContractContext, *, need: Need | None,
                  initiative: Initiative, fallback_block: BuildingBlock | None = None,
                  open_units: int | None = None) -> Candidate | None:
    """One (contract, need or social firm) pair as a Candidate, outside a search: for insight and training."""
    valuer = valuer_for(need, initiative, blocks_of(session, contract.table_id), ctx.route_order)
    if valuer is None:
        if fallback_block is None:
            return None
        valuer = Valuer(fallback_block, "units", max(1, fallback_block.value_cents or 1))
    handprint = _handprints(session, {initiative.id or 0}).get(initiative.id or 0, {})
    if open_units is None:
        if need is not None:
            native = open_capacities(session, [need])[need.id or 0]
            open_units = native // 100 if valuer.unit == "euro" else native
        else:
            open_units = max(0, ctx.remaining_cents) // max(1, valuer.unit_value_cents)
    open_units = max(1, open_units)
    return Candidate(
        id=f"need:{need.id}" if need else f"initiative:{initiative.id}", initiative_slug=initiative.slug,
        initiative_name=initiative.name, need_id=need.id if need else None,
        kind=need.kind if need else "purchase", route=valuer.block.route,
        title=need.title if need else initiative.name,
        text=f"{need.description if need else ''}\n{initiative.summary}",
        themes=tuple(need.themes) if need and need.themes else tuple(t for t, s in handprint.items() if s >= 20),
        handprint=handprint, lat=initiative.lat, lon=initiative.lon,
        open_value_cents=open_units * valuer.unit_value_cents, unit_value_cents=valuer.unit_value_cents,
        open_units=open_units, search_score=0.0)


def _match_insight(session: Session, match: Match) -> dict[str, Any] | None:
    contract = session.get(Contract, match.contract_id)
    if contract is None or match.initiative_id is None:
        return None
    initiative = session.get(Initiative, match.initiative_id)
    need = session.get(Need, match.need_id) if match.need_id else None
    if initiative is None:
        return None
    ctx = contract_context(session, contract)
    # Size the candidate as pledged, so "fills x% of what you still owe" speaks of this pledge.
    unit_value = max(1, match.value_cents)
    cand = candidate_for(session, contract, ctx, need=need, initiative=initiative,
                         fallback_block=session.get(BuildingBlock, match.block_id), open_units=1)
    if cand is None:
        return None
    pledged = session.get(BuildingBlock, match.block_id)
    cand = Candidate(**{**cand.__dict__, "unit_value_cents": unit_value, "open_value_cents": unit_value,
                        "route": pledged.route if pledged else cand.route})
    recs = rank(ctx, [cand], approval_stats(session, ctx.government), current_model(), 1)
    if not recs:
        return None
    r = recs[0]
    return {"score": r.score, "features": dict(r.features),
            "reasons": [reason_text(x, for_officer=True) for x in r.reasons]}


INSIGHT_HOOK = "srx.match_insight"


def match_insight(row: Any) -> dict[str, Any] | None:
    """What the recommender says about a match (score, features, reasons), or None.

    An app may replace the computation through `app.extensions["srx.match_insight"]` (tests do). A failure
    shows nothing: an officer's decision never depends on the recommender being up.
    """
    from .db import get_session

    hook = current_app.extensions.get(INSIGHT_HOOK)
    try:
        out = hook(row) if hook is not None else _match_insight(get_session(), row.match)
    except Exception:
        log.warning("match insight failed for match %s", row.match.id, exc_info=True)
        return None
    if not isinstance(out, dict):
        return None
    features = {str(k): float(v) for k, v in (out.get("features") or {}).items()
                if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)}
    score = out.get("score")
    score = float(score) if isinstance(score, int | float) and math.isfinite(score) else None
    reasons = [str(r) for r in (out.get("reasons") or []) if r][:10]
    return {"score": score, "features": features or None, "reasons": reasons}
