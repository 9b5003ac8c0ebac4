"""The /api/v1 routes for the life of a contract (issue 9): plan van aanpak, realisation reports with
evidence, progress (lifecycle state, pace and the burn-down series) and settlement.

Thin views over the same services and reads as the pages (services.plans, services.reports,
services.settlements, queries_lifecycle): nothing is decided here. The object check comes first (404 for
anything outside the caller's reach), then the body. State changes take the version the caller saw, in
the body (`version`) or as the ETag in an If-Match header; a stale one is refused with 409 (412 for an
If-Match that is not a tag of the object).
"""

from datetime import date
from typing import Annotated, Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext
from pydantic import Field

from ..authz import access, me
from ..db import get_session
from ..models import Contract, Evidence, Match, Plan, RealisationReport, Settlement
from ..models._base import utcnow
from ..queries_lifecycle import Contribution, contributions_of, progress_of
from ..services import plans as plan_service
from ..services import reports as report_service
from ..services import settlements as settlement_service
from ..services.errors import ServiceError
from ..services.pledges import MAX_PLAN_ITEMS, PledgeRequest
from ..services.scope import OFFICER_SIDE, acts_for
from ..storage import storage
from . import bp
from .problems import ApiProblem, from_service, not_found
from .schemas import MAX_ID, Body, Code, Id, Number, SmallNumber, Text, parse_body
from .serialise import iso
from .v1 import _visible_contract, etag, etag_version

Version = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


# --- bodies --------------------------------------------------------------------------------------------------


class PlanPledgeBody(Body):
    """A pledge the plan proposes: a block of the contract's table and a quantity (cents for money
    blocks, hours or days otherwise), for a need or an initiative. People go under `placements`."""

    block: Code = Field(description="Building-block code from the contract's valuation table.")
    quantity: Number = Field(description="Cents for money blocks; hours or days otherwise.")
    need_id: Id | None = Field(default=None, description="The need this pledge would serve.")
    initiative_id: Id | None = Field(default=None, description="The initiative, when there is no need.")
    note: Text = Field(default="", description="A note for the officer.")


class IntendedPlacementBody(Body):
    target_group: Code = Field(description="Target-group code (participatiewet, banenafspraak, ...).")
    persons: SmallNumber = Field(description="How many people.")
    months: SmallNumber = Field(description="For how many months each.")
    hours_per_week: SmallNumber = Field(default=36, description="Hours a week (of 36).")


class PlanBody(Body):
    """The plan van aanpak as the company writes it; `submit` sends it to the officer."""

    text: Text = Field(description="The plan in words.")
    routes: list[Code] = Field(default_factory=list, max_length=20, description="Route codes it intends.")
    pledges: list[PlanPledgeBody] = Field(
        default_factory=list, max_length=MAX_PLAN_ITEMS + 1, description="Proposed pledges."
    )
    placements: list[IntendedPlacementBody] = Field(
        default_factory=list, max_length=MAX_PLAN_ITEMS + 1, description="Intended placements."
    )
    submit: bool = Field(default=False, description="true: send the plan to the officer; false: save it.")
    version: Version | None = Field(default=None, description="The plan's version the caller saw.")


class DecisionBody(Body):
    reason: Text = Field(default="", description="Required when sending back or rejecting.")
    version: Version | None = Field(default=None, description="The version the caller saw.")


class SettlementBody(Body):
    """The officer's decision on a contract in settlement."""

    kind: Code = Field(description="recovery, best_effort or financial.")
    reason: Text = Field(description="Why; on the statement.")
    recovery_until: date | None = Field(default=None, description="recovery: the new date (within a year).")
    method: Code = Field(default="", description="financial: withhold or invoice.")
    version: Version | None = Field(default=None, description="The contract's version the caller saw.")


BODIES: dict[str, type[Body]] = {
    "PlanBody": PlanBody,
    "DecisionBody": DecisionBody,
    "SettlementBody": SettlementBody,
}


# --- helpers -------------------------------------------------------------------------------------------------


