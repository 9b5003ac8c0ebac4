"""Read-side queries for the officer and admin pages (alongside `queries.py`).

Same rules as there: scoped by the caller's government where it applies, related rows in batches.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from .db import fold, folded
from .models import (
    AdviserGovernment,
    BuildingBlock,
    Company,
    Contract,
    Eligibility,
    Government,
    Initiative,
    Match,
    PolicyVersion,
    User,
    ValuationTable,
)
from .models._base import utcnow
from .policy import Policy
from .queries import Page, _by_id, current_policies, paginate

ELIGIBILITY_FILTERS = ("eligible", "not_eligible")


@dataclass
class EligibilityRow:
    initiative: Initiative
    # The government's row for this initiative: None when it never decided, inactive when withdrawn.
    eligibility: Eligibility | None

    @property
    def eligible(self) -> bool:
        return self.eligibility is not None and self.eligibility.active


def initiatives_for_eligibility(
    session: Session,
    government_id: int,
    *,
    q: str = "",
    municipality: str = "",
    status: str = "",
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """Every published initiative with whether it counts for the government (filterable, paginated)."""
    stmt = select(Initiative).where(col(Initiative.published).is_(True))
    if municipality:
        stmt = stmt.where(Initiative.municipality == municipality[:100])
    if q.strip():
        # Accents and case do not matter: "taalcafe" finds "Taalcafé Overvecht".
        words = fold(q.strip()[:100]) or ""
        stmt = stmt.where(folded(session, col(Initiative.name)).like(f"%{words}%"))
    active_ids = select(Eligibility.initiative_id).where(
        Eligibility.government_id == government_id, col(Eligibility.active).is_(True)
    )
    if status == "eligible":
        stmt = stmt.where(col(Initiative.id).in_(active_ids))
    elif status == "not_eligible":
        stmt = stmt.where(col(Initiative.id).not_in(active_ids))
    inits, total = paginate(session, stmt.order_by(col(Initiative.name), col(Initiative.id)), page, per_page)
    ids = [i.id for i in inits]
    rows = (
        session.exec(
            select(Eligibility).where(
                Eligibility.government_id == government_id, col(Eligibility.initiative_id).in_(ids)
            )
        ).all()
        if ids
        else []
    )
    by_init = {e.initiative_id: e for e in rows}
    return Page([EligibilityRow(i, by_init.get(i.id or 0)) for i in inits], page, per_page, total)


def eligibility_counts(session: Session, government_id: int) -> dict[str, int]:
    published = session.exec(
        select(func.count()).select_from(Initiative).where(col(Initiative.published).is_(True))
    ).one()
    eligible = session.exec(
        select(func.count())
        .select_from(Eligibility)
        .join(Initiative, col(Initiative.id) == Eligibility.initiative_id)
        .where(
            Eligibility.government_id == government_id,
            col(Eligibility.active).is_(True),
            col(Initiative.published).is_(True),
        )
    ).one()
    return {"published": int(published), "eligible": int(eligible)}


def companies_by_name(session: Session) -> list[Company]:
    return list(session.exec(select(Company).order_by(col(Company.name), col(Company.id))).all())


def match_status_counts(session: Session, government_id: int) -> dict[str, int]:
    """How many of the government's matches are in each status."""
    rows = session.exec(
        select(Match.status, func.count())
        .join(Contract, col(Contract.id) == Match.contract_id)
        .where(Contract.government_id == government_id)
        .group_by(Match.status)
    ).all()
    return {status: int(n) for status, n in rows}


# --- admin -----------------------------------------------------------------------------------------------


@dataclass
class GovernmentRow:
    government: Government
    current_table: ValuationTable | None
    tables: int
    contracts: int
    officers: int
    policy: Policy | None = None


def _count_by(session: Session, column: Any, where: Any = None) -> dict[Any, int]:
    stmt = select(column, func.count()).group_by(column)
    if where is not None:
        stmt = stmt.where(where)
    return {key: int(n) for key, n in session.exec(stmt).all()}


def governments_overview(session: Session) -> list[GovernmentRow]:
    govs = session.exec(select(Government).order_by(col(Government.name))).all()
    tables = session.exec(select(ValuationTable).order_by(col(ValuationTable.version).desc())).all()
    latest: dict[int, ValuationTable] = {}
    n_tables: Counter[int] = Counter()
    for t in tables:
        latest.setdefault(t.government_id, t)
        n_tables[t.government_id] += 1
    contracts = _count_by(session, Contract.government_id)
    officers = _count_by(session, User.government_id, User.role == "officer")
    policies = current_policies(session, [g.id or 0 for g in govs], utcnow().date())
    return [
        GovernmentRow(
            g,
            latest.get(g.id or 0),
            n_tables[g.id or 0],
            contracts.get(g.id, 0),
            officers.get(g.id, 0),
            policies.get(g.id or 0),
        )
        for g in govs
    ]


def policy_versions(session: Session, government_id: int) -> list[PolicyVersion]:
    """The government's policy versions, newest first."""
    return list(
        session.exec(
            select(PolicyVersion)
            .where(PolicyVersion.government_id == government_id)
            .order_by(col(PolicyVersion.version).desc())
        ).all()
    )


