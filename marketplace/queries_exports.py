"""The rows of every export (marketplace/exports.py writes them): contracts, pledges, placements, reports,
decisions and settlements, each scoped to what the caller sees on its list pages and with the same filters.

Rows are read in chunks of CHUNK by id (keyset), each chunk with its related rows in batches, so an export of
100,000 pledges holds 500 at a time. Column names are stable snake_case codes (docs/exports.md); amounts are
in euro (`_eur`), times in UTC (`_utc`), statuses and routes as their codes.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from . import decisions_io
from .exports import euro
from .models import (
    Company,
    Contract,
    Decision,
    Government,
    Match,
    Placement,
    RealisationReport,
    Settlement,
    User,
)
from .policy import ObligationState
from .queries import _by_id, contract_rows, match_rows
from .services.scope import government_ids

CHUNK = 500


@dataclass(frozen=True)
class Scope:
    """Whose rows an export may hold: one company's, one government's or one initiative's."""

    company_id: int | None = None
    government_id: int | None = None
    initiative_id: int | None = None


@dataclass(frozen=True)
class Filters:
    contract_id: int | None = None
    status: str = ""


def scope_for(session: Session, user: User, acting_government_id: int | None) -> Scope | None:
    if user.role == "company" and user.company_id:
        return Scope(company_id=user.company_id)
    if user.role in ("officer", "adviser") and acting_government_id in government_ids(session, user):
        return Scope(government_id=acting_government_id)
    if user.role == "initiative" and user.initiative_id:
        return Scope(initiative_id=user.initiative_id)
    return None


def contract_in_scope(session: Session, scope: Scope, contract_id: int) -> bool:
    contract = session.get(Contract, contract_id)
    if contract is None:
        return False
    return (scope.company_id is not None and contract.company_id == scope.company_id) or (
        scope.government_id is not None and contract.government_id == scope.government_id
    )


def _scoped(stmt: Any, scope: Scope) -> Any:
    if scope.company_id is not None:
        return stmt.where(Contract.company_id == scope.company_id)
    if scope.government_id is not None:
        return stmt.where(Contract.government_id == scope.government_id)
    return stmt


def _chunks(session: Session, stmt: Any, id_col: Any) -> Iterator[list[Any]]:
    last = 0
    while True:
        rows = list(session.exec(stmt.where(id_col > last).order_by(id_col).limit(CHUNK)).all())
        if not rows:
            return
        yield rows
        last = rows[-1].id


Rows = Iterator[Sequence[Any]]


# --- contracts -------------------------------------------------------------------------------------------

CONTRACT_COLUMNS = (
    "reference",
    "title",
    "government",
    "company",
    "company_kvk",
    "kind",
    "status",
    "award_date",
    "end_date",
    "contract_sum_eur",
    "obligation_eur",
    "small_contract",
    "committed_eur",
    "pending_eur",
    "realised_eur",
    "verified_eur",
    "remaining_eur",
)


def contract_export(session: Session, scope: Scope, f: Filters) -> Rows:
    if scope.initiative_id is not None:
        return
    stmt = _scoped(select(Contract), scope)
    if f.contract_id:
        stmt = stmt.where(Contract.id == f.contract_id)
    if f.status:
        stmt = stmt.where(Contract.status == f.status)
    for chunk in _chunks(session, stmt, col(Contract.id)):
        for r in contract_rows(session, chunk):
            c, t = r.contract, r.totals
            small = t.obligation.state == ObligationState.SMALL
            yield (
                c.reference,
                c.title,
                r.government.name,
                r.company.name,
                r.company.kvk,
                c.kind,
                c.status,
                c.award_date,
                c.end_date,
                euro(c.sum_cents),
                euro(t.obligation_cents) if t.obligation.state == ObligationState.AMOUNT else None,
                small,
                euro(t.committed_cents),
                euro(t.pending_cents),
                euro(t.realised_cents),
                euro(t.verified_cents),
                None if small else euro(t.remaining_cents),
            )