def seen_version(kind: str, row: Any, body_version: int | None) -> int | None:
    """The version the caller saw: from If-Match (the object's ETag) or else the body's `version`."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return body_version
    for tag in raw.split(","):
        if tag.strip().removeprefix("W/").strip('"') == "*":
            return body_version
        version = etag_version(tag, kind, row.id)
        if version is not None:
            return version
    raise ApiProblem(
        412, "Precondition Failed", gettext("This changed since you opened it. Look at it again.")
    )


def _officer_contract(reference: str) -> Contract:
    """A contract of a government the caller acts for (officer or WSP adviser)."""
    contract = _visible_contract(reference)
    if not acts_for(get_session(), me(), contract.government_id):
        raise not_found()
    return contract


def _side_contract(reference: str) -> Contract:
    """The contract's company, or an officer or adviser of its government."""
    contract = _visible_contract(reference)
    user = me()
    if user.role == "company" and contract.company_id == user.company_id:
        return contract
    if acts_for(get_session(), user, contract.government_id):
        return contract
    raise not_found()


def _company_contract(reference: str) -> Contract:
    contract = _visible_contract(reference)
    if contract.company_id != me().company_id or me().role != "company":
        raise not_found()
    return contract


def _renamed(exc: ServiceError) -> ApiProblem:
    """A refusal about one row of the plan names it as the body does: pledges[0].quantity."""
    kind, _sep, name = (exc.field or "").partition(":")
    head, _dash, number = kind.rpartition("-")
    problem = from_service(exc)
    if head in ("item", "placement") and number.isdigit():
        group = "pledges" if head == "item" else "placements"
        problem.extra["field"] = f"{group}[{int(number) - 1}]" + (f".{name}" if name else "")
    return problem


def _created(payload: dict[str, Any], location: str, tag: str | None = None) -> Any:
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = location
    if tag:
        response.headers["ETag"] = tag
    return response


# --- serialisation -------------------------------------------------------------------------------------------


def plan_json(c: Contract, plan: Plan | None) -> dict[str, Any]:
    today = utcnow().date()
    return {
        "contract": c.reference,
        "status": plan.status if plan else None,
        "due_on": iso(c.plan_due_on or plan_service.plan_due_on(c)),
        "overdue": plan_service.is_overdue(c, plan, today),
        "text": plan.text if plan else "",
        "routes": list(plan.routes) if plan else [],
        "pledges": [
            {k: p.get(k) for k in ("block", "quantity", "need_id", "initiative_id", "note")}
            for p in (plan.pledges if plan else [])
        ],
        "placements": list(plan.placements) if plan else [],
        "officer_reason": plan.officer_reason if plan else "",
        "submitted_at": iso(plan.submitted_at) if plan else None,
        "decided_at": iso(plan.decided_at) if plan else None,
        "version": plan.version if plan else None,
    }


def evidence_json(e: Evidence) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "filename": e.filename,
        "content_type": e.content_type,
        "size": e.size,
        "sha256": e.sha256,
        "uploaded_at": iso(e.uploaded_at),
        "url": None if e.deleted_at else url_for("api.evidence_download", evidence_id=e.id),
    }


def report_json(r: RealisationReport, reference: str, files: list[Evidence]) -> dict[str, Any]:
    return {
        "id": r.id,
        "match_id": r.match_id,
        "contract": reference,
        "period_start": iso(r.period_start),
        "period_end": iso(r.period_end),
        "quantity": r.quantity,
        "value_cents": r.value_cents,
        "note": r.note,
        "status": r.status,
        "officer_reason": r.officer_reason,
        "attempt": r.attempt,
        "created_at": iso(r.created_at),
        "decided_at": iso(r.decided_at),
        "version": r.version,
        "evidence": [evidence_json(e) for e in files],
    }


def contribution_json(c: Contract, item: Contribution) -> dict[str, Any]:
    m = item.row.match
    return {
        "match_id": m.id,
        "status": m.status,
        "block": item.row.block.code,
        "unit": item.unit.unit,
        "total": item.unit.total,
        "committed_cents": m.value_cents,
        "reported_quantity": item.reported_quantity,
        "reported_cents": item.reported_cents,
        "verified_cents": item.verified_cents,
        "left": item.left,
        "reports": [report_json(r, c.reference, item.evidence.get(r.id or 0, [])) for r in item.reports],
    }


