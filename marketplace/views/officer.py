"""Officer pages: the approval queue, decisions on matches, contracts of the government, eligibility.

Everything is scoped to the officer's own government; anything else answers 404.
"""

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from marketplace.i18n import _l, gettext

from .. import formatting, i18n
from ..authz import access
from ..counting import Totals, policy_of
from ..forms import (
    ChoiceField,
    DayField,
    EuroField,
    Form,
    WholeNumberField,
    max_length,
    options,
    required,
)
from ..models import (
    MATCH_STATUSES,
    RECOGNITION_BASES,
    SELLER_KINDS,
    Contract,
    Government,
    Initiative,
    Revision,
    SmartPlan,
    SupplierRecognition,
    ValuationTable,
)
from ..queries import (
    MatchRow,
    blocks_of,
    contract_rows,
    contract_totals,
    contracts_for_government,
    ladder_gaps,
    match_for_user,
    match_history,
    matches_for_contract,
    matches_for_government,
    municipalities,
    officer_queue,
    officer_work,
    routes_used,
    smart_plans_of,
    supplier_recognitions,
)
from ..queries_officer import (
    companies_by_name,
    eligibility_counts,
    initiatives_for_eligibility,
    match_status_counts,
    recent_approvals,
)
from ..services import approvals, revisions, smart_plans
from ..services import contracts as contracts_service
from ..services import eligibility as eligibility_service
from ..services import suppliers as suppliers_service
from ..services.approvals import DecisionInput, Outcome
from ..services.contracts import ContractInput, register_contract
from ..services.errors import Conflict, ServiceError
from ..services.scope import OFFICER_SIDE, acts_for
from ..services.suppliers import recognition_for
from ..valuation import MAX_CENTS
from ._helpers import (
    abort,
    acting_government_id,
    back_within,
    error_text,
    get_session,
    lifecycle_context,
    me,
    page_arg,
)
from .filter_forms import EligibilityFilter, MatchesFilter

bp = Blueprint("officer", __name__, url_prefix="/officer")

# The three decision routes, by the outcome each one records.
DECISIONS = {"approve": Outcome.APPROVED, "reject": Outcome.REJECTED, "changes": Outcome.CHANGES_REQUESTED}


class DecisionForm(Form):
    reason = TextAreaField(
        validators=[
            Length(
                max=approvals.MAX_REASON,
                message=_l("The reason is too long (at most %(max)s characters).", max=approvals.MAX_REASON),
            )
        ]
    )
    agreed_value = EuroField()
    # The version and value of the pledge the officer saw: a pledge that changed since is not decided blind.
    version = WholeNumberField(validators=[required()], low=1, high=2**31 - 1)
    seen_value = WholeNumberField(validators=[required()], low=0, high=MAX_CENTS)
    # Approve asks first: the confirmation page repeats the value and sends this back.
    confirmed = HiddenField()

    @property
    def page_out_of_date(self) -> bool:
        """The hidden fields are missing or garbled: the page is not one of ours, or far too old."""
        return bool(self.version.errors or self.seen_value.errors)


class UndoForm(Form):
    version = WholeNumberField(validators=[required()], low=1, high=2**31 - 1)


class ContractForm(Form):
    company_id = WholeNumberField(validators=[required()], low=1, high=2**31 - 1)
    reference = StringField(validators=[required(), max_length(60)])
    title = StringField(validators=[required(), max_length(300)])
    sum = EuroField(validators=[required()])
    labour_component = EuroField()
    award_date = DayField(validators=[required()])
    end_date = DayField(validators=[required()])


class CompletionForm(Form):
    labour_component = EuroField(validators=[required()])
    version = WholeNumberField(low=1, high=2**31 - 1)


class PlanDecisionForm(Form):
    """Approve or send back (a SMART plan, a supplier's recognition, a revision), with a reason when sending back."""

    decision = HiddenField(validators=[required()])
    reason = TextAreaField(validators=[max_length(2000)])
    version = WholeNumberField(low=1, high=2**31 - 1)