# --- pledges ---------------------------------------------------------------------------------------------

PLEDGE_COLUMNS = (
    "pledge",
    "contract",
    "government",
    "company",
    "company_kvk",
    "recipient",
    "need",
    "building_block",
    "route",
    "quantity",
    "value_eur",
    "status",
    "created_at_utc",
    "approved_at_utc",
    "delivered_at_utc",
)


def pledge_export(session: Session, scope: Scope, f: Filters) -> Rows:
    stmt = select(Match).join(Contract, col(Contract.id) == Match.contract_id)
    stmt = _scoped(stmt, scope)
    if scope.initiative_id is not None:
        stmt = stmt.where(Match.initiative_id == scope.initiative_id)
    if f.contract_id:
        stmt = stmt.where(Match.contract_id == f.contract_id)
    if f.status:
        stmt = stmt.where(Match.status == f.status)
    for chunk in _chunks(session, stmt, col(Match.id)):
        for r in match_rows(session, chunk):
            m = r.match
            yield (
                m.id,
                r.contract.reference,
                r.government.name,
                r.company.name,
                r.company.kvk,
                r.recipient,
                r.need.reference if r.need else "",
                r.block.code,
                r.block.route,
                m.quantity,
                euro(m.value_cents),
                m.status,
                m.created_at,
                m.approved_at,
                m.delivered_at,
            )


# --- placements (pseudonymous: the person key is an HMAC, never a name or BSN) -----------------------------

PLACEMENT_COLUMNS = (
    "pledge",
    "contract",
    "person_key",
    "target_group",
    "proof_kind",
    "employment",
    "start_date",
    "end_date",
    "hours_per_week",
    "age_band",
)


def placement_export(session: Session, scope: Scope, f: Filters) -> Rows:
    if scope.initiative_id is not None:
        return
    stmt = _scoped(select(Placement).join(Contract, col(Contract.id) == Placement.contract_id), scope)
    if f.contract_id:
        stmt = stmt.where(Placement.contract_id == f.contract_id)
    for chunk in _chunks(session, stmt, col(Placement.id)):
        contracts = _by_id(session, Contract, (p.contract_id for p in chunk))
        for p in chunk:
            yield (
                p.match_id,
                contracts[p.contract_id].reference,
                p.person_key,
                p.target_group,
                p.proof_kind,
                p.employment,
                p.start_date,
                p.end_date,
                p.hours_per_week,
                p.age_band,
            )


# --- realisation reports ---------------------------------------------------------------------------------

REPORT_COLUMNS = (
    "report",
    "contract",
    "pledge",
    "period_start",
    "period_end",
    "quantity",
    "value_eur",
    "status",
    "attempt",
    "note",
    "officer_reason",
    "submitted_at_utc",
    "decided_at_utc",
)


def report_export(session: Session, scope: Scope, f: Filters) -> Rows:
    if scope.initiative_id is not None:
        return
    stmt = _scoped(
        select(RealisationReport).join(Contract, col(Contract.id) == RealisationReport.contract_id), scope
    )
    if f.contract_id:
        stmt = stmt.where(RealisationReport.contract_id == f.contract_id)
    if f.status:
        stmt = stmt.where(RealisationReport.status == f.status)
    for chunk in _chunks(session, stmt, col(RealisationReport.id)):
        contracts = _by_id(session, Contract, (r.contract_id for r in chunk))
        for r in chunk:
            yield (
                r.id,
                contracts[r.contract_id].reference,
                r.match_id,
                r.period_start,
                r.period_end,
                r.quantity,
                euro(r.value_cents),
                r.status,
                r.attempt,
                r.note,
                r.officer_reason,
                r.created_at,
                r.decided_at,
            )


# --- decisions: the format of `srx decisions export` (importable with `srx decisions import`) --------------


