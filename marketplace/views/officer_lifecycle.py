"""Officer (and WSP adviser) pages for the life of contracts: the risk overview, the periodic check, the plan
van aanpak, realisation reports with their evidence, settlement and its printable statement.
The routes hang on the officer blueprint (endpoints officer.*)."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask import session as cookie
from wtforms import HiddenField, TextAreaField

from marketplace.i18n import gettext

from ..authz import access
from ..forms import ChoiceField, DayField, Form, WholeNumberField, max_length, required
from ..models import CONTRACT_STATUSES, BuildingBlock, Contract, Initiative, Need, SettlementKind, User
from ..models._base import utcnow
from ..queries import _by_id
from ..queries_lifecycle import contributions_of, periodic_check, progress_of, risk_overview
from ..services import plans as plan_service
from ..services import reports as report_service
from ..services import settlements as settlement_service
from ..services.errors import ServiceError
from ..services.scope import OFFICER_SIDE, government_ids
from ._helpers import ACTING_KEY, abort, get_session, me, page_arg, to_id
from .files import send_evidence
from .filter_forms import RiskFilter
from .officer import _own_contract, bp


def _scope() -> frozenset[int]:
    """The governments the overview pages cover: an officer's own; every government a WSP adviser serves."""
    return government_ids(get_session(), me())


@bp.route("/risk")
@access(*OFFICER_SIDE)
def risk():  # type: ignore[no-untyped-def]
    """The governments' running contracts sorted by risk: status, days to the end date, amount short."""
    filters = RiskFilter()
    status = filters.clean()["status"]
    page = risk_overview(get_session(), _scope(), today=utcnow().date(), page=page_arg(), status=status)
    return render_template(
        "officer/risk.html",
        page=page,
        status=status,
        values=filters.values(),
        errors=filters.all_errors,
        statuses=CONTRACT_STATUSES,
        args=filters.args(),
    ), filters.http_status


@bp.route("/check")
@access(*OFFICER_SIDE)
def check():  # type: ignore[no-untyped-def]
    """The periodic check: overdue plans, missing reports, contracts behind, end dates within 60 days."""
    today = utcnow().date()
    items = periodic_check(get_session(), _scope(), today=today)
    counts = {
        reason: sum(1 for i in items if reason in i.reasons)
        for reason in ("overdue_plan", "missing_report", "behind", "ending")
    }
    return render_template("officer/check.html", items=items, counts=counts, today=today)


class ActForm(Form):
    government_id = WholeNumberField(validators=[required()], low=1, high=2**31 - 1)


@bp.route("/acting", methods=["POST"])
@access("adviser")
def act_for():  # type: ignore[no-untyped-def]
    """A WSP adviser chooses the government to work for on the pages of one government."""
    form = ActForm()
    if not form.validate() or form.government_id.data not in _scope():
        abort(400)
    cookie[ACTING_KEY] = form.government_id.data
    return redirect(url_for("officer.queue"))


# --- plan van aanpak -------------------------------------------------------------------------------------


class PlanDecisionForm(Form):
    decision = ChoiceField(validators=[required()], codes=("approve", "changes"))
    reason = TextAreaField(validators=[max_length(2000)])
    version = WholeNumberField(low=1, high=2**31 - 1)


def _render_plan(c: Contract, form: PlanDecisionForm, status: int = 200) -> Any:
    session = get_session()
    plan = plan_service.plan_of(session, c.id or 0)
    blocks = {b.code: b for b in session.exec(_blocks(c)).all()}
    pledges = plan.pledges if plan else []
    needs = _by_id(session, Need, (p.get("need_id") for p in pledges))
    initiatives = _by_id(
        session,
        Initiative,
        [*(p.get("initiative_id") for p in pledges), *(n.initiative_id for n in needs.values())],
    )
    return render_template(
        "officer/plan.html",
        p=progress_of(session, [c], today=utcnow().date(), with_plans=True)[0],
        plan=plan,
        blocks=blocks,
        needs=needs,
        initiatives=initiatives,
        form=form,
        errors=form.all_errors,
        values=form.values(),
        due=c.plan_due_on or plan_service.plan_due_on(c),
        overdue=plan_service.is_overdue(c, plan, utcnow().date()),
    ), status


def _blocks(c: Contract) -> Any:
    from sqlmodel import select

    return select(BuildingBlock).where(BuildingBlock.table_id == c.table_id)


@bp.route("/contracts/<int:contract_id>/plan", methods=["GET", "POST"])
@access(*OFFICER_SIDE)
def plan(contract_id: int):  # type: ignore[no-untyped-def]
    """Read the plan van aanpak and approve it (its pledges become proposals) or ask for changes."""
    c = _own_contract(contract_id)
    form = PlanDecisionForm()
    if request.method == "GET":
        return _render_plan(c, form)
    if not form.validate():
        return _render_plan(c, form, 400)
    approve = form.decision.data == "approve"
    try:
        plan_service.decide_plan(
            get_session(),
            actor=me(),
            contract_id=c.id or 0,
            approve=approve,
            reason=form.reason.data or "",
            seen_version=form.version.data,
        )
    except ServiceError as exc:
        item = exc.params.get("item")
        if item:
            from ..i18n import error_text

            form.form_errors.append(
                gettext("Pledge %(n)s of the plan: %(message)s", n=item, message=error_text(exc))
            )
        else:
            form.add_service_error(exc)
        return _render_plan(c, form, 409 if exc.status == 409 else 400)
    flash(
        gettext("Plan approved: its pledges are proposals now.")
        if approve
        else gettext("Plan sent back with your reason."),
        "info",
    )
    return redirect(url_for("officer.plan", contract_id=c.id))