def tables_with_blocks(
    session: Session, government_id: int
) -> list[tuple[ValuationTable, list[BuildingBlock]]]:
    """The government's table versions, newest first, each with its blocks (one query for all blocks)."""
    tables = session.exec(
        select(ValuationTable)
        .where(ValuationTable.government_id == government_id)
        .order_by(col(ValuationTable.version).desc())
    ).all()
    ids = [t.id for t in tables]
    blocks = (
        session.exec(
            select(BuildingBlock)
            .where(col(BuildingBlock.table_id).in_(ids))
            .order_by(col(BuildingBlock.route), col(BuildingBlock.id))
        ).all()
        if ids
        else []
    )
    by_table: dict[int, list[BuildingBlock]] = {}
    for b in blocks:
        by_table.setdefault(b.table_id, []).append(b)
    return [(t, by_table.get(t.id or 0, [])) for t in tables]


def admin_counts(session: Session) -> dict[str, Any]:
    def count(model: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model)).one())

    return {
        "governments": count(Government),
        "tables": count(ValuationTable),
        "companies": count(Company),
        "initiatives": count(Initiative),
        "contracts": count(Contract),
        "users": count(User),
        "users_by_role": _count_by(session, User.role),
        "matches_by_status": _count_by(session, Match.status),
    }


@dataclass
class UserRow:
    user: User
    organisation: str


def users_page(session: Session, *, role: str = "", q: str = "", page: int = 1, per_page: int = 20) -> Page:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if q.strip():
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.where(col(User.email).ilike(like) | col(User.name).ilike(like))
    users, total = paginate(session, stmt.order_by(col(User.role), col(User.email)), page, per_page)
    companies = _by_id(session, Company, (u.company_id for u in users))
    inits = _by_id(session, Initiative, (u.initiative_id for u in users))
    govs = _by_id(session, Government, (u.government_id for u in users))
    rows = []
    for u in users:
        org = (
            companies.get(u.company_id or -1)
            or inits.get(u.initiative_id or -1)
            or govs.get(u.government_id or -1)
        )
        rows.append(UserRow(u, org.name if org is not None else ""))
    return Page(rows, page, per_page, total)


@dataclass
class CompanyRow:
    company: Company
    users: int
    contracts: int


def companies_page(session: Session, *, q: str = "", page: int = 1, per_page: int = 20) -> Page:
    """Companies by name with their number of users and contracts: four statements whatever the page holds
    (the count, the page, the users, the contracts)."""
    stmt = select(Company)
    if q.strip():
        like = f"%{q.strip()[:100]}%"
        stmt = stmt.where(col(Company.name).ilike(like) | col(Company.kvk).ilike(like))
    companies, total = paginate(session, stmt.order_by(col(Company.name), col(Company.id)), page, per_page)
    ids = [c.id for c in companies]
    users: dict[int, int] = {}
    contracts: dict[int, int] = {}
    if ids:
        users = dict(
            session.exec(  # type: ignore[arg-type]
                select(User.company_id, func.count())
                .where(col(User.company_id).in_(ids))
                .group_by(col(User.company_id))
            ).all()
        )
        contracts = dict(
            session.exec(
                select(Contract.company_id, func.count())
                .where(col(Contract.company_id).in_(ids))
                .group_by(col(Contract.company_id))
            ).all()
        )
    rows = [CompanyRow(c, users.get(c.id or 0, 0), contracts.get(c.id or 0, 0)) for c in companies]
    return Page(rows, page, per_page, total)


def adviser_government_ids(session: Session, user_id: int) -> list[int]:
    return sorted(
        session.exec(
            select(AdviserGovernment.government_id).where(AdviserGovernment.user_id == user_id)
        ).all()
    )


def organisations(session: Session) -> dict[str, list[tuple[int, str]]]:
    """Choices for the user form: (id, name) of companies, initiatives and governments."""
    return {
        "company": [(c.id or 0, f"{c.name} (KvK {c.kvk})") for c in companies_by_name(session)],
        "initiative": [
            (i.id or 0, i.name) for i in session.exec(select(Initiative).order_by(col(Initiative.name))).all()
        ],
        "officer": [
            (g.id or 0, g.name) for g in session.exec(select(Government).order_by(col(Government.name))).all()
        ],
    }


@dataclass
class RecentApproval:
    """An approval the officer can still undo: shown above the queue."""

    match_id: int
    version: int
    value_cents: int
    contract_reference: str
    undo_until: Any


def recent_approvals(session: Session, officer: User, minutes: int) -> list[RecentApproval]:
    """The officer's own approvals of the last `minutes` that still stand (one statement)."""
    from datetime import timedelta

    from .models import Decision
    from .models.audit import not_withdrawn

    if minutes <= 0:
        return []
    since = utcnow() - timedelta(minutes=minutes)
    from sqlalchemy import select as sa_select

    rows = session.execute(
        sa_select(
            col(Match.id),
            col(Match.version),
            col(Match.value_cents),
            col(Contract.reference),
            col(Match.approved_at),
        )
        .join(Contract, col(Contract.id) == Match.contract_id)
        .join(Decision, col(Decision.match_id) == Match.id)
        .where(
            col(Decision.officer_id) == officer.id,
            col(Decision.outcome) == "approved",
            not_withdrawn(),
            col(Match.status) == "approved",
            col(Match.approved_at) > since,
        )
        .order_by(col(Match.approved_at).desc())
        .limit(20)
    ).all()
    out: list[RecentApproval] = []
    for match_id, version, value, reference, approved_at in rows:
        if approved_at.tzinfo is None:
            from datetime import UTC

            approved_at = approved_at.replace(tzinfo=UTC)
        out.append(
            RecentApproval(match_id, version, value, reference, approved_at + timedelta(minutes=minutes))
        )
    return out
