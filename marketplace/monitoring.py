"""The monitoring export format (docs/monitoring-format.md): one government's contracts, contributions and
realisation as one JSON document, for a municipality's monitoring system, and back in.

`export_government` reads; `import_document` checks the whole document against the JSON Schema
(docs/monitoring-format.schema.json) and against the database first, then stores everything in the caller's
transaction (the command commits once, or nothing). A problem is one line naming where it is
(`contracts[2].contributions[0].block: ...`).
"""

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from .models import (
    BuildingBlock,
    Company,
    Contract,
    Evidence,
    Government,
    Initiative,
    Match,
    RealisationReport,
    Settlement,
    User,
    ValuationTable,
)
from .models._base import utcnow
from .queries import _by_id, contract_totals
from .services.audit import record

FORMAT, VERSION = "srx-monitoring", 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "monitoring-format.schema.json"


class FormatError(Exception):
    """The document cannot be imported; the message is one line that says where and why."""


def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


# --- export --------------------------------------------------------------------------------------------------


def export_government(session: Session, slug: str) -> dict[str, Any]:
    """Every contract of the government with its contributions, realisation reports and settlements."""
    gov = session.exec(select(Government).where(Government.slug == slug)).first()
    if gov is None:
        raise FormatError(f"there is no government with the slug {slug!r}")
    contracts = list(
        session.exec(
            select(Contract).where(Contract.government_id == gov.id).order_by(col(Contract.reference))
        ).all()
    )
    ids = [c.id or 0 for c in contracts]
    totals = contract_totals(session, contracts) if contracts else {}
    companies = _by_id(session, Company, (c.company_id for c in contracts))
    tables = _by_id(session, ValuationTable, (c.table_id for c in contracts))
    matches = (
        list(
            session.exec(
                select(Match)
                .where(col(Match.contract_id).in_(ids))
                .order_by(col(Match.created_at), col(Match.id))
            ).all()
        )
        if ids
        else []
    )
    blocks = _by_id(session, BuildingBlock, (m.block_id for m in matches))
    initiatives = _by_id(session, Initiative, (m.initiative_id for m in matches))
    reports = (
        list(
            session.exec(
                select(RealisationReport)
                .where(col(RealisationReport.contract_id).in_(ids))
                .order_by(col(RealisationReport.period_start), col(RealisationReport.attempt))
            ).all()
        )
        if ids
        else []
    )
    files: dict[int, list[Evidence]] = {}
    if reports:
        for e in session.exec(
            select(Evidence)
            .where(col(Evidence.report_id).in_([r.id for r in reports]))
            .order_by(col(Evidence.id))
        ).all():
            files.setdefault(e.report_id, []).append(e)
    settlements = (
        list(
            session.exec(
                select(Settlement)
                .where(col(Settlement.contract_id).in_(ids))
                .order_by(col(Settlement.decided_at), col(Settlement.id))
            ).all()
        )
        if ids
        else []
    )

    def report_json(r: RealisationReport) -> dict[str, Any]:
        return {
            "period_start": _iso(r.period_start),
            "period_end": _iso(r.period_end),
            "quantity": r.quantity,
            "value_cents": r.value_cents,
            "status": r.status,
            "attempt": r.attempt,
            "note": r.note,
            "officer_reason": r.officer_reason,
            "submitted_at": _iso(r.created_at),
            "decided_at": _iso(r.decided_at),
            "evidence": [
                {
                    "kind": e.kind,
                    "filename": e.filename,
                    "content_type": e.content_type,
                    "size": e.size,
                    "sha256": e.sha256,
                }
                for e in files.get(r.id or 0, [])
            ],
        }

    def contribution_json(m: Match) -> dict[str, Any]:
        ini = initiatives.get(m.initiative_id) if m.initiative_id else None
        block = blocks[m.block_id]
        return {
            "block": block.code,
            "route": block.route,
            "status": m.status,
            "quantity": m.quantity,
            "months": m.months,
            "weeks": m.weeks,
            "hours_per_week": m.hours_per_week,
            "value_cents": m.value_cents,
            "initiative": {"slug": ini.slug, "name": ini.name, "kind": ini.kind} if ini else None,
            "note": m.note,
            "officer_reason": m.officer_reason,
            "created_at": _iso(m.created_at),
            "approved_at": _iso(m.approved_at),
            "delivered_at": _iso(m.delivered_at),
            "realisation": [report_json(r) for r in reports if r.match_id == m.id],
        }

    def contract_json(c: Contract) -> dict[str, Any]:
        company = companies[c.company_id]
        t = totals[c.id or 0]
        return {
            "reference": c.reference,
            "title": c.title,
            "kind": c.kind,
            "company": {"kvk": company.kvk, "name": company.name, "city": company.city},
            "sum_cents": c.sum_cents,
            "labour_component_cents": c.labour_component_cents,
            "award_date": _iso(c.award_date),
            "end_date": _iso(c.end_date),
            "status": c.status,
            "plan_due_on": _iso(c.plan_due_on),
            "recovery_until": _iso(c.recovery_until),
            "closed_on": _iso(c.closed_on),
            "valuation_table_version": tables[c.table_id].version,
            "policy_version": c.policy_version,
            "policy": c.policy,
            "totals": {
                "obligation_cents": t.obligation_cents,
                "committed_cents": t.committed_cents,
                "reported_cents": t.reported_cents,
                "verified_cents": t.verified_cents,
                "remaining_cents": t.remaining_cents,
            },
            "contributions": [contribution_json(m) for m in matches if m.contract_id == c.id],
            "settlements": [
                {
                    "number": s.number,
                    "kind": s.kind,
                    "reason": s.reason,
                    "recovery_until": _iso(s.recovery_until),
                    "amount_cents": s.amount_cents,
                    "method": s.method,
                    "obligation_cents": s.obligation_cents,
                    "verified_cents": s.verified_cents,
                    "decided_at": _iso(s.decided_at),
                }
                for s in settlements
                if s.contract_id == c.id
            ],
        }

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(utcnow()),
        "government": {"slug": gov.slug, "name": gov.name, "kind": gov.kind},
        "contracts": [contract_json(c) for c in contracts],
    }