# --- realisation reports ---------------------------------------------------------------------------------


class ReportDecisionForm(Form):
    decision = ChoiceField(validators=[required()], codes=("accept", "reject"))
    reason = TextAreaField(validators=[max_length(2000)])
    version = WholeNumberField(low=1, high=2**31 - 1)


def _render_reports(
    c: Contract, form: ReportDecisionForm | None = None, form_report: int | None = None, status: int = 200
) -> Any:
    session = get_session()
    return render_template(
        "officer/reports.html",
        p=progress_of(session, [c], today=utcnow().date())[0],
        contributions=contributions_of(session, c),
        form=form,
        form_report=form_report,
        errors=form.all_errors if form else {},
        values=form.values() if form else {},
        open=c.status in settlement_service.REPORTING,
    ), status


@bp.route("/contracts/<int:contract_id>/reports")
@access(*OFFICER_SIDE)
def reports(contract_id: int):  # type: ignore[no-untyped-def]
    """The contract's realisation reports with their evidence, to accept or reject."""
    return _render_reports(_own_contract(contract_id))


@bp.route("/reports/<int:report_id>/decide", methods=["POST"])
@access(*OFFICER_SIDE)
def decide_report(report_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    try:
        report, c = report_service.visible_report(session, me(), report_id)
    except ServiceError:
        abort(404)
    form = ReportDecisionForm()
    if not form.validate():
        return _render_reports(c, form, report_id, 400)
    accept = form.decision.data == "accept"
    try:
        report_service.decide_report(
            session,
            actor=me(),
            report_id=report.id or 0,
            accept=accept,
            reason=form.reason.data or "",
            seen_version=form.version.data,
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render_reports(c, form, report_id, 409 if exc.status == 409 else 400)
    flash(
        gettext("Report accepted: its value counts as verified.")
        if accept
        else gettext("Report rejected with your reason."),
        "info",
    )
    return redirect(url_for("officer.reports", contract_id=c.id) + f"#report-{report_id}")


@bp.route("/evidence/<int:evidence_id>")
@access(*OFFICER_SIDE)
def evidence(evidence_id: int):  # type: ignore[no-untyped-def]
    return send_evidence(evidence_id)


# --- settlement ------------------------------------------------------------------------------------------


class SettlementForm(Form):
    kind = ChoiceField(validators=[required()], codes=tuple(SettlementKind))
    reason = TextAreaField(validators=[required(), max_length(4000)])
    recovery_until = DayField()
    method = ChoiceField(codes=settlement_service.METHODS)
    version = WholeNumberField(low=1, high=2**31 - 1)
    confirm = HiddenField()


def _render_settle(c: Contract, form: SettlementForm, status: int = 200) -> Any:
    session = get_session()
    history = settlement_service.settlements_of(session, c.id or 0)
    return render_template(
        "officer/settle.html",
        p=progress_of(session, [c], today=utcnow().date())[0],
        form=form,
        errors=form.all_errors,
        values=form.values(),
        history=history,
        had_recovery=any(s.kind == SettlementKind.RECOVERY for s in history),
        standing=settlement_service.standing(session, c),
        kinds=tuple(SettlementKind),
        methods=settlement_service.METHODS,
    ), status


@bp.route("/contracts/<int:contract_id>/settle", methods=["GET", "POST"])
@access(*OFFICER_SIDE)
def settle(contract_id: int):  # type: ignore[no-untyped-def]
    """Decide on a contract that ended short: a recovery period, best effort, or a financial settlement."""
    c = _own_contract(contract_id)
    form = SettlementForm()
    if request.method == "GET":
        form.version.data = c.version
        return _render_settle(c, form)
    if not form.validate():
        return _render_settle(c, form, 400)
    try:
        settlement = settlement_service.settle(
            get_session(),
            actor=me(),
            data=settlement_service.SettlementInput(
                contract_id=c.id or 0,
                kind=form.kind.data or "",
                reason=form.reason.data or "",
                recovery_until=form.recovery_until.data,
                method=form.method.data or "",
                seen_version=form.version.data,
            ),
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render_settle(c, form, 409 if exc.status == 409 else 400)
    if settlement.kind == SettlementKind.RECOVERY:
        flash(
            gettext(
                "Recovery period until %(date)s. The contract stays open until then.",
                date=settlement.recovery_until.isoformat() if settlement.recovery_until else "",
            ),
            "info",
        )
        return redirect(url_for("officer.contract", contract_id=c.id))
    flash(gettext("Contract settled. The statement is ready to print."), "info")
    return redirect(url_for("officer.statement", settlement_id=settlement.id))


@bp.route("/settlements/<int:settlement_id>")
@access(*OFFICER_SIDE)
def statement(settlement_id: int):  # type: ignore[no-untyped-def]
    """The settlement statement for the finance department: printable (print CSS), one page."""
    session = get_session()
    try:
        settlement, c = settlement_service.visible_settlement(session, me(), to_id(settlement_id) or 0)
    except ServiceError:
        abort(404)
    return render_template(
        "settlement_statement.html",
        s=settlement,
        p=progress_of(session, [c], today=utcnow().date())[0],
        decided_by=session.get(User, settlement.decided_by_id) if settlement.decided_by_id else None,
    )
