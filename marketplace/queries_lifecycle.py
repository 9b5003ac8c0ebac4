"""Reads for the life of contracts: burn-down and forecast, the officer's risk overview, the periodic check.

Everything is batched: the overview of a government's contracts costs the same few statements whether it
holds 5 contracts or 500 (pinned in tests/views/test_query_counts.py).
"""

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from .counting import Totals, policy_of
from .models import (
    Company,
    Contract,
    ContractStatus,
    Evidence,
    Government,
    Match,
    Plan,
    PlanStatus,
    RealisationReport,
    ReportStatus,
    Revision,
    RevisionStatus,
)
from .models.contract import COMMITTED_STATUSES
from .policy import ObligationState
from .progress import URGENCY, Change, Forecast, Pace, Period, Point, forecast, periods, series
from .queries import MatchRow, Page, _by_id, contract_totals
from .services.reports import Reportable

ENDING_DAYS = 60
CS = ContractStatus


@dataclass
class Progress:
    """One contract's place in its life: lifecycle status, totals, forecast and burn-down series."""

    contract: Contract
    government: Government
    company: Company
    totals: Totals
    obligation_cents: int  # what the lines run to (under the small-contract rule: one activity's value)
    forecast: Forecast | None  # None when the obligation cannot be computed yet
    committed: list[Change] = field(default_factory=list)
    verified: list[Change] = field(default_factory=list)
    plan: Plan | None = None

    def points(self, today: date) -> list[Point]:
        c = self.contract
        return series(
            self.committed,
            self.verified,
            award=c.award_date,
            end=c.end_date,
            obligation=self.obligation_cents,
            today=today,
        )

    @property
    def pace(self) -> Pace | None:
        return self.forecast.status if self.forecast else None

    @property
    def urgency(self) -> tuple[int, int]:
        rank = URGENCY.get(self.pace, 5) if self.pace else 5
        days = self.forecast.days_left if self.forecast else 10**6
        return (rank, days)


def _day(value: datetime | None, fallback: date) -> date:
    return value.date() if isinstance(value, datetime) else fallback


def changes_of(
    session: Session, contract_ids: Collection[int]
) -> tuple[dict[int, list[Change]], dict[int, list[Change]]]:
    """Per contract, the dated changes of committed (approvals and revisions) and verified (accepted reports).

    A match counts from its approval with the value it had then; each approved revision lowers it from the
    day it was decided. Together they add up to the current committed total.
    """
    committed: dict[int, list[Change]] = defaultdict(list)
    verified: dict[int, list[Change]] = defaultdict(list)
    if not contract_ids:
        return committed, verified
    ids = list(contract_ids)
    matches = session.exec(
        select(  # type: ignore[call-overload]
            Match.id, Match.contract_id, Match.value_cents, Match.approved_at, Match.created_at
        ).where(col(Match.contract_id).in_(ids), col(Match.status).in_(COMMITTED_STATUSES))
    ).all()
    contract_of = {m_id: c_id for m_id, c_id, *_rest in matches}
    lowered: dict[int, int] = defaultdict(int)
    if contract_of:
        for match_id, old, new, decided_at in session.exec(
            select(
                Revision.match_id, Revision.old_value_cents, Revision.new_value_cents, Revision.decided_at
            ).where(col(Revision.match_id).in_(list(contract_of)), Revision.status == RevisionStatus.APPROVED)
        ).all():
            lowered[match_id] += old - new
            committed[contract_of[match_id]].append(Change(_day(decided_at, date.today()), new - old))
    for match_id, contract_id, value, approved_at, created_at in matches:
        day = _day(approved_at or created_at, date.today())
        committed[contract_id].append(Change(day, value + lowered[match_id]))
    for contract_id, value, decided_at in session.exec(
        select(
            RealisationReport.contract_id, RealisationReport.value_cents, RealisationReport.decided_at
        ).where(
            col(RealisationReport.contract_id).in_(ids), RealisationReport.status == ReportStatus.ACCEPTED
        )
    ).all():
        verified[contract_id].append(Change(_day(decided_at, date.today()), value))
    return committed, verified


