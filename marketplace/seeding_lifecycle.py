"""Seeding the life of the demo contracts: plans van aanpak, realisation reports with generated evidence files,
and settlements; each with its dates in the past, as if it had happened (docs/seeds.md, "lifecycle").

A contract's `lifecycle:` block in companies.yaml::

    lifecycle:
      plan: {status: approved, text: ..., routes: [...], placements: [...], reason: ..., on: 2025-03-06}
      settlement: {kind: financial, method: withhold, reason: ...}   # or recovery (recovery_until), best_effort

and a match's `reports:` list::

    reports:
      - {period: 2025-04-01, quantity: 20, status: accepted, evidence: [payslip], reason: ...}

A contract with matches and no plan gets an approved plan at its award, so the demo's older contracts run.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from .models import AuditEvent, Contract, Evidence, Match, Plan, RealisationReport, Settlement, User
from .services import plans, reports, settlements
from .services.errors import ServiceError
from .services.pledges import PledgeRequest
from .storage import Storage

EVIDENCE_TITLES = {
    "payslip": "Loonstroken",
    "employer_statement": "Werkgeversverklaring",
    "invoice": "Factuur",
    "initiative_statement": "Verklaring van het initiatief",
    "other": "Bewijsstuk",
}


class SeedLifecycleError(Exception):
    pass


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF with a title and a few lines of text (Helvetica, no images)."""

    def esc(text: str) -> str:
        return (
            text.replace("\\", "\\\\")
            .replace("(", "\\(")
            .replace(")", "\\)")
            .encode("latin-1", "replace")
            .decode("latin-1")
        )

    body = ["BT", "/F1 16 Tf", "56 780 Td", f"({esc(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        body += ["0 -18 Td", f"({esc(line)}) Tj"]
    body.append("ET")
    stream = "\n".join(body).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _backdate_events(session: Session, entity_type: str, entity_id: int, since_id: int, day: date) -> None:
    """Audit events written for a seeded step carry the day it happened, not the seeding time."""
    for n, event in enumerate(
        session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id == entity_id,
                col(AuditEvent.id) > since_id,
            )
        ).all()
    ):
        event.at = _at(day) + timedelta(minutes=n)
        session.add(event)


def _last_event_id(session: Session) -> int:
    session.flush()
    return int(session.exec(select(AuditEvent.id).order_by(col(AuditEvent.id).desc())).first() or 0)


def seed_plan(
    session: Session,
    contract: Contract,
    spec: dict[str, Any] | None,
    *,
    has_matches: bool,
    company_user: User,
    officer: User,
    day: Any,
) -> None:
    """The contract's plan van aanpak as the seed says; an approved one at the award when it has matches."""
    if spec is None and not has_matches:
        return
    spec = spec or {
        "status": "approved",
        "text": (
            f"Plan van aanpak voor {contract.title}: de bijdragen hieronder, afgesproken met de gemeente binnen een "
            "week na de gunning."
        ),
    }
    status = spec.get("status", "approved")
    on = day(spec.get("on")) or contract.award_date + timedelta(days=5)
    since = _last_event_id(session)
    placements = tuple(
        plans.IntendedPlacement(p["target_group"], p["persons"], p["months"], p.get("hours_per_week", 36))
        for p in spec.get("placements", [])
    )
    pledge_rows = tuple(
        PledgeRequest(
            contract_id=contract.id or 0,
            block_code=p["block"],
            quantity=p.get("quantity"),
            need_id=p.get("need_id"),
            initiative_id=p.get("initiative_id"),
        )
        for p in spec.get("pledges", [])
    )
    plan = plans.save_plan(
        session,
        actor=company_user,
        submit=status != "draft",
        data=plans.PlanInput(
            contract_id=contract.id or 0,
            text=spec.get("text", ""),
            routes=tuple(spec.get("routes", [])),
            placements=placements,
            pledges=pledge_rows,
        ),
    )
    if status in ("approved", "changes_requested"):
        plans.decide_plan(
            session,
            actor=officer,
            contract_id=contract.id or 0,
            approve=status == "approved",
            reason=spec.get("reason", ""),
        )
    session.execute(
        update(Plan)
        .where(col(Plan.id) == plan.id)
        .values(
            created_at=_at(on - timedelta(days=1)),
            submitted_at=_at(on) if status != "draft" else None,
            decided_at=_at(on + timedelta(days=1)) if status in ("approved", "changes_requested") else None,
        )
    )
    _backdate_events(session, "contract", contract.id or 0, since, on)


