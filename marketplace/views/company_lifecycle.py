"""Company pages for the life of a contract: the plan van aanpak, realisation reports with evidence, the
settlement statement. The routes hang on the company blueprint (endpoints company.*)."""

from datetime import date
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf.file import MultipleFileField
from wtforms import FormField, HiddenField, TextAreaField

from marketplace.i18n import gettext

from ..authz import access
from ..forms import ChoiceField, DayField, Form, MultiCheckboxField, WholeNumberField, max_length, required
from ..models import ROUTES, TARGET_GROUPS, BlockUnit, Contract, Initiative, Need, User
from ..models._base import utcnow
from ..queries import _by_id, blocks_of, contract_rows
from ..queries_lifecycle import contributions_of, progress_of
from ..services import plans as plan_service
from ..services import reports as report_service
from ..services.errors import ServiceError
from ..services.pledges import PERSON_UNITS
from ..services.settlements import REPORTING, settlements_of, visible_settlement
from ..storage import storage
from ._helpers import abort, get_session, me, to_id
from .company import _own_contract, bp
from .company_forms import (
    MAX_INTENDED,
    MAX_PLAN_ROWS,
    IntendedRow,
    NumberedRows,
    PlanRow,
    PlanRowsMixin,
    plan_summary,
)
from .files import send_evidence


class ApproachForm(PlanRowsMixin, Form):
    text = TextAreaField(validators=[required(), max_length(plan_service.MAX_TEXT)])
    routes = MultiCheckboxField(codes=ROUTES)
    action = ChoiceField(codes=("save", "submit"), default="save")
    version = WholeNumberField(low=1, high=2**31 - 1)
    row = NumberedRows(FormField(PlanRow), max_entries=MAX_PLAN_ROWS)
    placement = NumberedRows(FormField(IntendedRow), max_entries=MAX_INTENDED)


