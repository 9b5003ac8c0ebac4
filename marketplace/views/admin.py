"""Admin pages: governments and their policy, valuation-table versions, users."""

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from marketplace.i18n import _l, gettext
from matching.sectors import SECTOR_CODES

from .. import i18n
from ..authz import access
from ..boundary import MAX_ID, parse_int
from ..forms import (
    ChoiceField,
    DayField,
    EuroField,
    Form,
    IdsField,
    MultiCheckboxField,
    PercentField,
    WholeNumberField,
    max_length,
    options,
    required,
)
from ..models import (
    BLOCK_UNITS,
    GOVERNMENT_KINDS,
    LOCALES,
    PERSON_FLAGS,
    POLICY_BASES,
    PSO_LEVELS,
    ROLES,
    ROUTES,
    SMALL_CONTRACT_RULES,
    TARGET_GROUPS,
    Company,
    Government,
    PolicyBasis,
    User,
)
from ..policy import Policy
from ..queries_officer import (
    admin_counts,
    adviser_government_ids,
    companies_page,
    governments_overview,
    organisations,
    policy_versions,
    tables_with_blocks,
    users_page,
)
from ..services import admin as admin_service
from ..services import certificates as certificates_service
from ..services import policies as policies_service
from ..services.admin import CompanyEdit, GovernmentEdit, GovernmentInput, UserEdit, UserInput
from ..services.audit import last_verification
from ..services.errors import ServiceError
from ..themes import THEME_CODES
from ._helpers import abort, back_within, error_text, get_session, me, page_arg
from .admin_forms import OTHER_GROUPS, TableForm, summary, table_formdata
from .company_profile import sector_options
from .filter_forms import CompaniesFilter, ConfirmActiveArgs, UsersFilter

bp = Blueprint("admin", __name__, url_prefix="/admin")

ORG_FIELDS = {role: field for role, (field, _model) in admin_service.ORGANISATION_OF_ROLE.items()}
CHOOSE_ORGANISATION = _l("Choose the organisation this user belongs to.")


class GovernmentForm(Form):
    name = StringField(validators=[required(), max_length(200)])
    slug = StringField(validators=[required(), max_length(80)])
    kind = ChoiceField(codes=GOVERNMENT_KINDS, default="municipality")
    municipality = StringField(validators=[max_length(100)])
    percentage = PercentField(validators=[required()])
    threshold = EuroField(validators=[required()])
    cap = EuroField()
    basis = ChoiceField(codes=POLICY_BASES, default="contract_sum")
    small_contract_rule = ChoiceField(codes=SMALL_CONTRACT_RULES, default="one_social_activity")
    priority_themes = MultiCheckboxField(codes=THEME_CODES)
    notes = TextAreaField(validators=[max_length(5000)])


class PolicyForm(Form):
    """Every parameter of a policy version (marketplace.policy.Policy), in euro, percent, months and days."""

    # The newest version the form started from: a version added meanwhile makes the form stale.
    based_on = HiddenField()
    effective_from = DayField(validators=[required()])
    note = TextAreaField(validators=[max_length(2000)])
    percentage = PercentField(validators=[required()])
    basis = ChoiceField(codes=tuple(PolicyBasis), default="contract_sum")
    fixed_amount = EuroField()
    threshold = EuroField(validators=[required()])
    threshold_works = EuroField()
    threshold_services = EuroField()
    threshold_supplies = EuroField()
    min_term_months = WholeNumberField(low=1, high=600)
    cap = EuroField()
    low_labour_share = PercentField()
    low_labour_percentage = PercentField()
    annual_minimum = EuroField()
    small_contract_rule = ChoiceField(codes=SMALL_CONTRACT_RULES, default="one_social_activity")
    small_activity_min = EuroField()
    small_activity_routes = MultiCheckboxField(codes=ROUTES)
    route_1 = ChoiceField(codes=ROUTES)
    route_2 = ChoiceField(codes=ROUTES)
    route_3 = ChoiceField(codes=ROUTES)
    route_4 = ChoiceField(codes=ROUTES)
    smart_plan_routes = MultiCheckboxField(codes=ROUTES)
    priority_themes = MultiCheckboxField(codes=THEME_CODES)
    plan_deadline_days = WholeNumberField(validators=[required()], low=1, high=365, default=7)
    report_period = ChoiceField(codes=("quarterly", "half_yearly"), default="quarterly")
    recovery_days = WholeNumberField(validators=[required()], low=1, high=730, default=90)


