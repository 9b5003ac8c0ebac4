"""Read-side queries for the pages and the API; scoped by the caller's organisation or government.

Lists load their related rows in batches (no N+1): totals come from one grouped query.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from .counting import Totals, contract_obligation, counts_as_activity, policy_of, totals
from .models import (
    COMMITTED_STATUSES,
    HOLDING_STATUSES,
    AuditEvent,
    BuildingBlock,
    Certificate,
    Company,
    Contract,
    Eligibility,
    Government,
    HandprintScore,
    Initiative,
    Match,
    MatchStatus,
    Need,
    Placement,
    RealisationReport,
    ReportStatus,
    SmartPlan,
    Supplier,
    User,
    ValuationTable,
)
from .policy import ObligationState, Policy
from .services.scope import acts_for


@dataclass
class ContractRow:
    contract: Contract
    government: Government
    company: Company
    totals: Totals


@dataclass
class MatchRow:
    match: Match
    contract: Contract
    company: Company
    government: Government
    block: BuildingBlock
    initiative: Initiative | None
    need: Need | None
    table: ValuationTable | None = None
    supplier: Supplier | None = None
    placement: Placement | None = None
    certificate: Certificate | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def recipient(self) -> str:
        """Who receives the contribution, in a few words (for lists)."""
        if self.initiative is not None:
            return self.initiative.name
        if self.supplier is not None:
            return f"{self.supplier.name} (KvK {self.supplier.kvk})"
        return ""


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session: Session, stmt: Any, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of `stmt`'s rows and the total count: the count first, then the page, two statements."""
    total = int(session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one())
    rows = list(session.exec(stmt.offset((max(1, page) - 1) * per_page).limit(per_page)).all())
    return rows, total


