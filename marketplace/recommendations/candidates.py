"""Database rows as the matching library's inputs: the contract context and one builder for candidates."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from matching import Candidate, ContractContext, normalise_sector
from search import Query, SearchError

from ..counting import Totals, policy_of
from ..models import (
    SELLER_KINDS,
    BlockUnit,
    BuildingBlock,
    Company,
    Contract,
    Government,
    HandprintScore,
    Initiative,
    Need,
    NeedKind,
    NeedStatus,
    NeedUnit,
    Route,
)
from ..queries import blocks_of, contract_totals, eligible_initiative_ids, open_capacities
from ..themes import THEME_MIN_SCORE

log = logging.getLogger(__name__)

# How many search hits feed the ranking; the scorer handles far more, the page shows ten.
CANDIDATE_POOL = 300


@dataclass(frozen=True)
class Valuer:
    """How one candidate is pledged: the block that values it, the unit and what a unit is worth."""

    block: BuildingBlock
    unit: str  # the pledge quantity's unit: "hours", "days", "euro", "persons"
    unit_value_cents: int


def context_of(
    contract: Contract,
    government: Government,
    company: Company,
    totals: Totals,
    *,
    now: datetime | None = None,
) -> ContractContext:
    """The contract as the matching library sees it, from rows already loaded (its policy frozen at award)."""
    policy = policy_of(contract)
    return ContractContext(
        contract_id=contract.id or 0,
        government=government.slug,
        government_name=government.name,
        priority_themes=tuple(policy.priority_themes),
        route_order=tuple(policy.route_order),
        company_key=company.kvk,
        company_interests=tuple(company.interests),
        company_profile=company.profile,
        lat=company.lat,
        lon=company.lon,
        obligation_cents=totals.obligation_cents,
        remaining_cents=totals.remaining_cents,
        as_of=now or datetime.now(UTC),
        company_sector=normalise_sector(company.sector),
    )


def contract_context(
    session: Session, contract: Contract, *, now: datetime | None = None, totals: Totals | None = None
) -> ContractContext:
    """The contract as the matching library sees it (`totals`: when the caller has just read them)."""
    gov = session.get(Government, contract.government_id)
    company = session.get(Company, contract.company_id)
    assert gov is not None and company is not None
    if totals is None:
        totals = contract_totals(session, [contract])[contract.id or 0]
    return context_of(contract, gov, company, totals, now=now)


def _fte_year_value(block: BuildingBlock) -> int:
    """A person-year at 36 h/week, counted for at most the block's months."""
    months = min(12, block.max_months) if block.max_months else 12
    return (block.value_cents or 0) * months // 12


def valuer_for(
    need: Need | None, initiative: Initiative, blocks: list[BuildingBlock], route_order: tuple[str, ...]
) -> Valuer | None:
    """The building block a company would most naturally use for this need in this table."""

    def pref(b: BuildingBlock) -> tuple[int, int]:
        rank_ = route_order.index(b.route) if b.route in route_order else len(route_order)
        return rank_, -(b.value_cents or b.percentage_bp or 0)

    unit = need.unit if need is not None else NeedUnit.CENTS
    if unit in (NeedUnit.HOURS, NeedUnit.DAYS):
        wanted = BlockUnit.HOUR if unit == NeedUnit.HOURS else BlockUnit.DAY
        options = [b for b in blocks if b.unit == wanted and b.value_cents]
        if not options:
            return None
        b = min(options, key=pref)
        return Valuer(b, unit, b.value_cents or 0)
    if unit == NeedUnit.CENTS:
        purchase = need is None or need.kind == NeedKind.PURCHASE
        # A purchase from a social firm is labour participation; money or goods for an initiative is a
        # social-domain contribution. Other euro blocks (e.g. training costs as a bonus) do not value needs.
        route = (
            Route.LABOUR_PARTICIPATION
            if purchase and initiative.kind in SELLER_KINDS
            else Route.SOCIAL_DOMAIN
        )
        options = [b for b in blocks if b.unit == BlockUnit.EURO_SPENT and b.route == route]
        if not options:
            return None
        b = min(options, key=pref)
        # Planned in whole euro: value of one euro spent, in cents.
        return Valuer(
            b, "euro", (100 * (b.percentage_bp if b.percentage_bp is not None else 10_000)) // 10_000
        )
    if unit == NeedUnit.PLACES:
        if need is not None and need.kind == NeedKind.INTERNSHIP:
            options = [b for b in blocks if b.unit == BlockUnit.INTERNSHIP_YEAR and b.value_cents]
            if not options:
                return None
            b = min(options, key=lambda b: b.value_cents or 0)
            return Valuer(b, "persons", b.value_cents or 0)
        options = [b for b in blocks if b.unit == BlockUnit.FTE_YEAR and b.value_cents]
        matching_group = [b for b in options if b.target_group and b.target_group in initiative.target_groups]
        # Without a known target group, count the most modest block: never promise more than is sure.
        pool = matching_group or options
        if not pool:
            return None
        b = min(pool, key=_fte_year_value)
        return Valuer(b, "persons", _fte_year_value(b))
    return None