for _level in PSO_LEVELS:
    setattr(PolicyForm, f"pso_{_level}", PercentField())
for _route in ROUTES:
    setattr(PolicyForm, f"regions_{_route}", StringField(validators=[max_length(1000)]))


def policy_from_form(form: PolicyForm) -> Policy:
    """The form as a Policy; empty optional fields are "not set"."""
    regions = {}
    for route in ROUTES:
        names = tuple(n.strip() for n in (form[f"regions_{route}"].data or "").split(",") if n.strip())
        if names:
            regions[route] = names
    return Policy(
        percentage_bp=form.percentage.data or 0,
        basis=form.basis.data or "contract_sum",
        fixed_amount_cents=form.fixed_amount.data,
        threshold_cents=form.threshold.data or 0,
        thresholds_by_kind={
            k: form[f"threshold_{k}"].data
            for k in ("works", "services", "supplies")
            if form[f"threshold_{k}"].data is not None
        },
        min_term_months=form.min_term_months.data,
        cap_cents=form.cap.data,
        low_labour_share_bp=form.low_labour_share.data,
        low_labour_percentage_bp=form.low_labour_percentage.data,
        annual_minimum_cents=form.annual_minimum.data,
        small_contract_rule=form.small_contract_rule.data or "none",
        small_activity_min_cents=form.small_activity_min.data or 0,
        small_activity_routes=tuple(form.small_activity_routes.data or ()),
        pso_discount_bp={
            lvl: form[f"pso_{lvl}"].data for lvl in PSO_LEVELS if form[f"pso_{lvl}"].data is not None
        },
        route_order=tuple(form[f"route_{i}"].data or "" for i in range(1, 5)),
        route_regions=regions,
        smart_plan_routes=tuple(form.smart_plan_routes.data or ()),
        priority_themes=tuple(form.priority_themes.data or ()),
        plan_deadline_days=form.plan_deadline_days.data or 7,
        report_period=form.report_period.data or "quarterly",
        recovery_days=form.recovery_days.data or 90,
    )