def line_obligation(t: Totals, contract: Contract) -> int:
    if t.obligation.state == ObligationState.SMALL:
        return max(1, policy_of(contract).small_activity_min_cents)
    return t.obligation_cents


def progress_of(
    session: Session,
    contracts: Sequence[Contract],
    *,
    today: date,
    with_plans: bool = False,
    totals: dict[int, Totals] | None = None,
) -> list[Progress]:
    """Progress of many contracts at once: a fixed number of statements (fewer when `totals` has them)."""
    if not contracts:
        return []
    ids = [c.id or 0 for c in contracts]
    all_totals = (
        totals
        if totals is not None and all(i in totals for i in ids)
        else contract_totals(session, contracts)
    )
    govs = _by_id(session, Government, (c.government_id for c in contracts))
    companies = _by_id(session, Company, (c.company_id for c in contracts))
    committed, verified = changes_of(session, ids)
    plans = (
        {p.contract_id: p for p in session.exec(select(Plan).where(col(Plan.contract_id).in_(ids))).all()}
        if with_plans
        else {}
    )
    out = []
    for c in contracts:
        t = all_totals[c.id or 0]
        amount = line_obligation(t, c)
        fc = None
        if t.computable:
            fc = forecast(
                committed[c.id or 0],
                verified[c.id or 0],
                award=c.award_date,
                end=c.end_date,
                obligation=amount,
                today=today,
            )
        out.append(
            Progress(
                c,
                govs[c.government_id],
                companies[c.company_id],
                t,
                amount,
                fc,
                committed[c.id or 0],
                verified[c.id or 0],
                plans.get(c.id or 0),
            )
        )
    return out


def risk_overview(
    session: Session,
    government_ids: Collection[int],
    *,
    today: date,
    page: int = 1,
    per_page: int = 25,
    status: str = "",
) -> Page:
    """The governments' contracts, most urgent first: short, at risk, behind, on track, met; then the
    fewest days to the end date. Closed contracts (met, settled) are left out unless asked for."""
    if not government_ids:
        return Page([], 1, per_page, 0)
    stmt = select(Contract).where(col(Contract.government_id).in_(list(government_ids)))
    if status:
        stmt = stmt.where(Contract.status == status)
    else:
        stmt = stmt.where(col(Contract.status).not_in((CS.MET, CS.SETTLED)))
    contracts = session.exec(stmt.order_by(col(Contract.end_date), col(Contract.id))).all()
    rows = sorted(progress_of(session, contracts, today=today), key=lambda p: p.urgency)
    start = (max(1, page) - 1) * per_page
    return Page(rows[start : start + per_page], page, per_page, len(rows))


@dataclass
class CheckItem:
    progress: Progress
    reasons: list[str]  # overdue_plan | missing_report | behind | ending
    missing_period: Period | None = None


def last_closed_period(contract: Contract, today: date) -> Period | None:
    """The most recent reporting period that ended before today."""
    done = [
        p
        for p in periods(contract.award_date, contract.end_date, policy_of(contract).report_period)
        if p.end < today
    ]
    return done[-1] if done else None