def handprints(session: Session, initiative_ids: set[int]) -> dict[int, dict[str, int]]:
    """Theme scores of many initiatives from one query."""
    out: dict[int, dict[str, int]] = {}
    if initiative_ids:
        for h in session.exec(
            select(HandprintScore).where(col(HandprintScore.initiative_id).in_(initiative_ids))
        ):
            out.setdefault(h.initiative_id, {})[h.theme] = h.score
    return out


def open_units_of(valuer: Valuer, need: Need | None, capacity: int, remaining_cents: int) -> int:
    """Open capacity in the valuer's unit; a social firm can take any purchase up to what is still owed."""
    if need is not None:
        return capacity // 100 if valuer.unit == "euro" else capacity
    return max(0, remaining_cents) // max(1, valuer.unit_value_cents)


def build_candidate(
    *,
    need: Need | None,
    initiative: Initiative,
    valuer: Valuer,
    handprint: dict[str, int],
    open_units: int,
    search_score: float = 0.0,
) -> Candidate:
    """The one place a (need or social firm) becomes a matching Candidate."""
    if need is not None:
        key, title, text, kind = f"need:{need.id}", need.title, need.description, need.kind
        themes = tuple(need.themes)
    else:
        key, title, text, kind = f"initiative:{initiative.id}", initiative.name, "", NeedKind.PURCHASE
        themes = ()
    return Candidate(
        id=key,
        initiative_slug=initiative.slug,
        initiative_name=initiative.name,
        need_id=need.id if need is not None else None,
        kind=kind,
        route=valuer.block.route,
        title=title,
        text=f"{text}\n{initiative.summary}",
        themes=themes or tuple(t for t, s in handprint.items() if s >= THEME_MIN_SCORE),
        handprint=handprint,
        lat=initiative.lat,
        lon=initiative.lon,
        open_value_cents=open_units * valuer.unit_value_cents,
        unit_value_cents=valuer.unit_value_cents,
        open_units=open_units,
        search_score=search_score,
    )


@dataclass
class CandidatePool:
    """Candidates with what the pages need beside them (the valuer, the need and initiative rows)."""

    candidates: list[Candidate]
    valuers: dict[str, Valuer]
    needs: dict[str, Need | None]
    initiatives: dict[str, Initiative]
    search_failed: bool = False


def _search_scores(
    ctx: ContractContext, text: str, filters: dict[str, list[str]], pool: int
) -> dict[str, float] | None:
    """Search hits (id -> score) for eligible needs and social firms; None when search is down."""
    from ..search_sync import get_backend

    filters = {k: v for k, v in filters.items() if v}
    filters["eligible_for"] = [ctx.government]
    scores: dict[str, float] = {}
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
        return None
    return scores


