"""Company pages: contracts with their obligation and progress, pledging, answering change requests."""

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlmodel import col, select

from marketplace.i18n import gettext, ngettext

from .. import formatting
from ..authz import access
from ..boundary import parse_int
from ..counting import policy_of
from ..models import (
    OPEN_STATUSES,
    SELLER_KINDS,
    Contract,
    ContractStatus,
    Government,
    Initiative,
    Match,
    Need,
    NeedStatus,
    SmartPlan,
    ValuationTable,
)
from ..models._base import utcnow
from ..queries import (
    approved_smart_plans,
    blocks_of,
    contract_rows,
    contracts_for_company,
    eligible_initiative_ids,
    match_for_user,
    match_history,
    matches_for_contract,
    open_capacities,
    placements_of,
    routes_used,
    smart_plans_of,
)
from ..queries_pledge import pledge_contracts
from ..services import certificates, deliveries, pledges, revisions, smart_plans
from ..services.errors import Conflict, ServiceError
from ..services.pledges import PERSON_UNITS
from ..themes import THEME_CODES
from ._helpers import (
    abort,
    error_text,
    get_session,
    lifecycle_context,
    me,
    new_submission_key,
)
from .company_forms import (
    PLEDGE_FIELDS,
    CertificateForm,
    NoteForm,
    PlanForm,
    PledgeForm,
    PledgeLinkForm,
    RevisionForm,
    SmartPlanForm,
    SmartPlanLinkForm,
    plan_summary,
)
from .filter_forms import RecommendationFilter

bp = Blueprint("company", __name__, url_prefix="/company")

MONEY_UNITS = ("euro_spent", "by_agreement")


def _own_contract(contract_id: int) -> Contract:
    contract = get_session().get(Contract, contract_id)
    if contract is None or contract.company_id != me().company_id:
        abort(404)
    return contract


@bp.route("/")
@access("company")
def dashboard():  # type: ignore[no-untyped-def]
    rows = contracts_for_company(get_session(), me().company_id or 0)
    return render_template("company/dashboard.html", rows=rows)