# --- import --------------------------------------------------------------------------------------------------


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def validate(doc: Any) -> None:
    """The document against the JSON Schema: the first problem, as one line."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        first = errors[0]
        message = re.sub(r"\s+", " ", first.message)[:200]
        raise FormatError(f"{_where(first.absolute_path)}: {message}")


def _slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "bedrijf"
    slug, n = base, 1
    while session.exec(select(Company.id).where(Company.slug == slug)).first() is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def import_document(session: Session, doc: Any, *, actor: User | None = None) -> dict[str, int]:
    """Store a monitoring document's contracts in the caller's transaction; FormatError before anything is
    stored when a part of it does not fit (a contract that exists, an unknown government, table or block)."""
    validate(doc)
    gov = session.exec(select(Government).where(Government.slug == doc["government"]["slug"])).first()
    if gov is None:
        raise FormatError(f"government.slug: there is no government {doc['government']['slug']!r} here")
    counts = {"contracts": 0, "contributions": 0, "reports": 0, "settlements": 0}
    seen: set[str] = set()
    for n, data in enumerate(doc["contracts"]):
        where = f"contracts[{n}]"
        reference = data["reference"]
        if reference in seen:
            raise FormatError(f"{where}.reference: {reference} appears twice in the file")
        seen.add(reference)
        if session.exec(select(Contract.id).where(Contract.reference == reference)).first() is not None:
            raise FormatError(f"{where}.reference: the contract {reference} exists already")
        table = session.exec(
            select(ValuationTable).where(
                ValuationTable.government_id == gov.id,
                ValuationTable.version == data["valuation_table_version"],
            )
        ).first()
        if table is None:
            raise FormatError(
                f"{where}.valuation_table_version: {gov.slug} has no valuation table version "
                f"{data['valuation_table_version']}"
            )
        blocks = {
            b.code: b
            for b in session.exec(select(BuildingBlock).where(BuildingBlock.table_id == table.id)).all()
        }
        company = session.exec(select(Company).where(Company.kvk == data["company"]["kvk"])).first()
        if company is None:
            company = Company(
                slug=_slug(session, data["company"]["name"]),
                name=data["company"]["name"],
                kvk=data["company"]["kvk"],
                city=data["company"].get("city", ""),
            )
            session.add(company)
            session.flush()
        contract = Contract(
            reference=reference,
            government_id=gov.id or 0,
            company_id=company.id or 0,
            title=data["title"],
            kind=data["kind"],
            sum_cents=data["sum_cents"],
            labour_component_cents=data.get("labour_component_cents"),
            award_date=_day(data["award_date"]) or date.min,
            end_date=_day(data["end_date"]) or date.min,
            table_id=table.id or 0,
            policy=data["policy"],
            policy_version=data["policy_version"],
            status=data["status"],
            plan_due_on=_day(data.get("plan_due_on")),
            recovery_until=_day(data.get("recovery_until")),
            closed_on=_day(data.get("closed_on")),
        )
        if contract.end_date < contract.award_date:
            raise FormatError(f"{where}.end_date: before the award date")
        session.add(contract)
        session.flush()
        for k, item in enumerate(data["contributions"]):
            at = f"{where}.contributions[{k}]"
            block = blocks.get(item["block"])
            if block is None:
                raise FormatError(f"{at}.block: {item['block']} is not in valuation table {table.version}")
            ini = None
            if item.get("initiative"):
                ini = session.exec(
                    select(Initiative).where(Initiative.slug == item["initiative"]["slug"])
                ).first()
                if ini is None:
                    ini = Initiative(
                        slug=item["initiative"]["slug"],
                        name=item["initiative"]["name"],
                        kind=item["initiative"]["kind"],
                    )
                    session.add(ini)
                    session.flush()
            match = Match(
                contract_id=contract.id or 0,
                initiative_id=ini.id if ini else None,
                block_id=block.id or 0,
                table_id=table.id or 0,
                quantity=item["quantity"],
                months=item.get("months"),
                weeks=item.get("weeks"),
                hours_per_week=item.get("hours_per_week"),
                value_cents=item["value_cents"],
                status=item["status"],
                note=item.get("note", ""),
                officer_reason=item.get("officer_reason", ""),
                created_at=_time(item.get("created_at")) or utcnow(),
                approved_at=_time(item.get("approved_at")),
                delivered_at=_time(item.get("delivered_at")),
            )
            session.add(match)
            session.flush()
            counts["contributions"] += 1
            reported = 0
            for r in item["realisation"]:
                if r["status"] != "rejected":
                    reported += r["value_cents"]
                report = RealisationReport(
                    match_id=match.id or 0,
                    contract_id=contract.id or 0,
                    period_start=_day(r["period_start"]) or date.min,
                    period_end=_day(r["period_end"]) or date.min,
                    quantity=r["quantity"],
                    value_cents=r["value_cents"],
                    status=r["status"],
                    attempt=r["attempt"],
                    note=r.get("note", ""),
                    officer_reason=r.get("officer_reason", ""),
                    created_at=_time(r.get("submitted_at")) or utcnow(),
                    decided_at=_time(r.get("decided_at")),
                )
                session.add(report)
                session.flush()
                # The files are not in the format: their records come along, marked as not held here.
                for e in r.get("evidence", []):
                    session.add(
                        Evidence(
                            report_id=report.id or 0,
                            kind=e["kind"],
                            filename=e["filename"][:200],
                            content_type=e["content_type"],
                            size=e["size"],
                            sha256=e["sha256"],
                            storage_key=f"imported:{e['sha256']}",
                            deleted_at=utcnow(),
                        )
                    )
                counts["reports"] += 1
            if reported > match.value_cents:
                raise FormatError(f"{at}.realisation: more is reported than the contribution is worth")
        for s in data["settlements"]:
            number = s["number"]
            if number and session.exec(select(Settlement.id).where(Settlement.number == number)).first():
                raise FormatError(f"{where}.settlements: the statement {number} exists already")
            session.add(
                Settlement(
                    contract_id=contract.id or 0,
                    kind=s["kind"],
                    reason=s.get("reason", ""),
                    recovery_until=_day(s.get("recovery_until")),
                    amount_cents=s["amount_cents"],
                    method=s.get("method", ""),
                    obligation_cents=s["obligation_cents"],
                    verified_cents=s["verified_cents"],
                    number=number,
                    decided_at=_time(s.get("decided_at")) or utcnow(),
                )
            )
            counts["settlements"] += 1
        session.flush()
        record(
            session,
            actor=actor,
            action="contract.imported",
            entity_type="contract",
            entity_id=contract.id or 0,
            after={"reference": reference, "contributions": len(data["contributions"])},
        )
        counts["contracts"] += 1
    return counts
