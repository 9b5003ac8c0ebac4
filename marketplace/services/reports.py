"""Realisation reports with evidence: per approved contribution and period, what was realised.

The company reports, per period of the policy (calendar quarters or half-years, cut to the contract's term),
how much of an approved contribution it realised, in the contribution's own unit (months of a placement,
hours, days, euros invoiced, or the activity as a whole), with at least one evidence file. The officer (or
WSP adviser) accepts or rejects each report with a reason; a rejected report can be sent again for the same
period.

Per contribution, always: verified (accepted) <= reported (submitted and accepted) <= committed (the approved
value). A report's value is its share of the contribution's value, pro rata its quantity, in whole cents and
never more than what is left: the reported values of a contribution reported in full add up to its value
exactly.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from ..counting import policy_of
from ..db import on_rollback
from ..models import (
    BlockUnit,
    BuildingBlock,
    Contract,
    Evidence,
    Match,
    RealisationReport,
    ReportStatus,
    User,
)
from ..models._base import utcnow
from ..models.contract import COMMITTED_STATUSES
from ..progress import Period, periods
from ..storage import Storage, sha256, sniff
from . import validation as v
from .audit import record, snapshot
from .errors import N_, Conflict, NotFound, ServiceError
from .guard import check_seen, guarded_update
from .scope import acts_for
from .settlements import ensure_open

FIELDS = (
    "id",
    "period_start",
    "period_end",
    "status",
    "quantity",
    "value_cents",
    "officer_reason",
    "attempt",
    "version",
)
LIVE = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
EVIDENCE_KINDS = ("payslip", "employer_statement", "invoice", "initiative_statement", "other")
ALLOWED_TYPES = ("application/pdf", "image/png", "image/jpeg")
MAX_FILES = 10
MAX_FILENAME = 200

# The unit a contribution is reported in.
MONTHS, WEEKS, WHOLE = "months", "weeks", "whole"
UNIT_OF_BLOCK = {BlockUnit.HOUR: "hours", BlockUnit.DAY: "days", BlockUnit.EURO_SPENT: "cents"}


@dataclass(frozen=True)
class EvidenceFile:
    kind: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class ReportInput:
    match_id: int
    period_start: date
    quantity: int | None
    note: str = ""
    files: tuple[EvidenceFile, ...] = ()


@dataclass(frozen=True)
class Reportable:
    """How a contribution is reported: its unit and the whole quantity that makes its full value."""

    unit: str
    total: int


def reportable(match: Match, block: BuildingBlock | None) -> Reportable:
    if match.months:
        return Reportable(MONTHS, match.months)
    if block is not None and block.unit in UNIT_OF_BLOCK:
        return Reportable(UNIT_OF_BLOCK[BlockUnit(block.unit)], match.quantity)
    if match.weeks:
        return Reportable(WEEKS, match.weeks)
    return Reportable(WHOLE, 1)


def contract_periods(contract: Contract) -> list[Period]:
    """The contract's reporting periods, through the recovery date when it has one."""
    end = max(contract.end_date, contract.recovery_until or contract.end_date)
    return periods(contract.award_date, end, policy_of(contract).report_period)


@dataclass(frozen=True)
class Reported:
    quantity: int
    value_cents: int
    verified_cents: int


def reported_of(session: Session, match_ids: Sequence[int]) -> dict[int, Reported]:
    """Per contribution: the quantity and value reported (submitted or accepted), and the value verified."""
    out: dict[int, Reported] = {}
    if not match_ids:
        return out
    rows = session.exec(
        select(
            RealisationReport.match_id,
            RealisationReport.status,
            func.sum(RealisationReport.quantity),
            func.sum(RealisationReport.value_cents),
        )
        .where(col(RealisationReport.match_id).in_(match_ids), col(RealisationReport.status).in_(LIVE))
        .group_by(col(RealisationReport.match_id), col(RealisationReport.status))
    ).all()
    for match_id, status, quantity, value in rows:
        r = out.get(match_id, Reported(0, 0, 0))
        out[match_id] = Reported(
            r.quantity + int(quantity or 0),
            r.value_cents + int(value or 0),
            r.verified_cents + (int(value or 0) if status == ReportStatus.ACCEPTED else 0),
        )
    return out


def _company_match(session: Session, actor: User, match_id: int) -> tuple[Match, Contract]:
    match = session.get(Match, match_id)
    contract = session.get(Contract, match.contract_id) if match else None
    if (
        match is None
        or contract is None
        or actor.role != "company"
        or contract.company_id != actor.company_id
    ):
        raise NotFound(N_("This contribution does not exist."))
    return match, contract


def check_files(files: Sequence[EvidenceFile], *, max_bytes: int) -> list[tuple[EvidenceFile, str]]:
    """Every file is checked before any is stored: not empty, not too large, a PDF, PNG or JPEG by content."""
    if not files:
        raise ServiceError(N_("Add at least one evidence file (PDF, PNG or JPEG)."), field="files")
    if len(files) > MAX_FILES:
        raise ServiceError(N_("Add at most %(max)s files to one report."), field="files", max=MAX_FILES)
    checked = []
    for f in files:
        name = (f.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:MAX_FILENAME] or "evidence"
        if not f.data:
            raise ServiceError(N_("The file %(name)s is empty."), field="files", name=name)
        if len(f.data) > max_bytes:
            raise ServiceError(
                N_("The file %(name)s is larger than %(max)s MB."),
                field="files",
                name=name,
                max=max_bytes // 1_000_000,
            )
        content_type = sniff(f.data)
        if content_type not in ALLOWED_TYPES:
            raise ServiceError(
                N_("The file %(name)s is not a PDF, PNG or JPEG file."), field="files", name=name
            )
        v.choice(f.kind, "kind", EVIDENCE_KINDS)
        checked.append((EvidenceFile(f.kind, name, f.data), content_type))
    return checked