def settlement_json(s: Settlement, reference: str) -> dict[str, Any]:
    return {
        "id": s.id,
        "contract": reference,
        "number": s.number,
        "kind": s.kind,
        "reason": s.reason,
        "recovery_until": iso(s.recovery_until),
        "amount_cents": s.amount_cents,
        "method": s.method,
        "obligation_cents": s.obligation_cents,
        "verified_cents": s.verified_cents,
        "decided_at": iso(s.decided_at),
    }


def progress_json(c: Contract) -> dict[str, Any]:
    """Where the contract is in its life and against its obligation, and the burn-down series."""
    session = get_session()
    today = utcnow().date()
    p = progress_of(session, [c], today=today, with_plans=True)[0]
    fc, t = p.forecast, p.totals
    return {
        "contract": c.reference,
        "state": c.status,
        "pace": fc.status.value if fc else None,
        "version": c.version,
        "award_date": iso(c.award_date),
        "end_date": iso(c.end_date),
        "recovery_until": iso(c.recovery_until),
        "closed_on": iso(c.closed_on),
        "plan": {
            "status": p.plan.status if p.plan else None,
            "due_on": iso(c.plan_due_on or plan_service.plan_due_on(c)),
            "overdue": plan_service.is_overdue(c, p.plan, today),
        },
        "obligation_state": t.obligation.state,
        "obligation_cents": p.obligation_cents,
        "committed_cents": t.committed_cents,
        "reported_cents": t.reported_cents,
        "verified_cents": t.verified_cents,
        "remaining_cents": t.remaining_cents,
        "shortfall_cents": t.shortfall_cents,
        "forecast": None
        if fc is None
        else {
            "pace_cents_per_week": fc.pace_cents_per_week,
            "pace_from": iso(fc.pace_from),
            "pace_to": iso(fc.pace_to),
            "expected_cents": fc.expected_cents,
            "forecast_day": iso(fc.forecast_day),
            "days_left": fc.days_left,
            "early": fc.early,
        },
        "series": [
            {
                "day": iso(pt.day),
                "obligation_cents": pt.obligation_cents,
                "committed_cents": pt.committed_cents,
                "verified_cents": pt.verified_cents,
                "line_cents": pt.line_cents,
            }
            for pt in (p.points(today) if fc is not None else [])
        ],
    }


def _json_with_tag(payload: dict[str, Any], tag: str | None, status: int = 200) -> Any:
    response = jsonify(payload)
    response.status_code = status
    if tag:
        response.headers["ETag"] = tag
    return response


# --- progress ------------------------------------------------------------------------------------------------


@bp.route("/v1/contracts/<reference>/progress")
@access("company", *OFFICER_SIDE)
def contract_progress(reference: str):  # type: ignore[no-untyped-def]
    """Lifecycle state and pace as codes, the totals, the forecast and the burn-down series."""
    c = _side_contract(reference)
    return _json_with_tag(progress_json(c), etag("contract", c))


# --- plan van aanpak -----------------------------------------------------------------------------------------


def _plan_response(c: Contract, status: int = 200) -> Any:
    plan = plan_service.plan_of(get_session(), c.id or 0)
    return _json_with_tag(plan_json(c, plan), etag("plan", plan) if plan else None, status)


@bp.route("/v1/contracts/<reference>/plan")
@access("company", *OFFICER_SIDE)
def contract_plan(reference: str):  # type: ignore[no-untyped-def]
    """The contract's plan van aanpak (status null while none is written), with its due date."""
    return _plan_response(_side_contract(reference))


