"""Initiative pages: the dashboard, profile, handprint, needs, and the pledges made to the initiative."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from .. import formatting
from ..authz import access
from ..models import NEED_KINDS, UNITS_FOR_NEED_KIND, Initiative, Need
from ..queries import (
    MatchRow,
    handprint,
    match_for_user,
    match_history,
    needs_of,
    open_capacities,
    pledges_for_initiative,
)
from ..services import deliveries, initiatives, needs
from ..services.errors import ServiceError
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from ._helpers import abort, error_text, errors_of, euros_to_cents, form_values, get_session, me

bp = Blueprint("initiative", __name__, url_prefix="/initiative")

PROFILE_FIELDS = ("name", "summary", "description", "municipality", "neighbourhood", "lat", "lon", "life_phase",
                  "website", "target_groups")
NEED_FORM_FIELDS = ("kind", "title", "description", "themes", "quantity", "unit", "deadline")
# Pledges on the dashboard, grouped by where they are in their lifecycle.
PLEDGE_GROUPS = (
    ("proposed", ("proposed",)),
    ("changes_requested", ("changes_requested",)),
    ("approved", ("approved",)),
    ("delivered", ("delivered",)),
    ("closed", ("rejected", "cancelled")),
)
# A value no integer check accepts: the service then names the field, in its usual order of checks.
NOT_A_NUMBER = "not-a-number"


def _my_initiative() -> Initiative:
    initiative = get_session().get(Initiative, me().initiative_id or 0)
    if initiative is None:
        abort(404)
    return initiative


def _own_need(need_id: int) -> Need:
    need = get_session().get(Need, need_id)
    if need is None or need.initiative_id != me().initiative_id:
        abort(404)
    return need


def _euro_text(cents: int | None) -> str:
    """Cents as the plain euro amount an input field shows ('1250' or '1250.50')."""
    if cents is None:
        return ""
    return str(cents // 100) if cents % 100 == 0 else f"{cents / 100:.2f}"


# --- dashboard --------------------------------------------------------------------------------------------


@bp.route("/")
@access("initiative")
def dashboard():  # type: ignore[no-untyped-def]
    session = get_session()
    initiative = _my_initiative()
    rows = pledges_for_initiative(session, initiative.id or 0)
    groups = [(key, [r for r in rows if r.match.status in statuses]) for key, statuses in PLEDGE_GROUPS]
    sums = {key: sum(r.match.value_cents for r in items) for key, items in groups}
    scores = handprint(session, initiative.id or 0)
    return render_template(
        "initiative/dashboard.html", initiative=initiative, groups=groups, sums=sums,
        score_map={h.theme: h.score for h in scores}, scores=scores,
        needs=needs_of(session, initiative.id or 0, only_open=True))


# --- profile ----------------------------------------------------------------------------------------------


def _render_profile(initiative: Initiative, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template("initiative/profile.html", initiative=initiative, values=values, errors=errors), status


@bp.route("/profile", methods=["GET", "POST"])
@access("initiative")
def profile():  # type: ignore[no-untyped-def]
    initiative = _my_initiative()
    if request.method == "GET":
        values = {name: getattr(initiative, name) for name in PROFILE_FIELDS}
        return _render_profile(initiative, values, {})
    submitted = form_values()
    # Only the listed fields: the kind of organisation is not the initiative's own choice here.
    values = {name: submitted.get(name, [] if name == "target_groups" else "") for name in PROFILE_FIELDS}
    try:
        initiatives.update_profile(get_session(), actor=me(), data=values)
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        return _render_profile(initiative, values, errors_of(exc), 400)
    flash(gettext("Profile saved."), "info")
    return redirect(url_for("initiative.dashboard"))


# --- handprint --------------------------------------------------------------------------------------------

# Form field per theme and handprint key.
HANDPRINT_FIELDS = {"score": "score_%s", "yearly_value_cents": "value_%s", "indicator": "indicator_%s"}


def _handprint_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for theme in THEME_CODES:
        raw_value = str(values.get(f"value_{theme}", "")).strip()
        cents = euros_to_cents(raw_value) if raw_value else None
        rows.append({
            "theme": theme,
            "score": str(values.get(f"score_{theme}", "")).strip(),
            "yearly_value_cents": cents if cents is not None or not raw_value else NOT_A_NUMBER,
            "indicator": values.get(f"indicator_{theme}", ""),
        })
    return rows


def _handprint_error(exc: ServiceError, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Put the service's error next to the theme it is about (the service names only the column)."""
    key = exc.field or ""
    theme = next((r["theme"] for r in rows if _row_fails(r, key, exc.params)), None)
    if key not in HANDPRINT_FIELDS or theme is None:
        return {"_form": error_text(exc)}
    message = error_text(exc)
    if key == "yearly_value_cents":
        message = gettext("Enter an amount in euro, such as 2500 or 2.500,50.")
    return {HANDPRINT_FIELDS[key] % theme: message, "_form": gettext("Check the marked field.")}