@bp.route("/contracts/<int:contract_id>")
@access("company")
def contract(contract_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    c = _own_contract(contract_id)
    row = contract_rows(session, [c])[0]
    table = session.get(ValuationTable, c.table_id)
    narrow = RecommendationFilter()
    q, filters = narrow.recommend_args()
    recs, recs_error = None, False
    if row.totals.remaining_cents > 0 or (row.totals.small_contract and not row.totals.activities_committed):
        from ..recommendations import recommend

        try:
            recs = recommend(session, c, text=q, filters=filters, limit=10, totals=row.totals)
        except Exception:  # recommendations help; they never break the contract page
            current_app.logger.exception("recommendations failed for contract %s", c.id)
            recs_error = True
    matches = matches_for_contract(session, c.id or 0)
    plans, plan_initiatives = smart_plans_of(session, c.id or 0)
    return render_template(
        "company/contract.html",
        **lifecycle_context(c, row.totals),
        row=row,
        matches=matches,
        policy=policy_of(c),
        routes_used=routes_used(matches),
        open_for_pledges=c.status in OPEN_STATUSES
        and (c.end_date >= utcnow().date() or c.status == ContractStatus.RECOVERY),
        smart_plans=plans,
        plan_initiatives=plan_initiatives,
        table=table,
        blocks=blocks_of(session, c.table_id),
        recs=recs,
        recs_error=recs_error,
        narrow_values=narrow.values(),
        narrow_errors=narrow.all_errors,
        theme_options=[(code, formatting.label("THEMES", code)) for code in THEME_CODES],
        new_key=new_submission_key,
    ), narrow.http_status


def _units(c: Contract) -> dict[str, str]:
    return {b.code: b.unit for b in blocks_of(get_session(), c.table_id)}


def _pledge_form(c: Contract) -> PledgeForm:
    return PledgeForm(units=_units(c))


def _refused(form: PledgeForm, exc: ServiceError) -> dict[str, str]:
    form.add_service_error(exc, PLEDGE_FIELDS)
    return form.all_errors


def _targets(c: Contract) -> dict[str, Any]:
    """Open needs and social firms that count for the contract's government, for the pledge form."""
    session = get_session()
    eligible = eligible_initiative_ids(session, c.government_id)
    inits = (
        {
            i.id: i
            for i in session.exec(
                select(Initiative).where(col(Initiative.id).in_(eligible)).order_by(Initiative.name)
            ).all()
        }
        if eligible
        else {}
    )
    needs = (
        session.exec(
            select(Need)
            .where(col(Need.initiative_id).in_(list(inits)), Need.status == NeedStatus.OPEN)
            .order_by(col(Need.initiative_id), col(Need.id))
        ).all()
        if inits
        else []
    )
    caps = open_capacities(session, needs)
    need_options = [(n, inits[n.initiative_id], caps[n.id or 0]) for n in needs if caps[n.id or 0] > 0]
    firms = [i for i in inits.values() if i.kind in SELLER_KINDS]
    return {
        "need_options": need_options,
        "firms": firms,
        "certificates": certificates.certificates_of(session, c.company_id),
        "smart_plans": approved_smart_plans(session, c.id or 0),
        "policy": policy_of(c),
    }


def _render_pledge_form(
    c: Contract, values: dict[str, Any], errors: dict[str, str], status: int = 200, match: Any = None
) -> Any:
    session = get_session()
    blocks = blocks_of(session, c.table_id)
    return render_template(
        "company/pledge.html",
        contract=c,
        government=session.get(Government, c.government_id),
        table=session.get(ValuationTable, c.table_id),
        blocks=[b for b in blocks if b.unit != "bonus" and b.unit not in PERSON_UNITS],
        person_blocks=[b for b in blocks if b.unit in PERSON_UNITS],
        values=values,
        errors=errors,
        match=match,
        compatible={u: sorted(units) for u, units in pledges.COMPATIBLE_UNITS.items()},
        **_targets(c),
    ), status


@bp.route("/contracts/<int:contract_id>/pledge", methods=["GET", "POST"])
@access("company")
def pledge(contract_id: int):  # type: ignore[no-untyped-def]
    c = _own_contract(contract_id)
    if request.method == "GET":
        values: dict[str, Any] = {
            "submission_key": new_submission_key(),
            "hours_per_week": 36,
            "months": 12,
            "quantity": 1,
            **PledgeLinkForm.from_args().prefill(),
        }
        return _render_pledge_form(c, values, {})
    form = _pledge_form(c)
    if not form.validate():
        return _render_pledge_form(c, form.shown(), form.all_errors, 400)
    key = (form.submission_key.data or "")[:64] or None
    try:
        match = pledges.create_pledge(
            get_session(), actor=me(), req=form.request(c.id or 0, submission_key=key)
        )
    except Conflict as exc:
        # A double submit: the first one went through; show it instead of an error.
        flash(error_text(exc), "warning")
        return redirect(_first_pledge(c, exc))
    except ServiceError as exc:
        return _render_pledge_form(c, form.shown(), _refused(form, exc), 400)
    government = get_session().get(Government, c.government_id)
    flash(
        gettext(
            "Pledge of %(value)s submitted. The officer of %(government)s will review it.",
            value=formatting.money(match.value_cents),
            government=government.name if government else "",
        ),
        "info",
    )
    return redirect(url_for("company.contract", contract_id=c.id))


def _first_pledge(c: Contract, exc: Conflict) -> str:
    """Where a double submit lands: the pledge that went through, when it is this contract's."""
    first = get_session().get(Match, parse_int(exc.params.get("match_id"), low=1) or 0)
    if first is not None and first.contract_id == c.id:
        return url_for("company.match", match_id=first.id)
    return url_for("company.contract", contract_id=c.id)


@bp.route("/contracts/<int:contract_id>/pledge/preview", methods=["POST"])
@access("company")
def pledge_preview(contract_id: int):  # type: ignore[no-untyped-def]
    """The live valuation preview: the same checks and figures as submitting, without storing."""
    c = _own_contract(contract_id)
    form = _pledge_form(c)
    if not form.validate():
        field, messages = next(iter(form.all_errors.items()))
        return jsonify({"ok": False, "field": field, "message": messages}), 422
    try:
        out = pledges.preview(get_session(), actor=me(), req=form.request(c.id or 0, submission_key=None))
    except ServiceError as exc:
        return jsonify(
            {"ok": False, "field": PLEDGE_FIELDS.get(exc.field or "", exc.field), "message": error_text(exc)}
        ), 422
    lines = [
        {"text": formatting.breakdown_line(line), "value": formatting.money(line["value_cents"])}
        for line in out["lines"]
    ]
    body = {
        "ok": True,
        "value_cents": out["value_cents"],
        "value": formatting.money(out["value_cents"]),
        "lines": lines,
        "total_label": gettext("Value"),
        "table": gettext(
            "Valuation table: %(name)s, version %(version)s",
            name=out["table"]["name"],
            version=out["table"]["version"],
        ),
    }
    if out.get("warning") == "above_capacity":
        body["warning"] = gettext(
            "Only %(open)s is still open on this need.",
            open=formatting.quantity(out["need"]["open"], out["need"]["unit"]),
        )
    return jsonify(body)


@bp.route("/contracts/<int:contract_id>/pledge/review", methods=["POST"])
@access("company")
def pledge_review(contract_id: int):  # type: ignore[no-untyped-def]
    """A recommendation's pledge, valued and shown in full before it is made: confirm, or change it.

    A POST, like the pledge itself: the same CSRF-checked form, and its fields stay out of URLs and logs.
    Nothing is stored; the confirm form carries the fields and the submission key on to `pledge`.
    """
    c = _own_contract(contract_id)
    form = _pledge_form(c)
    if not form.validate():
        return _render_pledge_form(c, _keyed(form.shown()), form.all_errors, 400)
    req = form.request(c.id or 0, submission_key=None)
    try:
        out = pledges.preview(get_session(), actor=me(), req=req)
    except ServiceError as exc:
        return _render_pledge_form(c, _keyed(form.shown()), _refused(form, exc), 400)
    session = get_session()
    need = session.get(Need, req.need_id) if req.need_id else None
    initiative = session.get(Initiative, need.initiative_id if need else req.initiative_id or 0)
    block = next((b for b in blocks_of(session, c.table_id) if b.code == req.block_code), None)
    return render_template(
        "company/pledge_review.html",
        contract=c,
        government=session.get(Government, c.government_id),
        need=need,
        initiative=initiative,
        block=block,
        req=req,
        preview=out,
        carried=form.carried(),
        submission_key=(form.submission_key.data or "")[:64] or new_submission_key(),
        change_args=form.link_args(),
    )


def _keyed(values: dict[str, Any]) -> dict[str, Any]:
    """Form values with a submission key, so the full form shown after a refusal guards its own submit."""
    if not values.get("submission_key"):
        values["submission_key"] = new_submission_key()
    return values


@bp.route("/pledge")
@access("company")
def choose_contract():  # type: ignore[no-untyped-def]
    """Pledge from the catalogue: which of the company's running contracts this initiative counts for."""
    session = get_session()
    link = PledgeLinkForm.from_args()
    need, initiative = None, None
    if link.valid("need"):
        need = session.get(Need, link.valid("need"))
        if need is None or need.status != NeedStatus.OPEN:
            abort(404)
    if link.target:  # without one (or with a mangled one) the page lists the contracts that take pledges
        initiative = session.get(Initiative, need.initiative_id if need else link.valid("initiative"))
        if initiative is None or not initiative.published:
            abort(404)
        if need is None and initiative.kind not in SELLER_KINDS:
            # An initiative takes pledges through its needs; its page gives each need its own Pledge button.
            return redirect(url_for("public.initiative", slug=initiative.slug, _anchor="needs"))
    choice = pledge_contracts(
        session, me().company_id or 0, initiative.id if initiative else None, utcnow().date()
    )
    return render_template(
        "company/choose_contract.html",
        need=need,
        open=open_capacities(session, [need])[need.id or 0] if need else None,
        initiative=initiative,
        choice=choice,
    )


@bp.route("/matches/<int:match_id>")
@access("company")
def match(match_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    row = match_for_user(session, me(), match_id)
    if row is None:
        abort(404)
    return render_template(
        "company/match.html",
        row=row,
        history=match_history(session, match_id),
        revisions=revisions.revisions_of(session, [match_id]).get(match_id, []),
    )


@bp.route("/matches/<int:match_id>/cancel", methods=["POST"])
@access("company")
def cancel(match_id: int):  # type: ignore[no-untyped-def]
    try:
        form = NoteForm()
        if not form.validate():
            flash(" ".join(form.all_errors.values()), "error")
            return redirect(url_for("company.match", match_id=match_id))
        m = pledges.cancel_pledge(get_session(), actor=me(), match_id=match_id, reason=form.reason.data or "")
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
        return redirect(url_for("company.match", match_id=match_id))
    flash(gettext("Pledge cancelled."), "info")
    return redirect(url_for("company.contract", contract_id=m.contract_id))


@bp.route("/matches/<int:match_id>/resubmit", methods=["GET", "POST"])
@access("company")
def resubmit(match_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    row = match_for_user(session, me(), match_id)
    if row is None:
        abort(404)
    m = row.match
    if request.method == "GET":
        values: dict[str, Any] = {
            "block": row.block.code,
            "quantity": m.quantity,
            "hours_per_week": m.hours_per_week or 36,
            "months": m.months or 12,
            "weeks": m.weeks,
            "bonuses": m.bonus_codes,
            "note": m.note,
            "target": f"need:{m.need_id}"
            if m.need_id
            else (f"initiative:{m.initiative_id}" if m.initiative_id else ""),
        }
        if row.block.unit in MONEY_UNITS:
            values["amount"] = f"{m.quantity / 100:.2f}"
        return _render_pledge_form(row.contract, values, {}, match=m)
    form = _pledge_form(row.contract)
    if not form.validate():
        return _render_pledge_form(row.contract, form.shown(), form.all_errors, 400, match=m)
    try:
        pledges.resubmit_pledge(
            session, actor=me(), match_id=match_id, req=form.request(m.contract_id, submission_key=None)
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        return _render_pledge_form(row.contract, form.shown(), _refused(form, exc), 400, match=m)
    flash(gettext("Pledge changed and sent back to the officer."), "info")
    return redirect(url_for("company.match", match_id=match_id))


@bp.route("/matches/<int:match_id>/deliver", methods=["POST"])
@access("company")
def deliver(match_id: int):  # type: ignore[no-untyped-def]
    """Hiring and other routes without an initiative: the company confirms the realisation."""
    try:
        form = NoteForm()
        if not form.validate():
            flash(" ".join(form.all_errors.values()), "error")
            return redirect(url_for("company.match", match_id=match_id))
        deliveries.confirm_delivery(get_session(), actor=me(), match_id=match_id, note=form.note.data or "")
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
    else:
        flash(gettext("Marked as delivered."), "info")
    return redirect(url_for("company.match", match_id=match_id))


@bp.route("/contracts/<int:contract_id>/plan", methods=["GET", "POST"])
@access("company")
def plan(contract_id: int):  # type: ignore[no-untyped-def]
    """Propose a set of pledges that covers the remaining obligation; the company edits and submits it."""
    session = get_session()
    c = _own_contract(contract_id)
    form = PlanForm()
    submitted = request.method == "POST"
    if submitted and form.validate():
        try:
            created = pledges.create_plan(
                session, actor=me(), contract_id=c.id or 0, items=[r.as_request() for r in form.ticked()]
            )
        except ServiceError as exc:
            if not form.row_error(exc):
                item = exc.params.get("item")
                form.form_errors.append(
                    gettext("Pledge %(n)s of the plan: %(message)s", n=item, message=error_text(exc))
                    if item
                    else error_text(exc)
                )
        else:
            flash(
                ngettext(
                    "%(num)s pledge submitted for %(value)s.",
                    "%(num)s pledges submitted for %(value)s.",
                    len(created),
                    value=formatting.money(sum(m.value_cents for m in created)),
                ),
                "info",
            )
            return redirect(url_for("company.contract", contract_id=c.id))
    from ..recommendations import plan_for

    row = contract_rows(session, [c])[0]
    result, recs = plan_for(session, c)
    by_id = {s.rec.candidate.id: s for s in recs.suggestions}
    items = [(item, by_id[item.candidate_id]) for item in result.items if item.candidate_id in by_id]
    errors = form.flat_errors() if submitted else {}
    return render_template(
        "company/plan.html",
        row=row,
        plan=result,
        items=items,
        recs=recs,
        submitted=submitted,
        values=form.flat_values() if submitted else {},
        errors=errors,
        summary=plan_summary(errors),
    ), (400 if errors else 200)


# --- placements: the register of placed people ----------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/placements")
@access("company")
def placements(contract_id: int):  # type: ignore[no-untyped-def]
    c = _own_contract(contract_id)
    return render_template(
        "company/placements.html", contract=c, rows=placements_of(get_session(), c.id or 0)
    )


def _render_placement_form(
    c: Contract, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Any:
    session = get_session()
    blocks = blocks_of(session, c.table_id)
    targets = _targets(c)
    return render_template(
        "company/placement.html",
        contract=c,
        government=session.get(Government, c.government_id),
        table=session.get(ValuationTable, c.table_id),
        person_blocks=[b for b in blocks if b.unit in PERSON_UNITS],
        bonuses=[b for b in blocks if b.unit == "bonus"],
        values=values,
        errors=errors,
        need_options=[row for row in targets["need_options"] if row[0].unit == "places"],
    ), status


@bp.route("/contracts/<int:contract_id>/placement", methods=["GET", "POST"])
@access("company")
def placement(contract_id: int):  # type: ignore[no-untyped-def]
    """Register one placed person: valued from the dates and hours, bonuses from the person's facts."""
    c = _own_contract(contract_id)
    if request.method == "GET":
        values: dict[str, Any] = {
            "submission_key": new_submission_key(),
            "hours_per_week": 36,
            "employment": "temporary",
            "age_band": "under_50",
            "start_date": max(c.award_date, utcnow().date()).isoformat(),
        }
        link = PledgeLinkForm.from_args()
        if link.valid("need"):
            values["target"] = f"need:{link.valid('need')}"
        if link.valid("block"):
            values["block"] = link.valid("block").strip()
        return _render_placement_form(c, values, {})
    form = _pledge_form(c)
    if not form.validate():
        return _render_placement_form(c, form.shown(), form.all_errors, 400)
    key = (form.submission_key.data or "")[:64] or None
    try:
        match = pledges.create_pledge(
            get_session(), actor=me(), req=form.request(c.id or 0, submission_key=key)
        )
    except Conflict as exc:
        flash(error_text(exc), "warning")
        return redirect(url_for("company.contract", contract_id=c.id))
    except ServiceError as exc:
        return _render_placement_form(c, form.shown(), _refused(form, exc), 400)
    flash(
        gettext(
            "Placement registered, valued at %(value)s. The officer will review it.",
            value=formatting.money(match.value_cents),
        ),
        "info",
    )
    return redirect(url_for("company.placements", contract_id=c.id))


# --- SMART plans ----------------------------------------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/smart-plan", methods=["GET", "POST"])
@access("company")
def smart_plan(contract_id: int):  # type: ignore[no-untyped-def]
    """Submit (or change) the SMART plan for a social-domain contribution to one initiative."""
    session = get_session()
    c = _own_contract(contract_id)
    existing = None
    link = SmartPlanLinkForm.from_args(request.values)
    plan_id = link.valid("plan")
    if plan_id is not None:
        existing = session.get(SmartPlan, plan_id)
        if existing is None or existing.contract_id != c.id:
            abort(404)
    eligible = eligible_initiative_ids(session, c.government_id)
    initiatives = (
        session.exec(
            select(Initiative).where(col(Initiative.id).in_(eligible)).order_by(col(Initiative.name))
        ).all()
        if eligible
        else []
    )
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "GET":
        if existing is not None:
            values = {
                name: getattr(existing, name) for name in ("goal", "target_group", "roots", "participants")
            }
            values["initiative_id"] = existing.initiative_id
        elif link.valid("initiative"):
            values["initiative_id"] = link.valid("initiative")
    else:
        form = SmartPlanForm()
        values = form.values()
        data = smart_plans.SmartPlanInput(
            contract_id=c.id or 0,
            initiative_id=form.initiative_id.data or 0,
            goal=form.goal.data or "",
            target_group=form.target_group.data or "",
            roots=form.roots.data or "",
            participants=form.participants.data or "",
        )
        try:
            if not form.validate():
                errors = form.all_errors
            elif existing is not None:
                smart_plans.resubmit_smart_plan(session, actor=me(), plan_id=existing.id or 0, data=data)
            else:
                smart_plans.submit_smart_plan(session, actor=me(), data=data)
        except ServiceError as exc:
            if exc.status == 404:
                abort(404)
            form.add_service_error(exc)
            errors = form.all_errors
        if not errors:
            flash(
                gettext(
                    "SMART plan sent to the officer of %(government)s.",
                    government=getattr(session.get(Government, c.government_id), "name", ""),
                ),
                "info",
            )
            return redirect(url_for("company.contract", contract_id=c.id, _anchor="smart-plans"))
    return render_template(
        "company/smart_plan.html",
        contract=c,
        plan=existing,
        initiative_options=[(i.id, i.name) for i in initiatives],
        values=values,
        errors=errors,
    ), (400 if errors else 200)


# --- PSO certificates -------------------------------------------------------------------------------------


@bp.route("/certificates", methods=["GET", "POST"])
@access("company")
def certificates_page():  # type: ignore[no-untyped-def]
    session = get_session()
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = CertificateForm()
        values = form.values()
        try:
            if form.validate():
                certificates.add_certificate(
                    session,
                    actor=me(),
                    data=certificates.CertificateInput(
                        level=form.level.data or "",
                        issued_on=form.issued_on.data,
                        valid_until=form.valid_until.data,
                        number=form.number.data or "",
                    ),
                )
        except ServiceError as exc:
            form.add_service_error(exc)
        errors = form.all_errors
        if not errors:
            flash(gettext("Certificate saved."), "info")
            return redirect(url_for("company.certificates_page"))
    return render_template(
        "company/certificates.html",
        values=values,
        errors=errors,
        certificates=certificates.certificates_of(session, me().company_id or 0),
    ), (400 if errors else 200)


# --- revisions ------------------------------------------------------------------------------------------


@bp.route("/matches/<int:match_id>/revise", methods=["POST"])
@access("company")
def revise(match_id: int):  # type: ignore[no-untyped-def]
    """Propose a lower value for an approved contribution (ended early, invoiced lower, did not happen)."""
    row = match_for_user(get_session(), me(), match_id)
    if row is None:
        abort(404)
    return _propose_revision(row, "company.match")


def _propose_revision(row: Any, back: str) -> Any:
    form = RevisionForm()
    if not form.validate():
        flash(" ".join(form.all_errors.values()), "error")
        return redirect(url_for(back, match_id=row.match.id))
    quantity = form.new_amount.data if row.block.unit in MONEY_UNITS else form.new_quantity.data
    by_value = row.block.unit == "by_agreement" or row.block.at_most
    try:
        revisions.propose_revision(
            get_session(),
            actor=me(),
            data=revisions.RevisionInput(
                match_id=row.match.id or 0,
                kind=form.kind.data or "",
                reason=form.reason.data or "",
                new_end_date=form.new_end_date.data,
                new_quantity=None if by_value else quantity,
                new_value_cents=form.new_value.data if by_value else None,
            ),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
    else:
        flash(gettext("Revision sent to the officer."), "info")
    return redirect(url_for(back, match_id=row.match.id))