def candidate_pool(
    session: Session,
    contract: Contract,
    ctx: ContractContext,
    *,
    text: str = "",
    filters: dict[str, list[str]] | None = None,
    pool: int = CANDIDATE_POOL,
    use_search: bool = True,
) -> CandidatePool:
    """Eligible open needs and social firms, from the search index (or the database when it is down).

    `use_search=False` reads them from the database only, all of them and unscored, as when search is down:
    what `srx evaluate` ranks for each contract, which must not depend on the state of a search index.
    """
    scores = _search_scores(ctx, text, filters or {}, pool) if use_search else None
    eligible = eligible_initiative_ids(session, contract.government_id)
    search_failed = use_search and scores is None
    if scores is None:
        need_ids = session.exec(
            select(Need.id).where(col(Need.initiative_id).in_(eligible), Need.status == NeedStatus.OPEN)
        ).all()
        scores = {f"need:{n}": 0.0 for n in need_ids}
        scores.update({f"initiative:{i}": 0.0 for i in eligible})
    need_ids = [int(k.split(":")[1]) for k in scores if k.startswith("need:")]
    needs = {
        n.id: n
        for n in session.exec(select(Need).where(col(Need.id).in_(need_ids), Need.status == NeedStatus.OPEN))
    }
    ini_ids = {n.initiative_id for n in needs.values()} | {
        int(k.split(":")[1]) for k in scores if k.startswith("initiative:")
    }
    initiatives = {
        i.id: i for i in session.exec(select(Initiative).where(col(Initiative.id).in_(ini_ids & eligible)))
    }
    # A social firm that lists its own purchase need is offered through that need, not twice.
    firms_with_purchase_need = set(
        session.exec(
            select(Need.initiative_id).where(
                col(Need.initiative_id).in_(ini_ids),
                Need.status == NeedStatus.OPEN,
                Need.kind == NeedKind.PURCHASE,
            )
        ).all()
    )
    caps = open_capacities(session, list(needs.values()))
    prints = handprints(session, {i for i in initiatives if i is not None})
    blocks = blocks_of(session, contract.table_id)
    out = CandidatePool([], {}, {}, {}, search_failed)
    for key, score in scores.items():
        kind, raw = key.split(":")
        need = needs.get(int(raw)) if kind == "need" else None
        ini = initiatives.get(need.initiative_id if need else int(raw))
        if ini is None or (kind == "need" and need is None):
            continue
        if kind == "initiative" and (ini.kind not in SELLER_KINDS or ini.id in firms_with_purchase_need):
            continue  # an initiative without a need is no candidate; a social firm sells
        valuer = valuer_for(need, ini, blocks, ctx.route_order)
        if valuer is None:
            continue
        units = open_units_of(valuer, need, caps.get(need.id or 0, 0) if need else 0, ctx.remaining_cents)
        if units <= 0:
            continue
        out.candidates.append(
            build_candidate(
                need=need,
                initiative=ini,
                valuer=valuer,
                handprint=prints.get(ini.id or 0, {}),
                open_units=units,
                search_score=score,
            )
        )
        out.valuers[key] = valuer
        out.needs[key] = need
        out.initiatives[key] = ini
    return out


def candidate_for(
    session: Session,
    contract: Contract,
    ctx: ContractContext,
    *,
    need: Need | None,
    initiative: Initiative,
    fallback_block: BuildingBlock | None = None,
    open_units: int | None = None,
    blocks: list[BuildingBlock] | None = None,
    handprint: dict[str, int] | None = None,
) -> Candidate | None:
    """One (contract, need or social firm) pair as a Candidate, outside a search: for insight and training.

    Pass `blocks` and `handprint` when they are already loaded (a page of many matches loads them once).
    """
    valuer = valuer_for(
        need,
        initiative,
        blocks if blocks is not None else blocks_of(session, contract.table_id),
        ctx.route_order,
    )
    if valuer is None:
        if fallback_block is None:
            return None
        valuer = Valuer(fallback_block, "units", max(1, fallback_block.value_cents or 1))
    if handprint is None:
        handprint = handprints(session, {initiative.id or 0}).get(initiative.id or 0, {})
    if open_units is None:
        capacity = open_capacities(session, [need])[need.id or 0] if need is not None else 0
        open_units = open_units_of(valuer, need, capacity, ctx.remaining_cents)
    return build_candidate(
        need=need, initiative=initiative, valuer=valuer, handprint=handprint, open_units=max(1, open_units)
    )