@bp.route("/v1/contracts/<reference>/plan", methods=["POST"])
@access("company")
def save_plan(reference: str):  # type: ignore[no-untyped-def]
    """Write or rewrite the plan; `submit: true` sends it to the officer."""
    c = _company_contract(reference)
    body = parse_body(PlanBody)
    session = get_session()
    existing = plan_service.plan_of(session, c.id or 0)
    version = seen_version("plan", existing, body.version) if existing else body.version
    try:
        plan_service.save_plan(
            session,
            actor=me(),
            submit=body.submit,
            data=plan_service.PlanInput(
                contract_id=c.id or 0,
                text=body.text,
                routes=tuple(body.routes),
                pledges=tuple(
                    PledgeRequest(
                        contract_id=c.id or 0,
                        block_code=p.block,
                        quantity=p.quantity,
                        need_id=p.need_id,
                        initiative_id=p.initiative_id,
                        note=p.note,
                    )
                    for p in body.pledges
                ),
                placements=tuple(
                    plan_service.IntendedPlacement(
                        target_group=p.target_group,
                        persons=p.persons,
                        months=p.months,
                        hours_per_week=p.hours_per_week,
                    )
                    for p in body.placements
                ),
                seen_version=version,
            ),
        )
    except ServiceError as exc:
        raise _renamed(exc) from None
    return _plan_response(c)


def _decide_plan(reference: str, approve: bool) -> Any:
    c = _officer_contract(reference)
    body = parse_body(DecisionBody)
    session = get_session()
    plan = plan_service.plan_of(session, c.id or 0)
    try:
        plan_service.decide_plan(
            session,
            actor=me(),
            contract_id=c.id or 0,
            approve=approve,
            reason=body.reason,
            seen_version=seen_version("plan", plan, body.version) if plan else body.version,
        )
    except ServiceError as exc:
        raise _renamed(exc) from None
    return _plan_response(c)


@bp.route("/v1/contracts/<reference>/plan/approve", methods=["POST"])
@access(*OFFICER_SIDE)
def approve_plan(reference: str):  # type: ignore[no-untyped-def]
    """Approve the submitted plan: its pledges become proposed matches, all or none."""
    return _decide_plan(reference, approve=True)


@bp.route("/v1/contracts/<reference>/plan/changes", methods=["POST"])
@access(*OFFICER_SIDE)
def plan_changes(reference: str):  # type: ignore[no-untyped-def]
    """Send the submitted plan back to the company with a reason."""
    return _decide_plan(reference, approve=False)


# --- realisation reports -------------------------------------------------------------------------------------


@bp.route("/v1/contracts/<reference>/reports")
@access("company", *OFFICER_SIDE)
def contract_reports(reference: str):  # type: ignore[no-untyped-def]
    """Per approved contribution: committed, reported and verified, and its reports with their evidence."""
    c = _side_contract(reference)
    today = utcnow().date()
    return jsonify(
        {
            "contract": c.reference,
            "periods": [
                {"start": iso(p.start), "end": iso(p.end), "started": p.start <= today}
                for p in report_service.contract_periods(c)
            ],
            "contributions": [contribution_json(c, item) for item in contributions_of(get_session(), c)],
        }
    )


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 13:
        raise ApiProblem(422, "Unprocessable Content", gettext("Enter a whole number."), field=name)
    return int(raw)


def _form_day(name: str) -> date:
    raw = request.form.get(name, "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiProblem(
            422, "Unprocessable Content", gettext("Enter a date as YYYY-MM-DD."), field=name
        ) from None


@bp.route("/v1/matches/<int:match_id>/reports", methods=["POST"])
@access("company")
def create_report(match_id: int):  # type: ignore[no-untyped-def]
    """Report what an approved contribution realised in one period, with evidence files (multipart)."""
    session = get_session()
    match = session.get(Match, match_id)
    contract = session.get(Contract, match.contract_id) if match else None
    if contract is None or me().role != "company" or contract.company_id != me().company_id:
        raise not_found()
    if request.mimetype != "multipart/form-data":
        raise ApiProblem(
            415,
            "Unsupported Media Type",
            gettext("Send the report as multipart/form-data, with the evidence in the field files."),
        )
    period = _form_day("period_start")
    quantity = _form_int("quantity")
    note = request.form.get("note", "")[:10_000]
    kind = request.form.get("kind", "other")[:60]
    files = tuple(
        report_service.EvidenceFile(kind, f.filename or "", f.read())
        for f in request.files.getlist("files")
        if f is not None
    )
    report = report_service.submit_report(
        session,
        actor=me(),
        store=storage(),
        max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
        data=report_service.ReportInput(
            match_id=match_id, period_start=period, quantity=quantity, note=note, files=files
        ),
    )
    return _report_response(report, contract, 201)