def _report_value(match: Match, unit: Reportable, live_quantity: int, live_value: int, quantity: int) -> int:
    """The report's share of the value: pro rata its quantity, in whole cents, never past the value."""
    if unit.total <= 0:
        return 0
    due = match.value_cents * (live_quantity + quantity) // unit.total
    return max(0, min(match.value_cents, due) - live_value)


def submit_report(
    session: Session,
    *,
    actor: User,
    data: ReportInput,
    store: Storage,
    max_bytes: int,
    today: date | None = None,
) -> RealisationReport:
    """Report what an approved contribution realised in one period, with its evidence files."""
    today = today or utcnow().date()
    match, contract = _company_match(session, actor, data.match_id)
    ensure_open(contract, today)
    if match.status not in COMMITTED_STATUSES:
        raise Conflict(N_("Only an approved contribution can be reported on."))
    period = next((p for p in contract_periods(contract) if p.start == data.period_start), None)
    if period is None:
        raise ServiceError(N_("Choose one of the contract's reporting periods."), field="period")
    if period.start > today:
        raise ServiceError(N_("This period has not started yet."), field="period")
    unit = reportable(match, session.get(BuildingBlock, match.block_id))
    earlier = session.exec(select(RealisationReport).where(RealisationReport.match_id == match.id)).all()
    same_period = [r for r in earlier if r.period_start == period.start]
    if any(r.status in LIVE for r in same_period):
        raise Conflict(N_("This period was reported already; a rejected report can be sent again."))
    live = [r for r in earlier if r.status in LIVE]
    live_quantity = sum(r.quantity for r in live)
    left = max(0, unit.total - live_quantity)
    if left == 0:
        raise Conflict(N_("This contribution has been reported in full."))
    quantity = v.integer(data.quantity, "quantity", low=1, high=left)
    assert quantity is not None
    note = v.text(data.note, "note", max_len=2000)
    checked = check_files(data.files, max_bytes=max_bytes)
    report = RealisationReport(
        match_id=match.id or 0,
        contract_id=contract.id or 0,
        period_start=period.start,
        period_end=period.end,
        quantity=quantity,
        value_cents=_report_value(match, unit, live_quantity, sum(r.value_cents for r in live), quantity),
        note=note,
        attempt=1 + len(same_period),
        submitted_by_id=actor.id,
    )
    session.add(report)
    session.flush()
    for f, content_type in checked:
        key = store.put(f.data)
        on_rollback(session, lambda key=key: store.delete(key))  # type: ignore[misc]
        session.add(
            Evidence(
                report_id=report.id or 0,
                kind=f.kind,
                filename=f.filename,
                content_type=content_type,
                size=len(f.data),
                sha256=sha256(f.data),
                storage_key=key,
                uploaded_by_id=actor.id,
            )
        )
    session.flush()
    record(
        session,
        actor=actor,
        action="report.submitted",
        entity_type="match",
        entity_id=match.id or 0,
        after={**snapshot(report, FIELDS), "period": period.key, "files": len(checked)},
    )
    return report


def decide_report(
    session: Session,
    *,
    actor: User,
    report_id: int,
    accept: bool,
    reason: str = "",
    seen_version: int | None = None,
    today: date | None = None,
) -> RealisationReport:
    """Accept a report (its value counts as verified) or reject it with a reason."""
    report = session.get(RealisationReport, report_id)
    contract = session.get(Contract, report.contract_id) if report else None
    if report is None or contract is None or not acts_for(session, actor, contract.government_id):
        raise NotFound(N_("This report does not exist."))
    ensure_open(contract, today or utcnow().date(), settling=True)
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(N_("This report was decided already."))
    check_seen(report, seen_version, N_("This report changed since you opened it. Look at it again."))
    reason = v.text(reason, "reason", max_len=2000, required=not accept)
    before = snapshot(report, FIELDS)
    guarded_update(
        session,
        report,
        status=ReportStatus.ACCEPTED if accept else ReportStatus.REJECTED,
        officer_reason=reason,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    record(
        session,
        actor=actor,
        action="report.accepted" if accept else "report.rejected",
        entity_type="match",
        entity_id=report.match_id,
        before=before,
        after=snapshot(report, FIELDS),
        reason=reason,
    )
    return report


def visible_report(session: Session, actor: User, report_id: int) -> tuple[RealisationReport, Contract]:
    """The report, if `actor` may see it: the contract's company, or an officer or adviser acting for its
    government."""
    report = session.get(RealisationReport, report_id)
    contract = session.get(Contract, report.contract_id) if report else None
    ok = contract is not None and (
        (actor.role == "company" and contract.company_id == actor.company_id)
        or acts_for(session, actor, contract.government_id)
    )
    if report is None or contract is None or not ok:
        raise NotFound(N_("This report does not exist."))
    return report, contract


def evidence_file(session: Session, actor: User, evidence_id: int, store: Storage) -> tuple[Evidence, bytes]:
    """An evidence file's record and bytes, only for those who may see its report."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(N_("This file does not exist."))
    visible_report(session, actor, evidence.report_id)
    if evidence.deleted_at is not None:
        raise NotFound(N_("This file was deleted after the retention period."))
    return evidence, store.get(evidence.storage_key)