class EligibilityForm(Form):
    eligible = HiddenField(validators=[required()])
    note = StringField(validators=[max_length(eligibility_service.MAX_NOTE)])


def _government() -> Government:
    gov = get_session().get(Government, acting_government_id() or 0)
    if gov is None:
        abort(404)
    return gov


def _own_match(match_id: int) -> MatchRow:
    row = match_for_user(get_session(), me(), match_id)
    if row is None or not acts_for(get_session(), me(), row.contract.government_id):
        abort(404)
    return row


def _own_contract(contract_id: int) -> Contract:
    contract = get_session().get(Contract, contract_id)
    if contract is None or not acts_for(get_session(), me(), contract.government_id):
        abort(404)
    return contract


def _with_insight(rows: list[MatchRow], totals: dict[int, Totals] | None = None) -> list[MatchRow]:
    """Attach the recommender's view of each match and the ladder routes it skips, for the whole page at once."""
    from ..recommendations import insights_for

    session = get_session()
    insights = insights_for(session, rows, totals)
    gaps = ladder_gaps(session, rows)
    for row in rows:
        row.extra["insight"] = insights.get(row.match.id or 0)
        row.extra["skipped_routes"] = gaps.get(row.match.id or 0, [])
    return rows


# --- queue and decisions ---------------------------------------------------------------------------------


@bp.route("/")
@access(*OFFICER_SIDE)
def queue():  # type: ignore[no-untyped-def]
    session = get_session()
    gov = _government()
    page = officer_queue(session, gov.id or 0, page=page_arg())
    contracts = {r.contract.id: r.contract for r in page.items}
    totals = contract_totals(session, list(contracts.values()))
    _with_insight(page.items, totals)
    return render_template(
        "officer/queue.html",
        government=gov,
        page=page,
        undoable=recent_approvals(session, me(), _undo_minutes()),
        totals=totals,
        counts=match_status_counts(session, gov.id or 0),
        other_work=officer_work(session, gov.id or 0),
    )


@bp.route("/matches")
@access(*OFFICER_SIDE)
def matches():  # type: ignore[no-untyped-def]
    session = get_session()
    gov = _government()
    filters = MatchesFilter()
    status = filters.clean()["status"]
    page = matches_for_government(session, gov.id or 0, status=status or None, page=page_arg())
    return render_template(
        "officer/matches.html",
        government=gov,
        page=page,
        status=status,
        errors=filters.all_errors,
        statuses=MATCH_STATUSES,
        counts=match_status_counts(session, gov.id or 0),
    ), filters.http_status


def _render_match(
    row: MatchRow,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    failed: str | None = None,
    status: int = 200,
) -> Any:
    session = get_session()
    _with_insight([row])
    totals = contract_totals(session, [row.contract])[row.contract.id or 0]
    recognition = (
        recognition_for(session, row.contract.government_id, row.supplier.id or 0) if row.supplier else None
    )
    minutes = _undo_minutes()
    undo_until = (
        approvals.undo_until(row.match, minutes)
        if approvals.undoable(session, me(), row.match, minutes)
        else None
    )
    return render_template(
        "officer/match.html",
        row=row,
        undo_until=undo_until,
        history=match_history(session, row.match.id or 0),
        revisions=revisions.revisions_of(session, [row.match.id or 0]).get(row.match.id or 0, []),
        recognition=recognition,
        totals=totals,
        errors=errors or {},
        values=values or {},
        failed=failed,
    ), status


@bp.route("/matches/<int:match_id>")
@access(*OFFICER_SIDE)
def match(match_id: int):  # type: ignore[no-untyped-def]
    return _render_match(_own_match(match_id))


def _undo_minutes() -> int:
    return int(current_app.config.get("APPROVAL_UNDO_MINUTES", approvals.UNDO_MINUTES))