def _report_response(report: RealisationReport, contract: Contract, status: int = 200) -> Any:
    from sqlmodel import col, select

    files = list(
        get_session()
        .exec(select(Evidence).where(Evidence.report_id == report.id).order_by(col(Evidence.id)))
        .all()
    )
    response = _json_with_tag(report_json(report, contract.reference, files), etag("report", report), status)
    if status == 201:
        response.headers["Location"] = url_for("api.report", report_id=report.id)
    return response


@bp.route("/v1/reports/<int:report_id>")
@access("company", *OFFICER_SIDE)
def report(report_id: int):  # type: ignore[no-untyped-def]
    try:
        found, contract = report_service.visible_report(get_session(), me(), report_id)
    except ServiceError:
        raise not_found() from None
    return _report_response(found, contract)


def _decide_report(report_id: int, accept: bool) -> Any:
    session = get_session()
    try:
        found, contract = report_service.visible_report(session, me(), report_id)
    except ServiceError:
        raise not_found() from None
    if not acts_for(session, me(), contract.government_id):
        raise not_found()
    body = parse_body(DecisionBody)
    decided = report_service.decide_report(
        session,
        actor=me(),
        report_id=report_id,
        accept=accept,
        reason=body.reason,
        seen_version=seen_version("report", found, body.version),
    )
    return _report_response(decided, contract)


@bp.route("/v1/reports/<int:report_id>/accept", methods=["POST"])
@access(*OFFICER_SIDE)
def accept_report(report_id: int):  # type: ignore[no-untyped-def]
    """Accept a report: its value counts as verified."""
    return _decide_report(report_id, accept=True)


@bp.route("/v1/reports/<int:report_id>/reject", methods=["POST"])
@access(*OFFICER_SIDE)
def reject_report(report_id: int):  # type: ignore[no-untyped-def]
    """Reject a report with a reason; the company may report the period again."""
    return _decide_report(report_id, accept=False)


@bp.route("/v1/evidence/<int:evidence_id>")
@access("company", *OFFICER_SIDE)
def evidence_download(evidence_id: int):  # type: ignore[no-untyped-def]
    """An evidence file, to the contract's company and its officers only; never cached."""
    from ..views.files import send_evidence

    return send_evidence(evidence_id)


# --- settlement ----------------------------------------------------------------------------------------------


@bp.route("/v1/contracts/<reference>/settlements")
@access("company", *OFFICER_SIDE)
def contract_settlements(reference: str):  # type: ignore[no-untyped-def]
    """The contract's settlement decisions, oldest first (a recovery period, then the final one)."""
    c = _side_contract(reference)
    found = settlement_service.settlements_of(get_session(), c.id or 0)
    return jsonify({"items": [settlement_json(s, c.reference) for s in found], "total": len(found)})


@bp.route("/v1/contracts/<reference>/settlement", methods=["POST"])
@access(*OFFICER_SIDE)
def settle(reference: str):  # type: ignore[no-untyped-def]
    """Decide on a contract in settlement: a recovery period, best effort accepted, or a financial one."""
    c = _officer_contract(reference)
    body = parse_body(SettlementBody)
    settlement = settlement_service.settle(
        get_session(),
        actor=me(),
        data=settlement_service.SettlementInput(
            contract_id=c.id or 0,
            kind=body.kind,
            reason=body.reason,
            recovery_until=body.recovery_until,
            method=body.method,
            seen_version=seen_version("contract", c, body.version),
        ),
    )
    return _created(
        settlement_json(settlement, c.reference),
        url_for("api.settlement", settlement_id=settlement.id),
        etag("contract", c),
    )


@bp.route("/v1/settlements/<int:settlement_id>")
@access("company", *OFFICER_SIDE)
def settlement(settlement_id: int):  # type: ignore[no-untyped-def]
    try:
        found, c = settlement_service.visible_settlement(get_session(), me(), settlement_id)
    except ServiceError:
        raise not_found() from None
    return jsonify(settlement_json(found, c.reference))