def _row_fails(row: dict[str, Any], key: str, params: dict[str, Any]) -> bool:
    if key not in HANDPRINT_FIELDS:
        return False
    value = row.get(key)
    if key == "indicator":
        return len(str(value or "").strip()) > int(params.get("max", 300))
    if value in (None, ""):
        return False
    try:
        number = int(value)
    except (TypeError, ValueError):
        return True
    return "low" in params and not int(params["low"]) <= number <= int(params["high"])


@bp.route("/handprint", methods=["GET", "POST"])
@access("initiative")
def handprint_edit():  # type: ignore[no-untyped-def]
    session = get_session()
    initiative = _my_initiative()
    if request.method == "GET":
        values: dict[str, Any] = {}
        for h in handprint(session, initiative.id or 0):
            values[f"score_{h.theme}"] = h.score
            values[f"value_{h.theme}"] = _euro_text(h.yearly_value_cents)
            values[f"indicator_{h.theme}"] = h.indicator
        return _render_handprint(initiative, values, {})
    values = form_values()
    rows = _handprint_rows(values)
    unscored = next((r["theme"] for r in rows if r["score"] == "" and (
        str(r["indicator"]).strip() or str(values.get(f"value_{r['theme']}", "")).strip())), None)
    if unscored:
        # Without a score the theme is not served and the service drops the row: say so rather than lose it.
        return _render_handprint(initiative, values, {
            f"score_{unscored}": gettext("Give a score, or clear this row."),
            "_form": gettext("Check the marked field.")}, 400)
    try:
        initiatives.set_handprint(session, actor=me(), scores=rows)
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        return _render_handprint(initiative, values, _handprint_error(exc, rows), 400)
    flash(gettext("Handprint saved."), "info")
    return redirect(url_for("initiative.dashboard"))