def _by_id(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    """Rows by id; those this session already holds come from its identity map, the rest in one select.

    The same rows a select would give: a select does not overwrite an object the session already holds. A
    request that reads a pledge twice (check, decide, answer) reads its contract, company and block once.
    """
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    held = session.identity_map
    found: dict[int, Any] = {}
    for i in wanted:
        row = held.get(identity_key(model, i))
        if row is not None:
            found[i] = row
    missing = wanted - found.keys()
    if missing:
        found.update(
            {row.id: row for row in session.exec(select(model).where(col(model.id).in_(missing))).all()}
        )
    return found


def contract_totals(session: Session, contracts: Sequence[Contract]) -> dict[int, Totals]:
    """Totals of many contracts: one grouped query, and one more when some are small contracts."""
    ids = [c.id for c in contracts]
    sums: dict[int, list[tuple[str, int]]] = defaultdict(list)
    if ids:
        rows = session.exec(
            select(Match.contract_id, Match.status, func.sum(Match.value_cents))
            .where(col(Match.contract_id).in_(ids))
            .group_by(col(Match.contract_id), col(Match.status))
        ).all()
        for contract_id, status, total in rows:
            sums[contract_id].append((status, int(total or 0)))
    obligations = {c.id or 0: contract_obligation(c) for c in contracts}
    small = [c for c in contracts if obligations[c.id or 0].state == ObligationState.SMALL]
    activities: dict[int, int] = defaultdict(int)
    if small:
        # Under the small-contract rule each approved contribution is judged on its own value and route.
        policies = {c.id: policy_of(c) for c in small}
        for contract_id, value, route in session.exec(
            select(Match.contract_id, Match.value_cents, BuildingBlock.route)
            .join(BuildingBlock, col(BuildingBlock.id) == Match.block_id)
            .where(col(Match.contract_id).in_(list(policies)), col(Match.status).in_(COMMITTED_STATUSES))
        ).all():
            if counts_as_activity(policies[contract_id], int(value), route):
                activities[contract_id] += 1
    reported: dict[int, int] = defaultdict(int)
    verified: dict[int, int] = defaultdict(int)
    if ids:
        for contract_id, status, total in session.exec(
            select(
                RealisationReport.contract_id,
                RealisationReport.status,
                func.sum(RealisationReport.value_cents),
            )
            .where(
                col(RealisationReport.contract_id).in_(ids),
                col(RealisationReport.status).in_((ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)),
            )
            .group_by(col(RealisationReport.contract_id), col(RealisationReport.status))
        ).all():
            reported[contract_id] += int(total or 0)
            if status == ReportStatus.ACCEPTED:
                verified[contract_id] += int(total or 0)
    return {
        c.id or 0: totals(
            obligations[c.id or 0],
            sums.get(c.id or 0, []),
            activities=activities[c.id or 0],
            reported=reported[c.id or 0],
            verified=verified[c.id or 0],
        )
        for c in contracts
    }


def contract_rows(session: Session, contracts: Sequence[Contract]) -> list[ContractRow]:
    govs = _by_id(session, Government, (c.government_id for c in contracts))
    companies = _by_id(session, Company, (c.company_id for c in contracts))
    all_totals = contract_totals(session, contracts)
    return [
        ContractRow(c, govs[c.government_id], companies[c.company_id], all_totals[c.id or 0])
        for c in contracts
    ]


def contracts_for_company(session: Session, company_id: int) -> list[ContractRow]:
    contracts = session.exec(
        select(Contract).where(Contract.company_id == company_id).order_by(col(Contract.end_date))
    ).all()
    return contract_rows(session, contracts)


def contracts_for_government(
    session: Session, government_id: int, *, page: int = 1, per_page: int = 20
) -> Page:
    stmt = (
        select(Contract)
        .where(Contract.government_id == government_id)
        .order_by(col(Contract.award_date).desc(), col(Contract.id))
    )
    contracts, total = paginate(session, stmt, page, per_page)
    return Page(contract_rows(session, contracts), page, per_page, total)


def contract_for_user(session: Session, user: User, contract_id: int) -> Contract | None:
    """The contract if the user may see it: its company's users, or its government's officers."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        return None
    if user.role == "company" and contract.company_id == user.company_id:
        return contract
    if acts_for(session, user, contract.government_id):
        return contract
    if user.role == "admin":
        return contract
    return None


def match_rows(session: Session, matches: Sequence[Match]) -> list[MatchRow]:
    contracts = _by_id(session, Contract, (m.contract_id for m in matches))
    companies = _by_id(session, Company, (c.company_id for c in contracts.values()))
    govs = _by_id(session, Government, (c.government_id for c in contracts.values()))
    blocks = _by_id(session, BuildingBlock, (m.block_id for m in matches))
    inits = _by_id(session, Initiative, (m.initiative_id for m in matches))
    needs = _by_id(session, Need, (m.need_id for m in matches))
    tables = _by_id(session, ValuationTable, (m.table_id for m in matches))
    suppliers = _by_id(session, Supplier, (m.supplier_id for m in matches))
    certificates = _by_id(session, Certificate, (m.certificate_id for m in matches))
    person_blocks = [m.id for m in matches if blocks[m.block_id].unit in ("fte_year", "internship_year")]
    placements = (
        {
            p.match_id: p
            for p in session.exec(select(Placement).where(col(Placement.match_id).in_(person_blocks))).all()
        }
        if person_blocks
        else {}
    )
    out = []
    for m in matches:
        c = contracts[m.contract_id]
        out.append(
            MatchRow(
                m,
                c,
                companies[c.company_id],
                govs[c.government_id],
                blocks[m.block_id],
                inits.get(m.initiative_id or -1),
                needs.get(m.need_id or -1),
                tables.get(m.table_id),
                suppliers.get(m.supplier_id or -1),
                placements.get(m.id or -1),
                certificates.get(m.certificate_id or -1),
            )
        )
    return out


def matches_for_contract(session: Session, contract_id: int) -> list[MatchRow]:
    matches = session.exec(
        select(Match)
        .where(Match.contract_id == contract_id)
        .order_by(col(Match.created_at).desc(), col(Match.id).desc())
    ).all()
    return match_rows(session, matches)


def officer_queue(session: Session, government_id: int, *, page: int = 1, per_page: int = 20) -> Page:
    """Proposed matches of the government's contracts, oldest first."""
    stmt = (
        select(Match)
        .join(Contract, col(Contract.id) == Match.contract_id)
        .where(Contract.government_id == government_id, Match.status == MatchStatus.PROPOSED)
        .order_by(col(Match.created_at), col(Match.id))
    )
    matches, total = paginate(session, stmt, page, per_page)
    return Page(match_rows(session, matches), page, per_page, total)


def matches_for_government(
    session: Session, government_id: int, *, status: str | None = None, page: int = 1, per_page: int = 20
) -> Page:
    base = (
        select(Match)
        .join(Contract, col(Contract.id) == Match.contract_id)
        .where(Contract.government_id == government_id)
    )
    if status:
        base = base.where(Match.status == status)
    matches, total = paginate(
        session, base.order_by(col(Match.updated_at).desc(), col(Match.id).desc()), page, per_page
    )
    return Page(match_rows(session, matches), page, per_page, total)


def match_for_user(session: Session, user: User, match_id: int) -> MatchRow | None:
    """A match the user may see: own company's, pledged to own initiative, or own government's."""
    match = session.get(Match, match_id)
    if match is None:
        return None
    row = match_rows(session, [match])[0]
    allowed = (
        (user.role == "company" and row.contract.company_id == user.company_id)
        or (
            user.role == "initiative"
            and match.initiative_id is not None
            and match.initiative_id == user.initiative_id
        )
        or acts_for(session, user, row.contract.government_id)
        or user.role == "admin"
    )
    return row if allowed else None


def pledges_for_initiative(session: Session, initiative_id: int) -> list[MatchRow]:
    matches = session.exec(
        select(Match)
        .where(Match.initiative_id == initiative_id)
        .order_by(col(Match.updated_at).desc(), col(Match.id).desc())
    ).all()
    return match_rows(session, matches)


def match_history(session: Session, match_id: int) -> list[tuple[AuditEvent, User | None]]:
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "match", AuditEvent.entity_id == match_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    actors = _by_id(session, User, (e.actor_id for e in events))
    return [(e, actors.get(e.actor_id or -1)) for e in events]


def open_capacities(
    session: Session, needs: Sequence[Need], *, excluding_match: int | None = None
) -> dict[int, int]:
    """What is still open on each need: its quantity less what holding matches take (one grouped query).

    `excluding_match` leaves one match out, for a pledge that is being changed.
    """
    ids = [n.id for n in needs]
    taken: dict[int, int] = {}
    if ids:
        stmt = select(Match.need_id, func.sum(Match.quantity)).where(
            col(Match.need_id).in_(ids), col(Match.status).in_(HOLDING_STATUSES)
        )
        if excluding_match is not None:
            stmt = stmt.where(Match.id != excluding_match)
        rows = session.exec(stmt.group_by(col(Match.need_id))).all()
        taken = {int(nid or 0): int(total or 0) for nid, total in rows}
    return {n.id or 0: max(0, n.quantity - taken.get(n.id or 0, 0)) for n in needs}


def open_capacity(session: Session, need: Need, *, excluding_match: int | None = None) -> int:
    return open_capacities(session, [need], excluding_match=excluding_match)[need.id or 0]


def is_eligible(session: Session, government_id: int, initiative_id: int) -> bool:
    """Whether the government counts contributions to this initiative (an active eligibility)."""
    row = session.exec(
        select(Eligibility.id).where(
            Eligibility.government_id == government_id,
            Eligibility.initiative_id == initiative_id,
            col(Eligibility.active).is_(True),
        )
    ).first()
    return row is not None


def needs_of(session: Session, initiative_id: int, *, only_open: bool = False) -> list[tuple[Need, int]]:
    stmt = select(Need).where(Need.initiative_id == initiative_id)
    if only_open:
        stmt = stmt.where(Need.status == "open")
    needs = session.exec(stmt.order_by(col(Need.status).desc(), col(Need.deadline), col(Need.id))).all()
    caps = open_capacities(session, needs)
    return [(n, caps[n.id or 0]) for n in needs]


def handprint(session: Session, initiative_id: int) -> list[HandprintScore]:
    return list(
        session.exec(select(HandprintScore).where(HandprintScore.initiative_id == initiative_id)).all()
    )


def eligible_governments(session: Session, initiative_id: int) -> list[Government]:
    return list(
        session.exec(
            select(Government)
            .join(Eligibility, col(Eligibility.government_id) == Government.id)
            .where(Eligibility.initiative_id == initiative_id, col(Eligibility.active).is_(True))
            .order_by(col(Government.name))
        ).all()
    )


def eligible_initiative_ids(session: Session, government_id: int) -> set[int]:
    return set(
        session.exec(
            select(Eligibility.initiative_id).where(
                Eligibility.government_id == government_id, col(Eligibility.active).is_(True)
            )
        ).all()
    )


def blocks_of(session: Session, table_id: int) -> list[BuildingBlock]:
    """The table's building blocks, read once per transaction (a contract page asks three times)."""
    from .db import MEMO_KEY

    memo: dict[int, list[BuildingBlock]] = session.info.setdefault(MEMO_KEY, {})
    if table_id not in memo:
        memo[table_id] = list(
            session.exec(
                select(BuildingBlock)
                .where(BuildingBlock.table_id == table_id)
                .order_by(col(BuildingBlock.route), col(BuildingBlock.id))
            ).all()
        )
    return list(memo[table_id])


@dataclass
class CatalogueFilters:
    q: str = ""
    theme: str = ""
    municipality: str = ""
    kind: str = ""
    need_kind: str = ""
    government: str = ""


def catalogue_from_db(session: Session, f: CatalogueFilters, *, page: int = 1, per_page: int = 20) -> Page:
    """The catalogue straight from the database: the fallback when the search index is unavailable."""
    stmt = select(Initiative).where(col(Initiative.published).is_(True))
    if f.municipality:
        stmt = stmt.where(Initiative.municipality == f.municipality)
    if f.kind:
        stmt = stmt.where(Initiative.kind == f.kind)
    if f.q:
        like = f"%{f.q.strip()[:100]}%"
        stmt = stmt.where(
            col(Initiative.name).ilike(like)
            | col(Initiative.summary).ilike(like)
            | col(Initiative.description).ilike(like)
        )
    if f.theme:
        stmt = stmt.where(
            col(Initiative.id).in_(
                select(HandprintScore.initiative_id).where(HandprintScore.theme == f.theme)
            )
        )
    if f.need_kind:
        stmt = stmt.where(
            col(Initiative.id).in_(
                select(Need.initiative_id).where(Need.kind == f.need_kind, Need.status == "open")
            )
        )
    if f.government:
        stmt = stmt.where(
            col(Initiative.id).in_(
                select(Eligibility.initiative_id)
                .join(Government, col(Government.id) == Eligibility.government_id)
                .where(Government.slug == f.government, col(Eligibility.active).is_(True))
            )
        )
    items, total = paginate(session, stmt.order_by(col(Initiative.name), col(Initiative.id)), page, per_page)
    return Page(items, page, per_page, total)


def municipalities(session: Session) -> list[str]:
    return sorted({m for m in session.exec(select(Initiative.municipality).distinct()).all() if m})


def routes_used(rows: Sequence[MatchRow]) -> set[str]:
    """The routes a contract's holding pledges are on (for the route ladder)."""
    return {r.block.route for r in rows if r.match.status in HOLDING_STATUSES}


def smart_plans_of(session: Session, contract_id: int) -> tuple[list[SmartPlan], dict[int, Initiative]]:
    plans = list(
        session.exec(
            select(SmartPlan)
            .where(SmartPlan.contract_id == contract_id)
            .order_by(col(SmartPlan.created_at).desc(), col(SmartPlan.id).desc())
        ).all()
    )
    return plans, _by_id(session, Initiative, (p.initiative_id for p in plans))


def approved_smart_plans(session: Session, contract_id: int) -> list[tuple[SmartPlan, Initiative]]:
    plans, inits = smart_plans_of(session, contract_id)
    return [(p, inits[p.initiative_id]) for p in plans if p.status == "approved"]


def placements_of(session: Session, contract_id: int) -> list[MatchRow]:
    """The register of placed people of a contract: its person-block matches with their placements."""
    matches = session.exec(
        select(Match)
        .join(Placement, col(Placement.match_id) == Match.id)
        .where(Match.contract_id == contract_id)
        .order_by(col(Placement.start_date), col(Match.id))
    ).all()
    return match_rows(session, matches)


def ladder_gaps(session: Session, rows: Sequence[MatchRow]) -> dict[int, list[str]]:
    """Per match: the higher routes of its contract's ladder that have no pledge yet (one query for the page).

    A contribution on a lower route is allowed; the officer sees when it skips a route the government prefers.
    """
    ids = {r.contract.id for r in rows}
    used: dict[int, set[str]] = defaultdict(set)
    if ids:
        for contract_id, route in session.exec(
            select(Match.contract_id, BuildingBlock.route)
            .join(BuildingBlock, col(BuildingBlock.id) == Match.block_id)
            .where(col(Match.contract_id).in_(ids), col(Match.status).in_(HOLDING_STATUSES))
            .distinct()
        ).all():
            used[contract_id].add(route)
    out: dict[int, list[str]] = {}
    for r in rows:
        order = list(policy_of(r.contract).route_order)
        higher = order[: order.index(r.block.route)] if r.block.route in order else []
        out[r.match.id or 0] = [route for route in higher if route not in used[r.contract.id or 0]]
    return out


@dataclass
class SupplierRow:
    recognition: Any
    supplier: Supplier
    matches: int


def supplier_recognitions(session: Session, government_id: int) -> list[SupplierRow]:
    """The government's suppliers outside the catalogue, pending first, with how many pledges name them."""
    from .models import RecognitionStatus, SupplierRecognition

    pending_first = case((col(SupplierRecognition.status) == RecognitionStatus.PENDING, 0), else_=1)
    recs = session.exec(
        select(SupplierRecognition)
        .where(SupplierRecognition.government_id == government_id)
        .order_by(pending_first, col(SupplierRecognition.id))
    ).all()
    suppliers = _by_id(session, Supplier, (r.supplier_id for r in recs))
    counts = (
        dict(
            session.exec(
                select(Match.supplier_id, func.count())
                .join(Contract, col(Contract.id) == Match.contract_id)
                .where(Contract.government_id == government_id, col(Match.supplier_id).is_not(None))
                .group_by(col(Match.supplier_id))
            ).all()
        )
        if recs
        else {}
    )
    return [SupplierRow(r, suppliers[r.supplier_id], int(counts.get(r.supplier_id, 0))) for r in recs]


def officer_work(session: Session, government_id: int, *, shown: int = 10) -> dict[str, Any]:
    """What else waits for the officer besides pledges: SMART plans, revisions, suppliers (three queries)."""
    from .models import Revision, SupplierRecognition

    plans = session.exec(
        select(SmartPlan)
        .join(Contract, col(Contract.id) == SmartPlan.contract_id)
        .where(Contract.government_id == government_id, SmartPlan.status == "submitted")
        .order_by(col(SmartPlan.created_at))
    ).all()
    revisions = session.exec(
        select(Revision)
        .join(Match, col(Match.id) == Revision.match_id)
        .join(Contract, col(Contract.id) == Match.contract_id)
        .where(Contract.government_id == government_id, Revision.status == "proposed")
        .order_by(col(Revision.created_at))
    ).all()
    suppliers = session.exec(
        select(func.count())
        .select_from(SupplierRecognition)
        .where(SupplierRecognition.government_id == government_id, SupplierRecognition.status == "pending")
    ).one()
    return {
        "smart_plans": len(plans),
        "plan_list": plans[:shown],
        "revisions": len(revisions),
        "revision_list": revisions[:shown],
        "suppliers": int(suppliers),
    }


def current_policies(session: Session, government_ids: Iterable[int], day: date) -> dict[int, Policy]:
    """The policy in force on `day` for many governments (one query)."""
    from .models import PolicyVersion

    ids = list(government_ids)
    out: dict[int, Policy] = {}
    if ids:
        for version in session.exec(
            select(PolicyVersion)
            .where(col(PolicyVersion.government_id).in_(ids), PolicyVersion.effective_from <= day)
            .order_by(col(PolicyVersion.effective_from), col(PolicyVersion.version))
        ).all():
            out[version.government_id] = Policy.from_dict(version.policy)  # the newest one wins
    return out