def seed_reports(
    session: Session,
    match: Match,
    specs: list[dict[str, Any]],
    *,
    company_user: User,
    officer: User,
    store: Storage,
    today: date,
    day: Any,
) -> int:
    """The match's realisation reports, each with a generated evidence PDF, dated after its period."""
    n = 0
    for spec in specs:
        start = day(spec["period"])
        contract = session.get(Contract, match.contract_id)
        assert contract is not None
        period = next((p for p in reports.contract_periods(contract) if p.start <= start <= p.end), None)
        if period is None:
            raise SeedLifecycleError(f"match {match.id}: no reporting period holds {start}")
        sent = min(today, period.end + timedelta(days=int(spec.get("days_after", 10))))
        files = tuple(
            reports.EvidenceFile(
                kind,
                f"{EVIDENCE_TITLES.get(kind, kind).lower().replace(' ', '-')}-{period.key}.pdf",
                demo_pdf(
                    EVIDENCE_TITLES.get(kind, kind),
                    [
                        f"Contract {contract.reference}",
                        f"Periode {period.start} - {period.end}",
                        f"Gerealiseerd: {spec['quantity']}",
                        "Demo-bestand, gegenereerd door SRX.",
                    ],
                ),
            )
            for kind in spec.get("evidence", ["other"])
        )
        since = _last_event_id(session)
        try:
            report = reports.submit_report(
                session,
                actor=company_user,
                store=store,
                max_bytes=10_000_000,
                today=sent,
                data=reports.ReportInput(
                    match_id=match.id or 0,
                    period_start=period.start,
                    quantity=spec["quantity"],
                    note=spec.get("note", ""),
                    files=files,
                ),
            )
            status = spec.get("status", "submitted")
            if status in ("accepted", "rejected"):
                reports.decide_report(
                    session,
                    actor=officer,
                    report_id=report.id or 0,
                    accept=status == "accepted",
                    reason=spec.get("reason", ""),
                    today=sent,
                )
        except ServiceError as exc:
            raise SeedLifecycleError(f"match {match.id}, report {spec['period']}: {exc}") from exc
        decided = min(today, sent + timedelta(days=9))
        session.execute(
            update(RealisationReport)
            .where(col(RealisationReport.id) == report.id)
            .values(
                created_at=_at(sent),
                decided_at=_at(decided) if spec.get("status") in ("accepted", "rejected") else None,
            )
        )
        session.execute(
            update(Evidence).where(col(Evidence.report_id) == report.id).values(uploaded_at=_at(sent))
        )
        _backdate_events(session, "match", match.id or 0, since, sent)
        n += 1
    return n


def seed_settlements(
    session: Session,
    specs: list[tuple[Contract, dict[str, Any]]],
    *,
    officers: dict[int, User],
    today: date,
    day: Any,
) -> int:
    """Move ended contracts on (met or settlement), then apply the seeded settlement decisions."""
    settlements.advance(session, today=today)
    n = 0
    for contract, spec in specs:
        session.refresh(contract)
        if contract.status != "settlement":
            raise SeedLifecycleError(
                f"contract {contract.reference}: not in settlement ({contract.status}), "
                "so it cannot be settled; does its end date lie in the past?"
            )
        since = _last_event_id(session)
        on = day(spec.get("on")) or min(today, contract.end_date + timedelta(days=30))
        try:
            made = settlements.settle(
                session,
                actor=officers[contract.government_id],
                today=on,
                data=settlements.SettlementInput(
                    contract_id=contract.id or 0,
                    kind=spec["kind"],
                    reason=spec["reason"],
                    recovery_until=day(spec.get("recovery_until")),
                    method=spec.get("method", ""),
                ),
            )
        except ServiceError as exc:
            raise SeedLifecycleError(f"contract {contract.reference}, settlement: {exc}") from exc
        session.execute(update(Settlement).where(col(Settlement.id) == made.id).values(decided_at=_at(on)))
        if made.kind != "recovery":
            session.execute(update(Contract).where(col(Contract.id) == contract.id).values(closed_on=on))
        _backdate_events(session, "contract", contract.id or 0, since, on)
        n += 1
    return n


__all__ = ["SeedLifecycleError", "demo_pdf", "seed_plan", "seed_reports", "seed_settlements"]