def _pledge_rows_of(plan: Any, blocks: list[Any]) -> list[dict[str, str]]:
    """A saved plan's pledges as form rows, to edit them again."""
    units = {b.code: b.unit for b in blocks}
    rows = []
    for p in plan.pledges if plan else []:
        unit = {"euro_spent": "euro", "hour": "hours", "day": "days"}.get(
            units.get(p.get("block", ""), ""), "units"
        )
        quantity = int(p.get("quantity") or 0)
        target = (
            f"need:{p['need_id']}"
            if p.get("need_id")
            else (f"initiative:{p['initiative_id']}" if p.get("initiative_id") else "")
        )
        rows.append(
            {
                "target": target,
                "block": str(p.get("block", "")),
                "unit": unit,
                "include": "1",
                "units": str(quantity // 100 if unit == "euro" else quantity),
            }
        )
    return rows


def _render_approach(
    c: Contract,
    form: ApproachForm,
    *,
    pledge_rows: list[dict[str, str]] | None = None,
    intended: list[dict[str, str]] | None = None,
    status: int = 200,
) -> Any:
    from ..recommendations import plan_for

    session = get_session()
    row = contract_rows(session, [c])[0]
    plan = plan_service.plan_of(session, c.id or 0)
    blocks = blocks_of(session, c.table_id)
    suggestions: list[Any] = []
    if pledge_rows is None:
        pledge_rows = _pledge_rows_of(plan, blocks)
    if not pledge_rows and row.totals.remaining_cents > 0:
        result, recs = plan_for(session, c)
        by_id = {s.rec.candidate.id: s for s in recs.suggestions}
        suggestions = [
            (item, by_id[item.candidate_id])
            for item in result.items
            if item.candidate_id in by_id and by_id[item.candidate_id].valuer.unit != "persons"
        ]
    if intended is None:
        intended = [{k: str(v) for k, v in p.items()} for p in (plan.placements if plan else [])]
    blocks_by_code = {b.code: b for b in blocks if b.unit not in (*PERSON_UNITS, BlockUnit.BONUS)}
    needs = _by_id(
        session, Need, (to_id(r["target"][5:]) for r in pledge_rows if r["target"].startswith("need:"))
    )
    initiatives = _by_id(
        session,
        Initiative,
        [
            *(to_id(r["target"][11:]) for r in pledge_rows if r["target"].startswith("initiative:")),
            *(n.initiative_id for n in needs.values()),
        ],
    )
    names = {
        f"need:{n.id}": f"{n.title} ({initiatives[n.initiative_id].name})"
        for n in needs.values()
        if n.initiative_id in initiatives
    }
    names.update({f"initiative:{i.id}": i.name for i in initiatives.values()})
    return render_template(
        "company/approach.html",
        row=row,
        plan=plan,
        form=form,
        values=form.values(),
        errors=form.flat_errors(),
        summary=plan_summary(form.flat_errors()),
        pledge_rows=pledge_rows,
        suggestions=suggestions,
        intended=intended,
        max_intended=MAX_INTENDED,
        blocks=blocks_by_code,
        names=names,
        target_groups=TARGET_GROUPS,
        routes=ROUTES,
        due=c.plan_due_on or plan_service.plan_due_on(c),
        overdue=plan_service.is_overdue(c, plan, utcnow().date()),
    ), status


def _row_error(form: ApproachForm, exc: ServiceError) -> None:
    """A refusal about one row of the plan goes beside that row's field; the rest as the base form shows it."""
    if not form.row_error(exc):
        form.add_service_error(exc)


@bp.route("/contracts/<int:contract_id>/plan-van-aanpak", methods=["GET", "POST"])
@access("company")
def approach(contract_id: int):  # type: ignore[no-untyped-def]
    """The plan van aanpak: routes, proposed pledges, intended placements and text, sent to the officer."""
    c = _own_contract(contract_id)
    form = ApproachForm()
    if request.method == "GET":
        plan = plan_service.plan_of(get_session(), c.id or 0)
        if plan is not None:
            form.text.data, form.routes.data, form.version.data = plan.text, list(plan.routes), plan.version
        return _render_approach(c, form)
    pledge_rows = [
        {**e.form.shown(), "n": e.name.rpartition("-")[2]} for e in form.row.entries if e.form.include.data
    ]
    by_number = {int(e.name.rpartition("-")[2]): e.form.shown() for e in form.placement.entries}
    intended = [by_number.get(n, {}) for n in range(1, MAX_INTENDED + 1)]
    if not form.validate():
        return _render_approach(c, form, pledge_rows=pledge_rows, intended=intended, status=400)
    submit = form.action.data == "submit"
    try:
        plan_service.save_plan(
            get_session(),
            actor=me(),
            submit=submit,
            data=plan_service.PlanInput(
                contract_id=c.id or 0,
                text=form.text.data or "",
                routes=tuple(form.routes.data or ()),
                pledges=tuple(r.as_request(c.id or 0) for r in form.ticked()),
                placements=tuple(r.as_input() for r in form.intended() if not r.is_blank()),
                seen_version=form.version.data,
            ),
        )
    except ServiceError as exc:
        _row_error(form, exc)
        return _render_approach(
            c, form, pledge_rows=pledge_rows, intended=intended, status=409 if exc.status == 409 else 400
        )
    flash(
        gettext("Plan van aanpak sent to the officer.") if submit else gettext("Plan van aanpak saved."),
        "info",
    )
    return redirect(url_for("company.approach", contract_id=c.id))


# --- realisation ------------------------------------------------------------------------------------------


class ReportForm(Form):
    period = DayField(validators=[required()])
    quantity = WholeNumberField(validators=[required()], low=1, high=10**12)
    note = TextAreaField(validators=[max_length(2000)])
    kind = ChoiceField(codes=report_service.EVIDENCE_KINDS, default="other")
    files = MultipleFileField()
    match = HiddenField()


def _render_realisation(
    c: Contract, *, form: ReportForm | None = None, form_match: int | None = None, status: int = 200
) -> Any:
    session = get_session()
    today = utcnow().date()
    progress = progress_of(session, [c], today=today)[0]
    periods = report_service.contract_periods(c)
    return render_template(
        "company/realisation.html",
        p=progress,
        contributions=contributions_of(session, c),
        periods=[x for x in periods if x.start <= today],
        all_periods=periods,
        today=today,
        form=form,
        form_match=form_match,
        values=form.values() if form else {},
        errors=form.all_errors if form else {},
        open=c.status in REPORTING,
        kinds=report_service.EVIDENCE_KINDS,
        max_mb=current_app.config["EVIDENCE_MAX_BYTES"] // 1_000_000,
        settlements=settlements_of(session, c.id or 0),
    ), status


@bp.route("/contracts/<int:contract_id>/realisation")
@access("company")
def realisation(contract_id: int):  # type: ignore[no-untyped-def]
    """Per approved contribution and period: what was reported, checked, and what is still to report."""
    return _render_realisation(_own_contract(contract_id))


@bp.route("/matches/<int:match_id>/report", methods=["POST"])
@access("company")
def report(match_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    from ..models import Match

    match = session.get(Match, match_id)
    if match is None:
        abort(404)
    c = _own_contract(match.contract_id)
    form = ReportForm()
    if not form.validate():
        return _render_realisation(c, form=form, form_match=match_id, status=400)
    files = tuple(
        report_service.EvidenceFile(form.kind.data or "other", f.filename or "", f.read())
        for f in request.files.getlist("files")
        if f and (f.filename or f.content_length)
    )
    try:
        report_service.submit_report(
            session,
            actor=me(),
            store=storage(),
            max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
            data=report_service.ReportInput(
                match_id=match_id,
                period_start=form.period.data or date.min,
                quantity=form.quantity.data,
                note=form.note.data or "",
                files=files,
            ),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc, {"files": "files", "period": "period"})
        return _render_realisation(
            c, form=form, form_match=match_id, status=409 if exc.status == 409 else 400
        )
    flash(gettext("Report sent to the officer with %(n)s file(s).", n=len(files)), "info")
    return redirect(url_for("company.realisation", contract_id=c.id) + f"#contribution-{match_id}")


@bp.route("/evidence/<int:evidence_id>")
@access("company")
def evidence(evidence_id: int):  # type: ignore[no-untyped-def]
    return send_evidence(evidence_id)


@bp.route("/settlements/<int:settlement_id>")
@access("company")
def statement(settlement_id: int):  # type: ignore[no-untyped-def]
    """The settlement statement, as the company receives it."""
    session = get_session()
    try:
        settlement, c = visible_settlement(session, me(), to_id(settlement_id) or 0)
    except ServiceError:
        abort(404)
    return render_template(
        "settlement_statement.html",
        s=settlement,
        p=progress_of(session, [c], today=utcnow().date())[0],
        decided_by=session.get(User, settlement.decided_by_id) if settlement.decided_by_id else None,
    )
