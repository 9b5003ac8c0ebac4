"""Reports: what a government's contracts, a company's contracts and an initiative received through SRX.

A report is a handful of grouped reads, whatever the number of contracts and contributions (pinned in
tests/views/test_query_counts.py). The rules, also stated on the pages and in docs/exports.md:

- contributions are the committed ones (approved and delivered matches, at their current value); a year
  filter takes those approved in that year (the creation date when an old row has no approval time);
- obligations are those of the contracts awarded in that year (all contracts without a filter), from the
  policy frozen on each contract; contracts by status count the same contracts;
- a contribution has one theme: the first theme of the need it went to, else the initiative's highest
  handprint theme, else "werk" for paid work and labour participation, else none; its target group is the placement's (or the block's), its neighbourhood the
  initiative's (else its municipality);
- the aggregate handprint is, per theme, the mean handprint score of the initiatives supported, weighted by
  the value each received;
- withheld is the sum of financial settlements decided in the year, split by withheld and invoiced.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from .counting import contract_obligation
from .models import (
    CONTRACT_STATUSES,
    ROUTES,
    BuildingBlock,
    Company,
    Contract,
    Government,
    HandprintScore,
    Initiative,
    Match,
    Need,
    Placement,
    RealisationReport,
    ReportStatus,
    Settlement,
)
from .models.contract import COMMITTED_STATUSES
from .policy import ObligationState
from .themes import THEME_CODES

NONE = ""  # the key of "no theme / no target group / no neighbourhood"
WORK_ROUTES = ("paid_work", "labour_participation")


@dataclass
class Share:
    key: str
    value_cents: int = 0
    count: int = 0

    def pct_of(self, total: int) -> int:
        """This share of `total` in whole percent (0 when the total is 0)."""
        return round(100 * self.value_cents / total) if total else 0


@dataclass
class Contribution:
    """One committed contribution, flattened for grouping."""

    match_id: int
    contract_id: int
    government_id: int
    company_id: int
    initiative_id: int | None
    value_cents: int
    status: str
    year: int
    month: int
    route: str
    theme: str
    target_group: str
    neighbourhood: str


@dataclass
class ContractLine:
    contract: Contract
    obligation_cents: int
    small: bool
    committed_cents: int = 0
    verified_cents: int = 0

    @property
    def remaining_cents(self) -> int:
        return max(0, self.obligation_cents - self.committed_cents)


@dataclass
class Report:
    year: int | None
    years: list[int]  # the years there is anything to show, for the filter
    contracts: list[ContractLine]
    contributions: list[Contribution]
    by_route: list[Share]
    by_theme: list[Share]
    by_target_group: list[Share]
    by_neighbourhood: list[Share]
    by_year: list[Share]  # contributions per year (per month "01".."12" when a year is chosen)
    obligations_by_year: list[Share]
    by_status: list[Share]  # contracts by lifecycle status (count)
    by_government: list[Share]
    handprint: dict[str, int]  # theme -> weighted mean score 0-100
    initiatives_supported: int
    withheld_cents: int = 0
    invoiced_cents: int = 0
    settlements: int = 0
    governments: dict[int, Government] = field(default_factory=dict)
    companies: dict[int, Company] = field(default_factory=dict)

    @property
    def obligation_cents(self) -> int:
        return sum(c.obligation_cents for c in self.contracts)

    @property
    def committed_cents(self) -> int:
        return sum(c.value_cents for c in self.contributions)

    @property
    def verified_cents(self) -> int:
        return sum(c.verified_cents for c in self.contracts)

    @property
    def small_contracts(self) -> int:
        return sum(1 for c in self.contracts if c.small)


def _year_of(m_approved: datetime | None, m_created: datetime) -> tuple[int, int]:
    when = m_approved or m_created
    return when.year, when.month


def _group(items: Iterable[Contribution], key: Any, order: Iterable[str] = ()) -> list[Share]:
    shares: dict[str, Share] = {}
    for k in order:
        shares[k] = Share(k)
    for c in items:
        share = shares.setdefault(key(c), Share(key(c)))
        share.value_cents += c.value_cents
        share.count += 1
    rows = [s for s in shares.values() if s.count]
    if not order:
        rows.sort(key=lambda s: (-s.value_cents, s.key))
    return rows


def contributions(
    session: Session,
    *,
    government_ids: Iterable[int] | None = None,
    company_id: int | None = None,
    initiative_id: int | None = None,
    year: int | None = None,
) -> tuple[list[Contribution], dict[int, dict[str, int]]]:
    """Committed contributions in scope, and the handprint scores of their initiatives (2 statements)."""
    # Fifteen columns: SQLAlchemy's select, given a list (the typed overloads stop at a few columns).
    columns: list[Any] = [
        Match.id,
        Match.contract_id,
        Contract.government_id,
        Contract.company_id,
        Match.initiative_id,
        Match.value_cents,
        Match.status,
        Match.approved_at,
        Match.created_at,
        BuildingBlock.route,
        BuildingBlock.target_group,
        Need.themes,
        Placement.target_group,
        Initiative.neighbourhood,
        Initiative.municipality,
    ]
    stmt: Any = (
        sa_select(*columns)
        .join(Contract, col(Contract.id) == Match.contract_id)
        .join(BuildingBlock, col(BuildingBlock.id) == Match.block_id)
        .outerjoin(Need, col(Need.id) == Match.need_id)
        .outerjoin(Placement, col(Placement.match_id) == Match.id)
        .outerjoin(Initiative, col(Initiative.id) == Match.initiative_id)
        .where(col(Match.status).in_(COMMITTED_STATUSES))
        .order_by(col(Match.id))
    )
    if government_ids is not None:
        stmt = stmt.where(col(Contract.government_id).in_(list(government_ids)))
    if company_id is not None:
        stmt = stmt.where(Contract.company_id == company_id)
    if initiative_id is not None:
        stmt = stmt.where(Match.initiative_id == initiative_id)
    rows = session.execute(stmt).all()
    init_ids = {r[4] for r in rows if r[4]}
    scores: dict[int, dict[str, int]] = defaultdict(dict)
    if init_ids:
        for ini, theme, score in session.exec(
            select(HandprintScore.initiative_id, HandprintScore.theme, HandprintScore.score).where(
                col(HandprintScore.initiative_id).in_(init_ids)
            )
        ).all():
            scores[ini][theme] = int(score)
    out = []
    for (
        mid,
        contract_id,
        gov_id,
        comp_id,
        ini,
        value,
        status,
        approved,
        created,
        route,
        block_group,
        need_themes,
        placement_group,
        neighbourhood,
        municipality,
    ) in rows:
        y, m = _year_of(approved, created)
        if year is not None and y != year:
            continue
        theme = NONE
        if need_themes:
            theme = str(need_themes[0])
        elif ini and scores.get(ini):
            theme = max(
                scores[ini].items(),
                key=lambda kv: (kv[1], -THEME_CODES.index(kv[0]) if kv[0] in THEME_CODES else -99),
            )[0]
        elif route in WORK_ROUTES:
            theme = "werk"  # a placement or internship without an initiative: the theme is work itself
        out.append(
            Contribution(
                match_id=mid,
                contract_id=contract_id,
                government_id=gov_id,
                company_id=comp_id,
                initiative_id=ini,
                value_cents=int(value),
                status=status,
                year=y,
                month=m,
                route=route,
                theme=theme,
                target_group=placement_group or block_group or NONE,
                neighbourhood=(neighbourhood or municipality or NONE) if ini else NONE,
            )
        )
    return out, scores


def aggregate_handprint(items: Iterable[Contribution], scores: dict[int, dict[str, int]]) -> dict[str, int]:
    """Per theme, the handprint score of the initiatives supported, weighted by what each received."""
    received: dict[int, int] = defaultdict(int)
    for c in items:
        if c.initiative_id:
            received[c.initiative_id] += c.value_cents
    total = sum(received.values())
    if not total:
        return {}
    out = {}
    for theme in THEME_CODES:
        weighted = sum(v * scores.get(ini, {}).get(theme, 0) for ini, v in received.items())
        if any(theme in scores.get(ini, {}) for ini in received):
            out[theme] = round(weighted / total)
    return out


def _verified(session: Session, contract_ids: list[int]) -> dict[int, int]:
    if not contract_ids:
        return {}
    return {
        cid: int(total or 0)
        for cid, total in session.exec(
            select(RealisationReport.contract_id, func.sum(RealisationReport.value_cents))
            .where(
                col(RealisationReport.contract_id).in_(contract_ids),
                RealisationReport.status == ReportStatus.ACCEPTED,
            )
            .group_by(col(RealisationReport.contract_id))
        ).all()
    }


def _in_year(day: date | datetime | None, year: int | None) -> bool:
    return year is None or (day is not None and day.year == year)


def build_report(
    session: Session,
    *,
    government_id: int | None = None,
    company_id: int | None = None,
    year: int | None = None,
) -> Report:
    """The report of one government (officers) or one company; `year` narrows it to one year."""
    stmt = select(Contract).order_by(col(Contract.award_date), col(Contract.id))
    if government_id is not None:
        stmt = stmt.where(Contract.government_id == government_id)
    if company_id is not None:
        stmt = stmt.where(Contract.company_id == company_id)
    all_contracts = list(session.exec(stmt).all())
    contracts = [c for c in all_contracts if _in_year(c.award_date, year)]
    items, scores = contributions(
        session,
        government_ids=[government_id] if government_id is not None else None,
        company_id=company_id,
    )
    years = sorted({c.award_date.year for c in all_contracts} | {i.year for i in items}, reverse=True)
    if year is not None:
        items = [i for i in items if i.year == year]
    verified = _verified(session, [c.id or 0 for c in contracts])
    committed_by_contract: dict[int, int] = defaultdict(int)
    for i in items:
        committed_by_contract[i.contract_id] += i.value_cents
    lines = []
    for c in contracts:
        ob = contract_obligation(c)
        lines.append(
            ContractLine(
                c,
                ob.amount_cents if ob.state == ObligationState.AMOUNT else 0,
                ob.state == ObligationState.SMALL,
                committed_by_contract.get(c.id or 0, 0),
                verified.get(c.id or 0, 0),
            )
        )
    sstmt = select(Settlement.kind, Settlement.method, Settlement.amount_cents, Settlement.decided_at).join(
        Contract, col(Contract.id) == Settlement.contract_id
    )
    if government_id is not None:
        sstmt = sstmt.where(Contract.government_id == government_id)
    if company_id is not None:
        sstmt = sstmt.where(Contract.company_id == company_id)
    withheld = invoiced = n_settlements = 0
    for kind, method, amount, decided_at in session.exec(sstmt).all():
        if not _in_year(decided_at, year):
            continue
        n_settlements += 1
        if kind == "financial":
            if method == "invoice":
                invoiced += int(amount)
            else:
                withheld += int(amount)
    gov_ids = {c.government_id for c in contracts} | {i.government_id for i in items}
    comp_ids = {c.company_id for c in contracts} | {i.company_id for i in items}
    governments = (
        {g.id or 0: g for g in session.exec(select(Government).where(col(Government.id).in_(gov_ids))).all()}
        if gov_ids
        else {}
    )
    companies = (
        {c.id or 0: c for c in session.exec(select(Company).where(col(Company.id).in_(comp_ids))).all()}
        if company_id is not None and comp_ids
        else {}
    )
    status_shares = [Share(s, 0, sum(1 for c in contracts if c.status == s)) for s in CONTRACT_STATUSES]
    obligations: dict[int, Share] = {}
    for line in lines:
        share = obligations.setdefault(
            line.contract.award_date.year, Share(str(line.contract.award_date.year))
        )
        share.value_cents += line.obligation_cents
        share.count += 1
    if year is not None:
        by_year = _group(items, lambda c: f"{c.month:02d}", [f"{m:02d}" for m in range(1, 13)])
    else:
        by_year = _group(items, lambda c: str(c.year), [str(y) for y in sorted(years)])
    return Report(
        year=year,
        years=years,
        contracts=lines,
        contributions=items,
        by_route=_group(items, lambda c: c.route, list(ROUTES)),
        by_theme=_group(items, lambda c: c.theme),
        by_target_group=_group(items, lambda c: c.target_group),
        by_neighbourhood=_group(items, lambda c: c.neighbourhood),
        by_year=by_year,
        obligations_by_year=[obligations[y] for y in sorted(obligations)],
        by_status=[s for s in status_shares if s.count],
        by_government=_group(items, lambda c: str(c.government_id)),
        handprint=aggregate_handprint(items, scores),
        initiatives_supported=len({i.initiative_id for i in items if i.initiative_id}),
        withheld_cents=withheld,
        invoiced_cents=invoiced,
        settlements=n_settlements,
        governments=governments,
        companies=companies,
    )


@dataclass
class Received:
    """What one initiative received through SRX: committed contributions, by route and year."""

    committed_cents: int
    delivered_cents: int
    contributions: int
    companies: int
    by_route: list[Share]
    by_year: list[Share]


def received_by_initiative(session: Session, initiative_id: int) -> Received:
    items, _ = contributions(session, initiative_id=initiative_id)
    return Received(
        committed_cents=sum(i.value_cents for i in items),
        delivered_cents=sum(i.value_cents for i in items if i.status == "delivered"),
        contributions=len(items),
        companies=len({i.company_id for i in items}),
        by_route=_group(items, lambda c: c.route, list(ROUTES)),
        by_year=_group(items, lambda c: str(c.year), sorted({str(i.year) for i in items})),
    )