def periodic_check(session: Session, government_ids: Collection[int], *, today: date) -> list[CheckItem]:
    """What needs the officer's attention now: an overdue plan, a missing report for the last period,
    a contract behind schedule or at risk, an end date within 60 days."""
    if not government_ids:
        return []
    contracts = session.exec(
        select(Contract)
        .where(
            col(Contract.government_id).in_(list(government_ids)),
            col(Contract.status).not_in((CS.MET, CS.SETTLED)),
        )
        .order_by(col(Contract.end_date), col(Contract.id))
    ).all()
    rows = progress_of(session, contracts, today=today, with_plans=True)
    ids = [c.id or 0 for c in contracts]
    # Per committed contribution, the periods it has a live report for.
    reported: dict[int, set[date]] = defaultdict(set)
    contribution_of: dict[int, list[int]] = defaultdict(list)
    if ids:
        for match_id, contract_id in session.exec(
            select(Match.id, Match.contract_id).where(
                col(Match.contract_id).in_(ids), col(Match.status).in_(COMMITTED_STATUSES)
            )
        ).all():
            contribution_of[contract_id].append(match_id or 0)
        for match_id, start in session.exec(
            select(RealisationReport.match_id, RealisationReport.period_start).where(  # type: ignore[call-overload]
                col(RealisationReport.contract_id).in_(ids),
                col(RealisationReport.status).in_((ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)),
            )
        ).all():
            reported[match_id].add(start)
    items = []
    for p in rows:
        c = p.contract
        reasons: list[str] = []
        due = c.plan_due_on or c.award_date
        if (
            c.status == CS.PLAN_DUE
            and due < today
            and (p.plan is None or p.plan.status != PlanStatus.APPROVED)
        ):
            reasons.append("overdue_plan")
        last = last_closed_period(c, today)
        missing = None
        if last is not None and any(last.start not in reported[m] for m in contribution_of[c.id or 0]):
            reasons.append("missing_report")
            missing = last
        if p.pace in (Pace.BEHIND, Pace.AT_RISK, Pace.SHORT):
            reasons.append("behind")
        if today <= c.end_date <= today + timedelta(days=ENDING_DAYS):
            reasons.append("ending")
        if reasons:
            items.append(CheckItem(p, reasons, missing))
    items.sort(key=lambda i: i.progress.urgency)
    return items


@dataclass
class Contribution:
    """One approved contribution with its reports per period: what the realisation pages show."""

    row: MatchRow
    unit: Reportable
    reports: list[RealisationReport]
    evidence: dict[int, list[Evidence]]
    reported_quantity: int
    reported_cents: int
    verified_cents: int

    @property
    def left(self) -> int:
        return max(0, self.unit.total - self.reported_quantity)

    def live_in(self, period: Period) -> RealisationReport | None:
        return next(
            (
                r
                for r in self.reports
                if r.period_start == period.start
                and r.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
            ),
            None,
        )


def contributions_of(session: Session, contract: Contract) -> list[Contribution]:
    """The contract's approved contributions with their reports and evidence (four statements)."""
    from .queries import match_rows
    from .services.reports import reportable

    matches = session.exec(
        select(Match)
        .where(Match.contract_id == contract.id, col(Match.status).in_(COMMITTED_STATUSES))
        .order_by(col(Match.approved_at), col(Match.id))
    ).all()
    if not matches:
        return []
    rows = match_rows(session, matches)
    reports = session.exec(
        select(RealisationReport)
        .where(RealisationReport.contract_id == contract.id)
        .order_by(col(RealisationReport.period_start), col(RealisationReport.attempt))
    ).all()
    files: dict[int, list[Evidence]] = defaultdict(list)
    if reports:
        for e in session.exec(
            select(Evidence)
            .where(col(Evidence.report_id).in_([r.id for r in reports]))
            .order_by(col(Evidence.id))
        ).all():
            files[e.report_id].append(e)
    by_match: dict[int, list[RealisationReport]] = defaultdict(list)
    for r in reports:
        by_match[r.match_id].append(r)
    out = []
    for row in rows:
        mine = by_match[row.match.id or 0]
        live = [r for r in mine if r.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)]
        out.append(
            Contribution(
                row,
                reportable(row.match, row.block),
                mine,
                {r.id or 0: files[r.id or 0] for r in mine},
                sum(r.quantity for r in live),
                sum(r.value_cents for r in live),
                sum(r.value_cents for r in live if r.status == ReportStatus.ACCEPTED),
            )
        )
    return out


def reports_waiting(
    session: Session, government_ids: Collection[int], *, limit: int = 10
) -> tuple[int, list[RealisationReport]]:
    """Submitted reports of the governments' contracts: how many, and the oldest few."""
    if not government_ids:
        return 0, []
    base = (
        select(RealisationReport)
        .join(Contract, col(Contract.id) == RealisationReport.contract_id)
        .where(
            col(Contract.government_id).in_(list(government_ids)),
            RealisationReport.status == ReportStatus.SUBMITTED,
        )
    )
    from sqlmodel import func

    total = int(session.exec(select(func.count()).select_from(base.subquery())).one())
    oldest = list(session.exec(base.order_by(col(RealisationReport.created_at)).limit(limit)).all())
    return total, oldest