def _render_handprint(initiative: Initiative, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    score_map = {}
    for theme in THEME_CODES:
        raw = str(values.get(f"score_{theme}", "")).strip()
        if raw.isdigit() and int(raw) <= 100:
            score_map[theme] = int(raw)
    return render_template("initiative/handprint.html", initiative=initiative, values=values, errors=errors,
                           score_map=score_map), status


# --- needs ------------------------------------------------------------------------------------------------


@bp.route("/needs")
@access("initiative")
def needs_list():  # type: ignore[no-untyped-def]
    initiative = _my_initiative()
    rows = needs_of(get_session(), initiative.id or 0)
    return render_template("initiative/needs.html", initiative=initiative,
                           open_rows=[r for r in rows if r[0].status == "open"],
                           closed_rows=[r for r in rows if r[0].status != "open"])


def _need_unit(values: dict[str, Any]) -> str | None:
    """The unit the quantity is meant in, when kind and unit fit together."""
    units = UNITS_FOR_NEED_KIND.get(str(values.get("kind", "")))
    if not units:
        return None
    unit = values.get("unit") or units[0]
    return str(unit) if unit in units else None


def need_data(values: dict[str, Any]) -> dict[str, Any]:
    """The need form as the service wants it: euro become cents, other quantities stay whole numbers."""
    data = {name: values.get(name, [] if name == "themes" else "") for name in NEED_FORM_FIELDS}
    raw = str(data["quantity"]).strip()
    if _need_unit(values) == "cents" and raw:
        cents = euros_to_cents(raw)
        data["quantity"] = cents if cents is not None else NOT_A_NUMBER
    else:
        data["quantity"] = raw
    return data


def _need_errors(exc: ServiceError, values: dict[str, Any]) -> dict[str, str]:
    """Service errors in the form's terms: amounts in euro, held quantities in their unit."""
    if exc.field != "quantity":
        return errors_of(exc)
    unit = _need_unit(values)
    if "held" in exc.params and unit:
        return {"quantity": gettext("Pledges already hold %(held)s; the quantity cannot be lower.",
                                    held=formatting.quantity(int(exc.params["held"]), unit))}
    if unit == "cents" and str(values.get("quantity", "")).strip():
        return {"quantity": gettext("Enter an amount in euro from %(low)s to %(high)s, such as 2500 or 2.500,50.",
                                    low=formatting.money(1), high=formatting.money(MAX_CENTS, whole=True))}
    return errors_of(exc)


def _render_need_form(values: dict[str, Any], errors: dict[str, str], need: Need | None = None,
                      status: int = 200) -> Any:
    held = None
    if need is not None:
        held = need.quantity - open_capacities(get_session(), [need])[need.id or 0]
    units_for_kind = {kind: list(UNITS_FOR_NEED_KIND[kind]) for kind in NEED_KINDS}
    return render_template("initiative/need_form.html", values=values, errors=errors, need=need, held=held,
                           units_for_kind=units_for_kind, need_kinds=NEED_KINDS), status


@bp.route("/needs/new", methods=["GET", "POST"])
@access("initiative")
def need_new():  # type: ignore[no-untyped-def]
    _my_initiative()
    if request.method == "GET":
        kind = request.args.get("kind", "")
        values: dict[str, Any] = {"kind": kind if kind in NEED_KINDS else "money", "themes": []}
        return _render_need_form(values, {})
    values = form_values()
    try:
        need = needs.create_need(get_session(), actor=me(), data=need_data(values))
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        return _render_need_form(values, _need_errors(exc, values), status=400)
    flash(gettext("Need “%(title)s” published.", title=need.title), "info")
    return redirect(url_for("initiative.needs_list"))


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@access("initiative")
def need_edit(need_id: int):  # type: ignore[no-untyped-def]
    need = _own_need(need_id)
    if request.method == "GET":
        values: dict[str, Any] = {
            "kind": need.kind, "title": need.title, "description": need.description, "themes": list(need.themes),
            "quantity": _euro_text(need.quantity) if need.unit == "cents" else need.quantity, "unit": need.unit,
            "deadline": need.deadline.isoformat() if need.deadline else "",
        }
        return _render_need_form(values, {}, need)
    values = form_values()
    try:
        needs.update_need(get_session(), actor=me(), need_id=need_id, data=need_data(values))
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        get_session().rollback()
        return _render_need_form(values, _need_errors(exc, values), need, status=400)
    flash(gettext("Need saved."), "info")
    return redirect(url_for("initiative.needs_list"))


@bp.route("/needs/<int:need_id>/status", methods=["POST"])
@access("initiative")
def need_status(need_id: int):  # type: ignore[no-untyped-def]
    _own_need(need_id)
    status = request.form.get("status", "")[:20]
    try:
        need = needs.set_need_status(get_session(), actor=me(), need_id=need_id, status=status)
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
        return redirect(url_for("initiative.needs_list"))
    if need.status == "closed":
        flash(gettext("Need closed: companies can no longer pledge to it."), "info")
    else:
        flash(gettext("Need open again."), "info")
    return redirect(url_for("initiative.needs_list"))


# --- pledges ----------------------------------------------------------------------------------------------

PLEDGE_FILTERS = ("proposed", "changes_requested", "approved", "delivered", "rejected", "cancelled")


@bp.route("/pledges")
@access("initiative")
def pledges_list():  # type: ignore[no-untyped-def]
    initiative = _my_initiative()
    status = request.args.get("status", "")
    rows = pledges_for_initiative(get_session(), initiative.id or 0)
    counts = {s: sum(1 for r in rows if r.match.status == s) for s in PLEDGE_FILTERS}
    if status in PLEDGE_FILTERS:
        rows = [r for r in rows if r.match.status == status]
    else:
        status = ""
    return render_template("initiative/pledges.html", initiative=initiative, rows=rows, status=status,
                           counts=counts, filters=PLEDGE_FILTERS)


def _own_pledge(match_id: int) -> MatchRow:
    row = match_for_user(get_session(), me(), match_id)
    if row is None or row.match.initiative_id is None or row.match.initiative_id != me().initiative_id:
        abort(404)
    return row


def _render_pledge(row: MatchRow, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template("initiative/pledge.html", row=row, history=match_history(get_session(), row.match.id),
                           values=values, errors=errors), status


@bp.route("/pledges/<int:match_id>")
@access("initiative")
def pledge(match_id: int):  # type: ignore[no-untyped-def]
    return _render_pledge(_own_pledge(match_id), {}, {})


@bp.route("/pledges/<int:match_id>/deliver", methods=["POST"])
@access("initiative")
def deliver(match_id: int):  # type: ignore[no-untyped-def]
    row = _own_pledge(match_id)
    values = {"note": request.form.get("note", "")[:5000]}
    back = request.form.get("back") == "dashboard"
    try:
        deliveries.confirm_delivery(get_session(), actor=me(), match_id=match_id, note=values["note"])
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        get_session().rollback()
        if exc.field:
            return _render_pledge(_own_pledge(match_id), values, errors_of(exc), 400)
        flash(error_text(exc), "error")
        return redirect(url_for("initiative.pledge", match_id=match_id))
    flash(gettext("Delivery confirmed: %(value)s now counts as realised for %(company)s (%(contract)s).",
                  value=formatting.money(row.match.value_cents), company=row.company.name,
                  contract=row.contract.reference), "info")
    if back:
        return redirect(url_for("initiative.dashboard"))
    return redirect(url_for("initiative.pledge", match_id=match_id))