def _euro_text(cents: int | None) -> str:
    if cents is None:
        return ""
    return str(cents // 100) if cents % 100 == 0 else f"{cents // 100},{cents % 100:02d}"


def fill_policy_form(form: PolicyForm, p: Policy) -> None:
    """Show a policy in the form (as a starting point for its next version)."""
    parsed = {
        "percentage": p.percentage_bp,
        "fixed_amount": p.fixed_amount_cents,
        "threshold": p.threshold_cents,
        "cap": p.cap_cents,
        "low_labour_share": p.low_labour_share_bp,
        "low_labour_percentage": p.low_labour_percentage_bp,
        "annual_minimum": p.annual_minimum_cents,
        "small_activity_min": p.small_activity_min_cents or None,
        **{f"threshold_{k}": v for k, v in p.thresholds_by_kind.items()},
        **{f"pso_{k}": v for k, v in p.pso_discount_bp.items()},
    }
    for name, cents in parsed.items():
        form[name].raw_text = _euro_text(cents)
    form.basis.data, form.small_contract_rule.data = p.basis, p.small_contract_rule
    form.min_term_months.data, form.small_activity_routes.data = (
        p.min_term_months,
        list(p.small_activity_routes),
    )
    for i, route in enumerate(p.route_order[:4], start=1):
        form[f"route_{i}"].data = route
    for route, names in p.route_regions.items():
        form[f"regions_{route}"].data = ", ".join(names)
    form.smart_plan_routes.data, form.priority_themes.data = (
        list(p.smart_plan_routes),
        list(p.priority_themes),
    )
    form.plan_deadline_days.data, form.report_period.data = p.plan_deadline_days, p.report_period
    form.recovery_days.data = p.recovery_days


class UserForm(Form):
    email = StringField(validators=[required(), max_length(254)])
    name = StringField(validators=[max_length(200)])
    role = ChoiceField(codes=ROLES, default="company")
    company_id = WholeNumberField(low=1, high=2**31 - 1, invalid_message=CHOOSE_ORGANISATION)
    initiative_id = WholeNumberField(low=1, high=2**31 - 1, invalid_message=CHOOSE_ORGANISATION)
    government_id = WholeNumberField(low=1, high=2**31 - 1, invalid_message=CHOOSE_ORGANISATION)
    government_ids = IdsField()
    password = PasswordField(validators=[required(), max_length(500)])
    locale = ChoiceField(codes=LOCALES, default="nl")


class ToggleForm(Form):
    active = HiddenField()
    confirm = HiddenField()
    version = HiddenField()


@bp.route("/")
@access("admin")
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    return render_template(
        "admin/index.html", counts=admin_counts(session), verification=last_verification(session)
    )


# --- governments -----------------------------------------------------------------------------------------


@bp.route("/governments")
@access("admin")
def governments():  # type: ignore[no-untyped-def]
    return render_template("admin/governments.html", rows=governments_overview(get_session()))


def _render_government_form(form: GovernmentForm, status: int = 200) -> Any:
    return render_template(
        "admin/government_form.html",
        values=form.values(),
        errors=form.all_errors,
        kinds=GOVERNMENT_KINDS,
        bases=POLICY_BASES,
        rules=SMALL_CONTRACT_RULES,
        themes=THEME_CODES,
    ), status


@bp.route("/governments/new", methods=["GET", "POST"])
@access("admin")
def new_government():  # type: ignore[no-untyped-def]
    form = GovernmentForm()
    if request.method == "GET":
        form.percentage.raw_text = "5"
        return _render_government_form(form)
    if not form.validate():
        return _render_government_form(form, 400)
    try:
        gov = admin_service.create_government(
            get_session(),
            actor=me(),
            data=GovernmentInput(
                slug=form.slug.data or "",
                name=form.name.data or "",
                kind=form.kind.data or "",
                municipality=form.municipality.data or "",
                notes=form.notes.data or "",
                policy=Policy(
                    percentage_bp=form.percentage.data or 0,
                    threshold_cents=form.threshold.data or 0,
                    cap_cents=form.cap.data,
                    basis=form.basis.data or "contract_sum",
                    small_contract_rule=form.small_contract_rule.data or "one_social_activity",
                    priority_themes=tuple(form.priority_themes.data or ()),
                ),
            ),
        )
    except ServiceError as exc:
        form.add_service_error(
            exc, {"percentage_bp": "percentage", "threshold_cents": "threshold", "cap_cents": "cap"}
        )
        return _render_government_form(form, 400)
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
    return render_template(
        "admin/government.html",
        government=gov,
        versions=policy_versions(get_session(), government_id),
        tables=tables_with_blocks(get_session(), government_id),
    )


def _render_policy_form(gov: Government, form: PolicyForm, status: int = 200) -> Any:
    return render_template(
        "admin/policy_form.html",
        government=gov,
        values=form.values(),
        errors=form.all_errors,
        pso_levels=PSO_LEVELS,
        routes=ROUTES,
    ), status


@bp.route("/governments/<int:government_id>/policies/new", methods=["GET", "POST"])
@access("admin")
def new_policy(government_id: int):  # type: ignore[no-untyped-def]
    """A new version of the government's policy; contracts awarded before it keep theirs."""
    gov = _government_or_404(government_id)
    form = PolicyForm()
    if request.method == "GET":
        versions = policy_versions(get_session(), government_id)
        fill_policy_form(form, Policy.from_dict(versions[0].policy) if versions else Policy())
        form.based_on.data = str(versions[0].version if versions else 0)
        return _render_policy_form(gov, form)
    if not form.validate():
        return _render_policy_form(gov, form, 400)
    try:
        version = policies_service.add_policy_version(
            get_session(),
            actor=me(),
            government_id=government_id,
            effective_from=form.effective_from.data,
            policy=policy_from_form(form),
            note=form.note.data or "",
            seen_version=_version(form.based_on.data),
        )
    except ServiceError as exc:
        status = _stale_status(exc)
        form.add_service_error(exc, POLICY_FIELDS)
        return _render_policy_form(gov, form, status)
    flash(
        gettext(
            "Policy version %(version)s of %(name)s stored; it applies to contracts awarded from %(date)s.",
            version=version.version,
            name=gov.name,
            date=version.effective_from.isoformat(),
        ),
        "info",
    )
    return redirect(url_for("admin.government", government_id=government_id))


# Service field -> form field of the policy form.
POLICY_FIELDS = {
    "percentage_bp": "percentage",
    "threshold_cents": "threshold",
    "cap_cents": "cap",
    "fixed_amount_cents": "fixed_amount",
    "low_labour_share_bp": "low_labour_share",
    "low_labour_percentage_bp": "low_labour_percentage",
    "annual_minimum_cents": "annual_minimum",
    "small_activity_min_cents": "small_activity_min",
    "route_order": "route_1",
    "route_regions": "regions_social_domain",
}


# --- valuation tables ------------------------------------------------------------------------------------


def _render_table_form(gov: Government, form: TableForm, status: int = 200) -> Any:
    errors = form.flat_errors()
    tables = tables_with_blocks(get_session(), gov.id or 0)
    return render_template(
        "admin/table_form.html",
        government=gov,
        latest=tables[0][0] if tables else None,
        form=form,
        values=form.flat_values(),
        errors=errors,
        summary=summary(errors),
        routes=options(ROUTES, i18n.ROUTES),
        units=options(BLOCK_UNITS, i18n.BLOCK_UNITS),
        target_groups=options(TARGET_GROUPS, i18n.TARGET_GROUPS),
        cap_groups=[
            (OTHER_GROUPS, gettext("every other group")),
            *options(TARGET_GROUPS, i18n.TARGET_GROUPS),
        ],
        flags=options(PERSON_FLAGS, i18n.PERSON_FLAGS),
    ), status


ROW_ACTION_RE = re.compile(r"^(add|remove)-(block|cap)(?:-(\d{1,3}))?$")


@bp.route("/governments/<int:government_id>/tables/new", methods=["GET", "POST"])
@access("admin")
def new_table(government_id: int):  # type: ignore[no-untyped-def]
    """A new version of the table, one row per building block; "add a row" and "remove" need no script."""
    gov = _government_or_404(government_id)
    if request.method == "GET":
        tables = tables_with_blocks(get_session(), government_id)
        if tables:
            return _render_table_form(gov, TableForm(formdata=table_formdata(*tables[0])))
        return _render_table_form(gov, TableForm(formdata=MultiDict({"based_on": "0"})))
    form = TableForm()
    action = ROW_ACTION_RE.match(form.row_action.data or "")
    if action:
        verb, which, index = action.groups()
        if verb == "add":
            form.add_block() if which == "block" else form.add_cap()
        elif index is not None:
            form.remove(which, int(index))
        return _render_table_form(gov, form)
    if not form.validate():
        return _render_table_form(gov, form, 400)
    based_on = form.based_on.data or ""
    try:
        table = admin_service.create_table(
            get_session(),
            actor=me(),
            government_id=government_id,
            data=form.as_input(),
            seen_version=_version(based_on),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc)
        return _render_table_form(gov, form, 409 if exc.status == 409 else 400)
    flash(
        gettext(
            "Version %(version)s of the valuation table of %(name)s stored.",
            version=table.version,
            name=gov.name,
        ),
        "info",
    )
    return redirect(
        url_for("admin.government", government_id=government_id, _anchor=f"table-{table.version}")
    )


# --- users -----------------------------------------------------------------------------------------------


@bp.route("/users")
@access("admin")
def users():  # type: ignore[no-untyped-def]
    filters = UsersFilter()
    clean = filters.clean()
    return render_template(
        "admin/users.html",
        page=users_page(get_session(), role=clean["role"], q=clean["q"], page=page_arg()),
        role=clean["role"],
        values=filters.values(),
        errors=filters.all_errors,
        args=filters.args(),
        roles=ROLES,
        back=request.full_path,
    ), filters.http_status


def _render_user_form(form: UserForm, status: int = 200) -> Any:
    values = form.values()
    values.pop("password", None)  # a password is never shown again
    return render_template(
        "admin/user_form.html",
        values=values,
        errors=form.all_errors,
        roles=ROLES,
        locales=LOCALES,
        orgs=organisations(get_session()),
        org_fields=ORG_FIELDS,
    ), status


@bp.route("/users/new", methods=["GET", "POST"])
@access("admin")
def new_user():  # type: ignore[no-untyped-def]
    form = UserForm()
    if request.method == "GET":
        form.role.data = UsersFilter().clean()["role"] or "company"
        return _render_user_form(form)
    if not form.validate():
        return _render_user_form(form, 400)
    role = form.role.data or ""
    org_field = ORG_FIELDS.get(role)
    try:
        user = admin_service.create_user(
            get_session(),
            actor=me(),
            data=UserInput(
                email=form.email.data or "",
                role=role,
                password=form.password.data or "",
                name=form.name.data or "",
                locale=form.locale.data or "nl",
                organisation_id=getattr(form, org_field).data if org_field else None,
                government_ids=tuple(form.government_ids.data or ()) if role == "adviser" else (),
            ),
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render_user_form(form, 400)
    flash(gettext("User %(email)s created.", email=user.email), "info")
    return redirect(url_for("admin.users", role=user.role))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@access("admin")
def set_active(user_id: int):  # type: ignore[no-untyped-def]
    form = ToggleForm()
    if not form.validate() or form.active.data not in ("0", "1"):
        abort(400)
    if form.confirm.data != "yes":
        # Not confirmed (an old form, a crafted post): show the confirmation page; nothing changes.
        return render_template(
            "admin/user_active.html",
            user=_user_or_404(user_id),
            active=form.active.data == "1",
            back=back_within("admin.users"),
            next=back_within("admin.users"),
        ), 400
    target = back_within("admin.users")
    try:
        user: User = admin_service.set_user_active(
            get_session(),
            actor=me(),
            user_id=user_id,
            active=form.active.data == "1",
            seen_version=_version(form.version.data),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(error_text(exc), "warning" if exc.status == 409 else "error")
        return redirect(target)
    flash(
        gettext("%(email)s can log in again.", email=user.email)
        if user.active
        else gettext("%(email)s is deactivated and can no longer log in.", email=user.email),
        "info",
    )
    return redirect(target)


# --- edits of governments, companies and users ------------------------------------------------------------
# Each form carries the version it showed; a change stored since then refuses the edit (409, nothing stored).


def _version(text: str | None) -> int | None:
    """The version a form was opened at (a hidden field); None when it is not a version."""
    return parse_int(text, low=0, high=MAX_ID)


class VersionedForm(Form):
    version = HiddenField()

    def validate_version(self, field: Any) -> None:
        if _version(field.data) is None:
            raise ValidationError(str(_l("This form is incomplete. Reload the page and try again.")))


class GovernmentEditForm(VersionedForm):
    name = StringField(validators=[required(), max_length(200)])
    kind = ChoiceField(codes=GOVERNMENT_KINDS, validators=[required()])
    municipality = StringField(validators=[max_length(100)])
    notes = TextAreaField(validators=[max_length(5000)])


class CompanyEditForm(VersionedForm):
    name = StringField(validators=[required(), max_length(200)])
    kvk = StringField(validators=[required(), max_length(20)])
    city = StringField(validators=[max_length(100)])
    sector = ChoiceField(codes=SECTOR_CODES)

    def validate_kvk(self, field: Any) -> None:
        if field.data and not admin_service.KVK_RE.match(field.data.replace(" ", "").strip()):
            raise ValidationError(str(_l("A KvK number has 8 digits.")))


class UserEditForm(VersionedForm):
    email = StringField(validators=[required(), max_length(254)])
    name = StringField(validators=[max_length(200)])
    company_id = WholeNumberField(low=1, high=2**31 - 1, invalid_message=CHOOSE_ORGANISATION)
    initiative_id = WholeNumberField(low=1, high=2**31 - 1, invalid_message=CHOOSE_ORGANISATION)
    government_id = WholeNumberField(low=1, high=2**31 - 1, invalid_message=CHOOSE_ORGANISATION)
    government_ids = IdsField()
    password = PasswordField(validators=[max_length(500)])
    locale = ChoiceField(codes=LOCALES, validators=[required()])


def _stale_status(exc: ServiceError) -> int:
    if exc.status == 404:
        abort(404)
    return 409 if exc.status == 409 else 400


@bp.route("/governments/<int:government_id>/edit", methods=["GET", "POST"])
@access("admin")
def edit_government(government_id: int):  # type: ignore[no-untyped-def]
    gov = _government_or_404(government_id)
    form = GovernmentEditForm(obj=gov) if request.method == "GET" else GovernmentEditForm()

    def render(status: int = 200) -> Any:
        return render_template(
            "admin/government_edit.html",
            government=gov,
            values=form.values(),
            errors=form.all_errors,
            kinds=options(GOVERNMENT_KINDS, i18n.GOVERNMENT_KINDS),
        ), status

    if request.method == "GET":
        return render()
    if not form.validate():
        return render(400)
    try:
        admin_service.update_government(
            get_session(),
            actor=me(),
            government_id=government_id,
            data=GovernmentEdit(
                name=form.name.data or "",
                kind=form.kind.data or "",
                municipality=form.municipality.data or "",
                notes=form.notes.data or "",
            ),
            seen_version=_version(form.version.data),
        )
    except ServiceError as exc:
        status = _stale_status(exc)
        form.add_service_error(exc)
        return render(status)
    flash(gettext("%(name)s saved.", name=gov.name), "info")
    return redirect(url_for("admin.government", government_id=government_id))


@bp.route("/companies")
@access("admin")
def companies():  # type: ignore[no-untyped-def]
    filters = CompaniesFilter()
    q = filters.clean()["q"]
    return render_template(
        "admin/companies.html",
        page=companies_page(get_session(), q=q, page=page_arg()),
        values=filters.values(),
        errors=filters.all_errors,
        args=filters.args(),
    ), filters.http_status


@bp.route("/companies/<int:company_id>/edit", methods=["GET", "POST"])
@access("admin")
def edit_company(company_id: int):  # type: ignore[no-untyped-def]
    company = get_session().get(Company, company_id)
    if company is None:
        abort(404)
    form = CompanyEditForm(obj=company) if request.method == "GET" else CompanyEditForm()

    def render(status: int = 200) -> Any:
        return render_template(
            "admin/company_edit.html",
            company=company,
            values=form.values(),
            errors=form.all_errors,
            sectors=sector_options(),
        ), status

    if request.method == "GET":
        return render()
    if not form.validate():
        return render(400)
    try:
        admin_service.update_company(
            get_session(),
            actor=me(),
            company_id=company_id,
            data=CompanyEdit(
                name=form.name.data or "",
                kvk=form.kvk.data or "",
                city=form.city.data or "",
                sector=form.sector.data or "",
            ),
            seen_version=_version(form.version.data),
        )
    except ServiceError as exc:
        status = _stale_status(exc)
        form.add_service_error(exc)
        return render(status)
    flash(gettext("%(name)s saved.", name=company.name), "info")
    return redirect(url_for("admin.companies"))


def _user_or_404(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@access("admin")
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    user = _user_or_404(user_id)
    session = get_session()
    if request.method == "GET":
        form = UserEditForm(obj=user)
        form.government_ids.data = adviser_government_ids(session, user_id)
    else:
        form = UserEditForm()

    def render(status: int = 200) -> Any:
        values = form.values()
        values.pop("password", None)  # a password is never shown again
        return render_template(
            "admin/user_edit.html",
            user=user,
            values=values,
            errors=form.all_errors,
            orgs=organisations(session),
            org_field=ORG_FIELDS.get(user.role),
        ), status

    if request.method == "GET":
        return render()
    if not form.validate():
        return render(400)
    org_field = ORG_FIELDS.get(user.role)
    try:
        admin_service.update_user(
            session,
            actor=me(),
            user_id=user_id,
            data=UserEdit(
                email=form.email.data or "",
                name=form.name.data or "",
                locale=form.locale.data or "nl",
                organisation_id=getattr(form, org_field).data if org_field else None,
                government_ids=tuple(form.government_ids.data or ()),
                password=form.password.data or "",
            ),
            seen_version=_version(form.version.data),
        )
    except ServiceError as exc:
        status = _stale_status(exc)
        form.add_service_error(exc)
        return render(status)
    flash(gettext("User %(email)s saved.", email=user.email), "info")
    return redirect(url_for("admin.users", role=user.role))


@bp.route("/users/<int:user_id>/active", methods=["GET"])
@access("admin")
def confirm_active(user_id: int):  # type: ignore[no-untyped-def]
    """The confirmation page of a deactivation (or reactivation): nothing changes until it is confirmed."""
    user = _user_or_404(user_id)
    args = ConfirmActiveArgs()
    if not args.valid:
        abort(400)
    back = _users_page(args.next.data or "")
    return render_template(
        "admin/user_active.html", user=user, active=args.active.data == "1", back=back, next=back
    )


def _users_page(back: str) -> str:
    """`back` when it is the (filtered) users list, else the list itself."""
    base = url_for("admin.users")
    return back if back.startswith(base) and not back.startswith("//") else base


# --- PSO certificates of a company ------------------------------------------------------------------------


class AdminCertificateForm(Form):
    level = ChoiceField(codes=PSO_LEVELS, validators=[required()])
    number = StringField(validators=[max_length(60)])
    issued_on = DayField(validators=[required()])
    valid_until = DayField(validators=[required()])

    def validate_valid_until(self, field: Any) -> None:
        issued, until = self.issued_on.data, field.data
        if issued is None or until is None:
            return
        if until < issued:
            raise ValidationError(str(_l("The certificate ends before it was issued.")))
        if (until - issued).days > certificates_service.MAX_VALIDITY_DAYS:
            raise ValidationError(str(_l("A PSO certificate is valid for at most two years.")))


@bp.route("/companies/<int:company_id>/certificates", methods=["GET", "POST"])
@access("admin")
def company_certificates(company_id: int):  # type: ignore[no-untyped-def]
    """A company's PSO certificates; the admin registers or renews one the company sent in."""
    session = get_session()
    company = session.get(Company, company_id)
    if company is None:
        abort(404)
    form = AdminCertificateForm()

    def render(status: int = 200) -> Any:
        return render_template(
            "admin/company_certificates.html",
            company=company,
            certificates=certificates_service.certificates_of(session, company_id),
            values=form.values(),
            errors=form.all_errors,
            levels=options(PSO_LEVELS, i18n.PSO_LEVELS),
        ), status

    if request.method == "GET":
        return render()
    if not form.validate():
        return render(400)
    try:
        certificates_service.add_certificate(
            session,
            actor=me(),
            company_id=company_id,
            data=certificates_service.CertificateInput(
                level=form.level.data or "",
                issued_on=form.issued_on.data,
                valid_until=form.valid_until.data,
                number=form.number.data or "",
            ),
        )
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc)
        return render(400)
    flash(gettext("Certificate saved."), "info")
    return redirect(url_for("admin.company_certificates", company_id=company_id))


@bp.route("/health")
@access("admin")
def health():  # type: ignore[no-untyped-def]
    """The detail behind the public /healthz: database dialect, search backend, documents, pending changes."""
    from flask import jsonify

    from .public import health_report

    body, code = health_report()
    return jsonify(body), code