OUT_OF_DATE = _l("This page is out of date: it does not say which pledge you saw. Open the pledge again.")


def _decide(match_id: int, decision: str) -> Any:
    """One decision on one match: the form, then (to approve) the confirmation, then the shared decide path."""
    from ..recommendations import explain_match

    row = _own_match(match_id)
    form = DecisionForm()
    if not form.validate():
        if form.page_out_of_date:
            form.form_errors.append(str(OUT_OF_DATE))
        return _render_match(row, errors=form.all_errors, values=form.values(), failed=decision, status=400)
    outcome = DECISIONS[decision]
    data = DecisionInput(
        match_id=match_id,
        outcome=outcome,
        reason=form.reason.data or "",
        agreed_value_cents=form.agreed_value.data,
        seen_version=form.version.data,
        seen_value_cents=form.seen_value.data,
    )
    try:
        if outcome == Outcome.APPROVED and form.confirmed.data != "yes":
            # Everything is checked, nothing is stored: the officer sees what approving means, then confirms.
            checked = approvals.check_decision(get_session(), actor=me(), decision=data)
            return _render_confirmation(row, form, checked)
        approvals.decide(get_session(), actor=me(), explain=explain_match, decision=data)
    except Conflict as exc:  # someone else decided first, the company changed it, or it was cancelled
        flash(error_text(exc), "warning")
        return redirect(url_for("officer.match", match_id=match_id))
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc)
        return _render_match(row, errors=form.all_errors, values=form.values(), failed=decision, status=400)
    if outcome == Outcome.APPROVED:
        until = approvals.undo_until(row.match, _undo_minutes())
        message = gettext(
            "Approved: %(value)s now counts for %(contract)s.",
            value=formatting.money(row.match.value_cents),
            contract=row.contract.reference,
        )
        if until is not None:
            message += " " + gettext(
                "You can undo this until %(time)s, on the pledge's page or above the queue.",
                time=formatting.clock(until),
            )
    elif outcome == Outcome.REJECTED:
        message = gettext("Rejected. The company sees your reason.")
    else:
        message = gettext("Sent back to the company with your request.")
    flash(message, "info")
    return redirect(url_for("officer.queue"))


def _render_confirmation(row: MatchRow, form: DecisionForm, checked: approvals.Checked) -> Any:
    """The page between the approve button and the approval: the value, unit, quantity and who, once more."""
    session = get_session()
    totals = contract_totals(session, [row.contract])[row.contract.id or 0]
    return render_template(
        "officer/approve_confirm.html",
        row=row,
        form=form,
        value_cents=checked.value_cents,
        agreed=form.agreed_value.data is not None and "value_cents" in checked.changes,
        totals=totals,
        undo_minutes=_undo_minutes(),
    )


@bp.route("/matches/<int:match_id>/undo", methods=["POST"])
@access(*OFFICER_SIDE)
def undo(match_id: int):  # type: ignore[no-untyped-def]
    """Take an approval back within APPROVAL_UNDO_MINUTES: the pledge is proposed again."""
    _own_match(match_id)
    form = UndoForm()
    if not form.validate():
        flash(str(OUT_OF_DATE), "error")
        return redirect(url_for("officer.match", match_id=match_id))
    try:
        approvals.withdraw_approval(
            get_session(),
            actor=me(),
            match_id=match_id,
            seen_version=form.version.data,
            minutes=_undo_minutes(),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "warning")
        return redirect(url_for("officer.match", match_id=match_id))
    flash(gettext("Approval undone: the pledge waits for your decision again."), "info")
    return redirect(url_for("officer.match", match_id=match_id))


@bp.route("/matches/<int:match_id>/approve", methods=["POST"])
@access(*OFFICER_SIDE)
def approve(match_id: int):  # type: ignore[no-untyped-def]
    return _decide(match_id, "approve")


