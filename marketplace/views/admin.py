"""Admin pages: governments and their policy, valuation-table versions, users."""

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..authz import access
from ..models import BLOCK_UNITS, GOVERNMENT_KINDS, ROLES, ROUTES, TARGET_GROUPS, Government, User
from ..queries_officer import (
    admin_counts,
    governments_overview,
    organisations,
    tables_with_blocks,
    users_page,
)
from ..services import admin as admin_service
from ..services.errors import ServiceError
from ..themes import THEME_CODES
from ._helpers import (
    abort,
    back_within,
    error_text,
    errors_of,
    euros_to_cents,
    form_values,
    get_session,
    me,
    page_arg,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Service field -> form field, where the form asks in euro or percent rather than cents or basis points.
GOVERNMENT_FIELDS = {"percentage_bp": "percentage", "threshold_cents": "threshold", "cap_cents": "cap"}
BASES = ("contract_sum", "labour_component")
SMALL_CONTRACT_RULES = ("one_social_activity", "none")
LOCALES = ("nl", "en")
ORG_FIELDS = {"company": "company_id", "initiative": "initiative_id", "officer": "government_id"}
MAX_BLOCK_LINES = 200
BLOCK_COLUMNS = "code;route;label;unit;value_in_euro;percentage;max_months;target_group"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
# Units whose blocks are worth a fixed value per unit, so the value column is required.
VALUED_UNITS = ("fte_year", "internship_year", "hour", "day", "bonus")


def percent_to_bp(value: Any) -> int | None:
    """'5', '2,5' or '2.5' percent to basis points (500, 250); the same x100 as euro to cents."""
    return euros_to_cents(value)


def _cents_fields(values: dict[str, Any], mapping: dict[str, str], data: dict[str, Any],
                  errors: dict[str, str]) -> None:
    """Convert the euro and percent fields of a form into the service's cents and basis points."""
    for service_field, form_field in mapping.items():
        raw = str(values.get(form_field, "")).strip()
        data[service_field] = euros_to_cents(raw) if form_field == "percentage" else euros_to_cents(raw)
        if raw and data[service_field] is None:
            errors[form_field] = (gettext("Enter a percentage, for example 5 or 2,5.") if form_field == "percentage"
                                  else gettext("Enter an amount in euro, for example 125000 or 125.000,00."))


@bp.route("/")
@access("admin")
def index():  # type: ignore[no-untyped-def]
    return render_template("admin/index.html", counts=admin_counts(get_session()))


# --- governments -----------------------------------------------------------------------------------------


@bp.route("/governments")
@access("admin")
def governments():  # type: ignore[no-untyped-def]
    return render_template("admin/governments.html", rows=governments_overview(get_session()))


def _render_government_form(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template("admin/government_form.html", values=values, errors=errors, kinds=GOVERNMENT_KINDS,
                           bases=BASES, rules=SMALL_CONTRACT_RULES, themes=THEME_CODES), status


@bp.route("/governments/new", methods=["GET", "POST"])
@access("admin")
def new_government():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return _render_government_form({"kind": "municipality", "percentage": "5", "basis": "contract_sum",
                                        "small_contract_rule": "one_social_activity"}, {})
    values = form_values()
    data = {k: values.get(k) for k in ("slug", "name", "kind", "municipality", "basis", "small_contract_rule",
                                       "notes")}
    data["priority_themes"] = values.get("priority_themes") or []
    errors: dict[str, str] = {}
    _cents_fields(values, GOVERNMENT_FIELDS, data, errors)
    if (data["percentage_bp"] or 0) > 10_000:
        errors["percentage"] = gettext("Enter a percentage from 0 to 100.")
    if errors:
        return _render_government_form(values, errors, 400)
    try:
        gov = admin_service.create_government(get_session(), actor=me(), data=data)
    except ServiceError as exc:
        field = GOVERNMENT_FIELDS.get(exc.field or "", exc.field)
        return _render_government_form(values, {field or "_form": error_text(exc)}, 400)
    flash(gettext("%(name)s created. Add its first valuation table now.", name=gov.name), "info")
    return redirect(url_for("admin.new_table", government_id=gov.id))


def _government_or_404(government_id: int) -> Government:
    gov = get_session().get(Government, government_id)
    if gov is None:
        abort(404)
    return gov


@bp.route("/governments/<int:government_id>")
@access("admin")
def government(government_id: int):  # type: ignore[no-untyped-def]
    gov = _government_or_404(government_id)
    return render_template("admin/government.html", government=gov,
                           tables=tables_with_blocks(get_session(), government_id))


# --- valuation tables ------------------------------------------------------------------------------------


class BlockLineError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _fmt_amount(cents: int | None) -> str:
    if cents is None:
        return ""
    return str(cents // 100) if cents % 100 == 0 else f"{cents // 100},{cents % 100:02d}"


def blocks_to_text(blocks: list[Any]) -> str:
    """A table's blocks in the form's line format, so an admin edits the latest version."""
    lines = []
    for b in sorted(blocks, key=lambda b: b.id or 0):
        fields = [b.code, b.route, b.label.replace(";", ","), b.unit, _fmt_amount(b.value_cents),
                  _fmt_amount(b.percentage_bp), str(b.max_months or ""), b.target_group or ""]
        lines.append(";".join(fields).rstrip(";"))
    return "\n".join(lines)


def parse_blocks(text: str) -> list[dict[str, Any]]:
    """One block a line: code;route;label;unit;value_in_euro;percentage;max_months[;target_group].

    Empty lines and lines starting with # are skipped. Raises BlockLineError naming the line.
    """
    blocks: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(";")]
        if not 4 <= len(parts) <= 8:
            raise BlockLineError(number, gettext("expected %(columns)s, found %(n)s fields",
                                                 columns=BLOCK_COLUMNS, n=len(parts)))
        parts += [""] * (8 - len(parts))
        code, route, label, unit, value, pct, months, group = parts
        code = code.lower()
        if not CODE_RE.match(code):
            raise BlockLineError(number, gettext("the code must be lowercase letters, digits, _ or -"))
        if code in seen:
            raise BlockLineError(number, gettext("the code %(code)s is already used on line %(other)s",
                                                 code=code, other=seen[code]))
        seen[code] = number
        if route not in ROUTES:
            raise BlockLineError(number, gettext("unknown route %(route)s; use one of %(routes)s",
                                                 route=repr(route[:40]), routes=", ".join(ROUTES)))
        if not label or len(label) > 200:
            raise BlockLineError(number, gettext("the label is required (at most 200 characters)"))
        if unit not in BLOCK_UNITS:
            raise BlockLineError(number, gettext("unknown unit %(unit)s; use one of %(units)s",
                                                 unit=repr(unit[:40]), units=", ".join(BLOCK_UNITS)))
        value_cents = euros_to_cents(value)
        if value and value_cents is None:
            raise BlockLineError(number, gettext("%(value)s is not an amount in euro", value=repr(value[:40])))
        if unit in VALUED_UNITS and value_cents is None:
            raise BlockLineError(number, gettext("a block of unit %(unit)s needs a value in euro", unit=unit))
        percentage_bp = euros_to_cents(pct)
        if pct and (percentage_bp is None or percentage_bp > 10_000):
            raise BlockLineError(number, gettext("%(value)s is not a percentage from 0 to 100",
                                                 value=repr(pct[:40])))
        max_months = int(months) if months.isdigit() else None
        if months and (max_months is None or not 1 <= max_months <= 120):
            raise BlockLineError(number, gettext("max_months must be a whole number from 1 to 120"))
        if group and group not in TARGET_GROUPS:
            raise BlockLineError(number, gettext("unknown target group %(group)s; use one of %(groups)s",
                                                 group=repr(group[:40]), groups=", ".join(TARGET_GROUPS)))
        blocks.append({"code": code, "route": route, "label": label, "unit": unit, "value_cents": value_cents,
                       "percentage_bp": percentage_bp, "max_months": max_months, "target_group": group or None})
        if len(blocks) > MAX_BLOCK_LINES:
            raise BlockLineError(number, gettext("at most %(max)s blocks in a table", max=MAX_BLOCK_LINES))
    return blocks


def _render_table_form(gov: Government, values: dict[str, Any], errors: dict[str, str],
                       status: int = 200) -> Any:
    tables = tables_with_blocks(get_session(), gov.id or 0)
    return render_template("admin/table_form.html", government=gov, latest=tables[0][0] if tables else None,
                           values=values, errors=errors, columns=BLOCK_COLUMNS, routes=ROUTES, units=BLOCK_UNITS,
                           target_groups=TARGET_GROUPS), status


@bp.route("/governments/<int:government_id>/tables/new", methods=["GET", "POST"])
@access("admin")
def new_table(government_id: int):  # type: ignore[no-untyped-def]
    gov = _government_or_404(government_id)
    if request.method == "GET":
        tables = tables_with_blocks(get_session(), government_id)
        values: dict[str, Any] = {}
        if tables:
            latest, blocks = tables[0]
            values = {"name": latest.name, "source": latest.source, "assumption": latest.assumption or "",
                      "blocks": blocks_to_text(blocks)}
        return _render_table_form(gov, values, {})
    values = form_values()
    try:
        blocks = parse_blocks(str(values.get("blocks", "")))
    except BlockLineError as exc:
        msg = gettext("Line %(line)s: %(problem)s", line=exc.line, problem=exc.message)
        return _render_table_form(gov, values, {"blocks": msg}, 400)
    data = {k: values.get(k, "") for k in ("name", "effective_from", "source", "assumption")}
    session = get_session()
    try:
        table = admin_service.create_table(session, actor=me(), government_id=government_id, data=data,
                                           blocks=blocks)
    except ServiceError as exc:
        session.rollback()  # the service may have flushed part of the version before it failed
        if exc.status == 404:
            abort(404)
        return _render_table_form(gov, values, errors_of(exc), 400)
    flash(gettext("Version %(version)s of the valuation table of %(name)s stored.", version=table.version,
                  name=gov.name), "info")
    return redirect(url_for("admin.government", government_id=government_id))


# --- users -----------------------------------------------------------------------------------------------


@bp.route("/users")
@access("admin")
def users():  # type: ignore[no-untyped-def]
    role = request.args.get("role", "")
    role = role if role in ROLES else ""
    q = request.args.get("q", "")[:100]
    args = {k: v for k, v in (("role", role), ("q", q)) if v}
    return render_template("admin/users.html", page=users_page(get_session(), role=role, q=q, page=page_arg()),
                           role=role, q=q, args=args, roles=ROLES, back=request.full_path)


def _render_user_form(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template("admin/user_form.html", values=values, errors=errors, roles=ROLES, locales=LOCALES,
                           orgs=organisations(get_session()), org_fields=ORG_FIELDS), status


@bp.route("/users/new", methods=["GET", "POST"])
@access("admin")
def new_user():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        role = request.args.get("role", "")
        return _render_user_form({"role": role if role in ROLES else "company", "locale": "nl"}, {})
    values = form_values()
    data = {k: values.get(k, "") for k in ("email", "name", "role", "password", "locale")}
    org_field = ORG_FIELDS.get(str(values.get("role", "")))
    if org_field:
        data[org_field] = values.get(org_field, "")
    try:
        user = admin_service.create_user(get_session(), actor=me(), data=data)
    except ServiceError as exc:
        values.pop("password", None)
        return _render_user_form(values, errors_of(exc), 400)
    flash(gettext("User %(email)s created.", email=user.email), "info")
    return redirect(url_for("admin.users", role=user.role))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@access("admin")
def set_active(user_id: int):  # type: ignore[no-untyped-def]
    choice = request.form.get("active", "")
    if choice not in ("0", "1"):
        abort(400)
    target = back_within("admin.users")
    try:
        user: User = admin_service.set_user_active(get_session(), actor=me(), user_id=user_id, active=choice == "1")
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "error")
        return redirect(target)
    flash(gettext("%(email)s can log in again.", email=user.email) if user.active
          else gettext("%(email)s is deactivated and can no longer log in.", email=user.email), "info")
    return redirect(target)