def decision_export(session: Session, scope: Scope, f: Filters) -> Rows:
    stmt = select(Decision).where(col(Decision.outcome).in_(decisions_io.OUTCOMES))
    if scope.initiative_id is not None:
        return
    if scope.government_id is not None:
        gov = session.get(Government, scope.government_id)
        stmt = stmt.where(Decision.government == (gov.slug if gov else ""))
    if scope.company_id is not None:
        company = session.get(Company, scope.company_id)
        stmt = stmt.where(Decision.company_kvk == (company.kvk if company else ""))
    if f.contract_id:
        contract = session.get(Contract, f.contract_id)
        stmt = stmt.where(Decision.contract_reference == (contract.reference if contract else ""))
    if f.status:
        stmt = stmt.where(Decision.outcome == f.status)
    for chunk in _chunks(session, stmt, col(Decision.id)):
        for d in chunk:
            yield decisions_io.decision_row(d)


# --- settlements -----------------------------------------------------------------------------------------

SETTLEMENT_COLUMNS = (
    "number",
    "contract",
    "kind",
    "method",
    "amount_eur",
    "obligation_eur",
    "verified_eur",
    "recovery_until",
    "decided_at_utc",
    "reason",
)


def settlement_export(session: Session, scope: Scope, f: Filters) -> Rows:
    if scope.initiative_id is not None:
        return
    stmt = _scoped(select(Settlement).join(Contract, col(Contract.id) == Settlement.contract_id), scope)
    if f.contract_id:
        stmt = stmt.where(Settlement.contract_id == f.contract_id)
    if f.status:
        stmt = stmt.where(Settlement.kind == f.status)
    for chunk in _chunks(session, stmt, col(Settlement.id)):
        contracts = _by_id(session, Contract, (s.contract_id for s in chunk))
        for s in chunk:
            yield (
                s.number,
                contracts[s.contract_id].reference,
                s.kind,
                s.method,
                euro(s.amount_cents),
                euro(s.obligation_cents),
                euro(s.verified_cents),
                s.recovery_until,
                s.decided_at,
                s.reason,
            )


@dataclass(frozen=True)
class Dataset:
    columns: tuple[str, ...]
    rows: Callable[[Session, Scope, Filters], Rows]
    statuses: tuple[str, ...]  # the values ?status= may take (another answers 400, as on the list pages)


def _statuses() -> dict[str, tuple[str, ...]]:
    from .models import CONTRACT_STATUSES, MATCH_STATUSES, ReportStatus, SettlementKind

    return {
        "contracts": tuple(CONTRACT_STATUSES),
        "pledges": tuple(MATCH_STATUSES),
        "reports": tuple(ReportStatus),
        "decisions": decisions_io.OUTCOMES,
        "settlements": tuple(SettlementKind),
        "placements": (),
    }


def datasets() -> dict[str, Dataset]:
    s = _statuses()
    return {
        "contracts": Dataset(CONTRACT_COLUMNS, contract_export, s["contracts"]),
        "pledges": Dataset(PLEDGE_COLUMNS, pledge_export, s["pledges"]),
        "placements": Dataset(PLACEMENT_COLUMNS, placement_export, s["placements"]),
        "reports": Dataset(REPORT_COLUMNS, report_export, s["reports"]),
        "decisions": Dataset(decisions_io.COLUMNS, decision_export, s["decisions"]),
        "settlements": Dataset(SETTLEMENT_COLUMNS, settlement_export, s["settlements"]),
    }


# Which datasets each role sees on its list pages.
ROLE_DATASETS = {
    "company": ("contracts", "pledges", "placements", "reports", "decisions", "settlements"),
    "officer": ("contracts", "pledges", "placements", "reports", "decisions", "settlements"),
    "adviser": ("contracts", "pledges", "placements", "reports", "decisions", "settlements"),
    "initiative": ("pledges",),
}