@bp.route("/matches/<int:match_id>/reject", methods=["POST"])
@access(*OFFICER_SIDE)
def reject(match_id: int):  # type: ignore[no-untyped-def]
    return _decide(match_id, "reject")


@bp.route("/matches/<int:match_id>/changes", methods=["POST"])
@access(*OFFICER_SIDE)
def changes(match_id: int):  # type: ignore[no-untyped-def]
    return _decide(match_id, "changes")


# --- contracts -------------------------------------------------------------------------------------------


@bp.route("/contracts")
@access(*OFFICER_SIDE)
def contracts():  # type: ignore[no-untyped-def]
    gov = _government()
    return render_template(
        "officer/contracts.html",
        government=gov,
        page=contracts_for_government(get_session(), gov.id or 0, page=page_arg()),
    )


@bp.route("/contracts/<int:contract_id>")
@access(*OFFICER_SIDE)
def contract(contract_id: int):  # type: ignore[no-untyped-def]
    return _render_contract(_own_contract(contract_id))


def _render_contract(
    c: Contract, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    session = get_session()
    matches = matches_for_contract(session, c.id or 0)
    plans, plan_initiatives = smart_plans_of(session, c.id or 0)
    return render_template(
        "officer/contract.html",
        **lifecycle_context(c),
        row=contract_rows(session, [c])[0],
        matches=matches,
        policy=policy_of(c),
        routes_used=routes_used(matches),
        smart_plans=plans,
        plan_initiatives=plan_initiatives,
        table=session.get(ValuationTable, c.table_id),
        blocks=blocks_of(session, c.table_id),
        values=values or {},
        errors=errors or {},
    ), status


@bp.route("/contracts/<int:contract_id>/complete", methods=["POST"])
@access("officer")
def complete_contract(contract_id: int):  # type: ignore[no-untyped-def]
    """Give an incomplete contract what its frozen policy needs (the labour component)."""
    c = _own_contract(contract_id)
    form = CompletionForm()
    if not form.validate():
        return _render_contract(c, form.values(), form.all_errors, 400)
    try:
        contracts_service.complete_contract(
            get_session(),
            actor=me(),
            data=contracts_service.CompletionInput(
                contract_id=c.id or 0,
                labour_component_cents=form.labour_component.data,
                seen_version=form.version.data,
            ),
        )
    except Conflict as exc:
        flash(error_text(exc), "warning")
        return redirect(url_for("officer.contract", contract_id=c.id))
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc, {"labour_component_cents": "labour_component"})
        return _render_contract(c, form.values(), form.all_errors, 400)
    flash(
        gettext(
            "Contract %(reference)s completed: its obligation can be computed now.", reference=c.reference
        ),
        "info",
    )
    return redirect(url_for("officer.contract", contract_id=c.id))


@bp.route("/smart-plans/<int:plan_id>/decide", methods=["POST"])
@access(*OFFICER_SIDE)
def decide_smart_plan(plan_id: int):  # type: ignore[no-untyped-def]
    form = PlanDecisionForm()
    plan = get_session().get(SmartPlan, plan_id)
    if plan is None:
        abort(404)
    _own_contract(plan.contract_id)
    if not form.validate() or form.decision.data not in ("approve", "changes"):
        flash(" ".join(form.all_errors.values()) or gettext("Choose one of the options."), "error")
        return redirect(url_for("officer.contract", contract_id=plan.contract_id, _anchor="smart-plans"))
    try:
        smart_plans.decide_smart_plan(
            get_session(),
            actor=me(),
            plan_id=plan_id,
            approve=form.decision.data == "approve",
            reason=form.reason.data or "",
            seen_version=form.version.data,
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "warning" if exc.status == 409 else "error")
    else:
        flash(
            gettext("SMART plan approved: the company can pledge its contribution.")
            if form.decision.data == "approve"
            else gettext("SMART plan sent back to the company."),
            "info",
        )
    return redirect(url_for("officer.contract", contract_id=plan.contract_id, _anchor="smart-plans"))


@bp.route("/suppliers/<int:recognition_id>/decide", methods=["POST"])
@access(*OFFICER_SIDE)
def decide_supplier(recognition_id: int):  # type: ignore[no-untyped-def]
    form = PlanDecisionForm()
    recognition = get_session().get(SupplierRecognition, recognition_id)
    if recognition is None or recognition.government_id != acting_government_id():
        abort(404)
    target = back_within("officer.queue", fallback="officer.suppliers")
    if not form.validate() or form.decision.data not in ("approve", "changes"):
        flash(" ".join(form.all_errors.values()) or gettext("Choose one of the options."), "error")
        return redirect(target)
    try:
        row = suppliers_service.decide_recognition(
            get_session(),
            actor=me(),
            recognition_id=recognition_id,
            recognise=form.decision.data == "approve",
            note=form.reason.data or "",
            seen_version=form.version.data,
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
        return redirect(target)
    flash(
        gettext("Supplier recognised: purchases from it can count.")
        if row.status == "recognised"
        else gettext("Supplier not recognised; the company sees your reason."),
        "info",
    )
    return redirect(target)


class SupplierListForm(Form):
    """A social firm or SW-bedrijf the officer puts on the government's own list of recognised suppliers."""

    kvk = StringField(validators=[required(), max_length(20)])
    name = StringField(validators=[required(), max_length(200)])
    kind = ChoiceField(codes=SELLER_KINDS, validators=[required()])
    city = StringField(validators=[max_length(100)])
    basis = ChoiceField(codes=RECOGNITION_BASES, validators=[required()])
    evidence = TextAreaField(validators=[max_length(2000)])

    def validate_kvk(self, field: Any) -> None:
        if field.data and not suppliers_service.KVK_RE.match(field.data.replace(" ", "").strip()):
            raise ValidationError(str(_l("A KvK number has 8 digits.")))


@bp.route("/suppliers", methods=["GET", "POST"])
@access(*OFFICER_SIDE)
def suppliers():  # type: ignore[no-untyped-def]
    gov = _government()
    form = SupplierListForm()

    def render(status: int = 200) -> Any:
        return render_template(
            "officer/suppliers.html",
            government=gov,
            rows=supplier_recognitions(get_session(), gov.id or 0),
            values=form.values(),
            errors=form.all_errors,
            kinds=options(SELLER_KINDS, i18n.INITIATIVE_KINDS),
            bases=options(RECOGNITION_BASES, i18n.RECOGNITION_BASES),
        ), status

    if request.method == "GET":
        return render()
    if not form.validate():
        return render(400)
    try:
        row = suppliers_service.add_to_list(
            get_session(),
            actor=me(),
            government_id=gov.id or 0,
            data=suppliers_service.SupplierInput(
                kvk=form.kvk.data or "",
                name=form.name.data or "",
                kind=form.kind.data or "",
                basis=form.basis.data or "",
                evidence=form.evidence.data or "",
                city=form.city.data or "",
            ),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc)
        return render(400)
    flash(gettext("Supplier recognised: purchases from it can count."), "info")
    return redirect(url_for("officer.suppliers", _anchor=f"recognition-{row.id}"))


@bp.route("/revisions/<int:revision_id>/decide", methods=["POST"])
@access(*OFFICER_SIDE)
def decide_revision(revision_id: int):  # type: ignore[no-untyped-def]
    form = PlanDecisionForm()
    revision = get_session().get(Revision, revision_id)
    if revision is None:
        abort(404)
    _own_match(revision.match_id)
    if not form.validate() or form.decision.data not in ("approve", "changes"):
        flash(" ".join(form.all_errors.values()) or gettext("Choose one of the options."), "error")
        return redirect(url_for("officer.match", match_id=revision.match_id, _anchor="revisions"))
    try:
        revisions.decide_revision(
            get_session(),
            actor=me(),
            revision_id=revision_id,
            approve=form.decision.data == "approve",
            reason=form.reason.data or "",
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
    else:
        flash(
            gettext("Revision approved: the contribution counts at its new value from now on.")
            if form.decision.data == "approve"
            else gettext("Revision rejected."),
            "info",
        )
    return redirect(url_for("officer.match", match_id=revision.match_id, _anchor="revisions"))


@bp.route("/matches/<int:match_id>/revise", methods=["POST"])
@access(*OFFICER_SIDE)
def revise(match_id: int):  # type: ignore[no-untyped-def]
    """The officer proposes a revision too (the company ended a placement and did not say)."""
    from .company import _propose_revision

    return _propose_revision(_own_match(match_id), "officer.match")


def _render_contract_form(form: ContractForm, status: int = 200) -> Any:
    companies = [(c.id, f"{c.name} (KvK {c.kvk})") for c in companies_by_name(get_session())]
    return render_template(
        "officer/contract_form.html",
        government=_government(),
        companies=companies,
        values=form.values(),
        errors=form.all_errors,
    ), status


@bp.route("/contracts/new", methods=["GET", "POST"])
@access("officer")
def new_contract():  # type: ignore[no-untyped-def]
    gov = _government()
    form = ContractForm()
    if request.method == "GET":
        return _render_contract_form(form)
    if not form.validate():
        return _render_contract_form(form, 400)
    try:
        c = register_contract(
            get_session(),
            actor=me(),
            government=gov,
            data=ContractInput(
                reference=form.reference.data or "",
                title=form.title.data or "",
                sum_cents=form.sum.data,
                award_date=form.award_date.data,
                end_date=form.end_date.data,
                company_id=form.company_id.data,
                labour_component_cents=form.labour_component.data,
            ),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc, {"sum_cents": "sum", "labour_component_cents": "labour_component"})
        return _render_contract_form(form, 400)
    flash(gettext("Contract %(reference)s registered.", reference=c.reference), "info")
    return redirect(url_for("officer.contract", contract_id=c.id))


# --- eligibility -----------------------------------------------------------------------------------------


@bp.route("/eligibility")
@access(*OFFICER_SIDE)
def eligibility():  # type: ignore[no-untyped-def]
    session = get_session()
    gov = _government()
    filters = EligibilityFilter()
    args = filters.args()
    page = initiatives_for_eligibility(
        session,
        gov.id or 0,
        q=args.get("q", ""),
        municipality=args.get("municipality", ""),
        status=args.get("status", ""),
        page=page_arg(),
    )
    return render_template(
        "officer/eligibility.html",
        government=gov,
        page=page,
        args=args,
        values=filters.values(),
        errors=filters.all_errors,
        municipalities=municipalities(session),
        counts=eligibility_counts(session, gov.id or 0),
        back=request.full_path,
    ), filters.http_status


@bp.route("/eligibility/<int:initiative_id>", methods=["POST"])
@access(*OFFICER_SIDE)
def set_eligibility(initiative_id: int):  # type: ignore[no-untyped-def]
    form = EligibilityForm()
    target = back_within("officer.eligibility")
    if not form.validate() or form.eligible.data not in ("0", "1"):
        if form.eligible.data not in ("0", "1"):
            abort(400)
        flash(" ".join(form.all_errors.values()), "error")
        return redirect(target)
    try:
        row = eligibility_service.set_eligibility(
            get_session(),
            actor=me(),
            initiative_id=initiative_id,
            eligible=form.eligible.data == "1",
            note=form.note.data or "",
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
        return redirect(target)
    ini = get_session().get(Initiative, row.initiative_id)
    name = ini.name if ini else ""
    if row.active:
        flash(gettext("%(name)s now counts for your contracts.", name=name), "info")
    else:
        flash(gettext("%(name)s no longer counts for new pledges.", name=name), "info")
    return redirect(target)
