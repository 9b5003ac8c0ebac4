"""Initiative pages: the dashboard, profile, handprint, needs, and the pledges made to the initiative."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms import FloatField, HiddenField, StringField, TextAreaField
from wtforms.validators import ValidationError

from marketplace.i18n import _l, gettext

from .. import contact, formatting
from ..authz import access
from ..boundary import parse_int
from ..forms import (
    ChoiceField,
    DayField,
    EuroField,
    Form,
    MultiCheckboxField,
    WholeNumberField,
    max_length,
    required,
)
from ..models import LIFE_PHASES, NEED_KINDS, NEED_UNITS, TARGET_GROUPS, UNITS_FOR_NEED_KIND, Initiative, Need
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
from ..services.initiatives import HandprintRow, ProfileInput
from ..services.needs import NeedInput
from ..themes import THEME_CODES
from ..valuation import MAX_CENTS
from ._helpers import abort, error_text, euros_to_cents, get_session, me
from .filter_forms import PLEDGE_FILTERS, NeedKindArgs, PledgesFilter

bp = Blueprint("initiative", __name__, url_prefix="/initiative")

PROFILE_FIELDS = (
    "name",
    "summary",
    "description",
    "municipality",
    "neighbourhood",
    "lat",
    "lon",
    "life_phase",
    "website",
    "contact_email",
    "contact_phone",
    "contact_name",
    "target_groups",
)
# Pledges on the dashboard, grouped by where they are in their lifecycle.
PLEDGE_GROUPS = (
    ("proposed", ("proposed",)),
    ("changes_requested", ("changes_requested",)),
    ("approved", ("approved",)),
    ("delivered", ("delivered",)),
    ("closed", ("rejected", "cancelled")),
)


class CoordinateField(FloatField):
    """A latitude or longitude; a comma is taken as the decimal mark."""

    parse_failed = False

    def __init__(self, label: Any = None, validators: Any = None, *, limit: float, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.limit = limit

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip().replace(",", ".") if valuelist else ""
        self.data, self.parse_failed = None, False
        if text:
            try:
                self.data = float(text)
            except ValueError:
                self.parse_failed = True

    def pre_validate(self, form: Any) -> None:
        if self.parse_failed or (self.data is not None and not -self.limit <= self.data <= self.limit):
            raise ValidationError(
                str(_l("Enter a number from %(low)s to %(high)s.", low=-self.limit, high=self.limit))
            )


class ProfileForm(Form):
    name = StringField(validators=[required(), max_length(200)])
    summary = StringField(validators=[max_length(300)])
    description = TextAreaField(validators=[max_length(10000)])
    municipality = StringField(validators=[required(), max_length(100)])
    neighbourhood = StringField(validators=[max_length(100)])
    lat = CoordinateField(limit=90)
    lon = CoordinateField(limit=180)
    life_phase = ChoiceField(codes=LIFE_PHASES, validators=[required()])
    website = StringField(_l("Website"), validators=[max_length(contact.MAX_WEBSITE)])
    contact_email = StringField(_l("Contact e-mail"), validators=[max_length(contact.MAX_EMAIL)])
    contact_phone = StringField(_l("Contact phone"), validators=[max_length(contact.MAX_PHONE)])
    contact_name = StringField(
        _l("Contact person or role (optional)"), validators=[max_length(contact.MAX_CONTACT_NAME)]
    )
    target_groups = MultiCheckboxField(codes=TARGET_GROUPS)

    def validate_website(self, field: Any) -> None:
        if (field.data or "").strip() and contact.normalise_website(field.data) is None:
            raise ValidationError(str(_l("Enter a web address such as https://www.example.nl")))

    def validate_contact_email(self, field: Any) -> None:
        if (field.data or "").strip() and not contact.valid_email(field.data.strip()):
            raise ValidationError(str(_l("Enter an e-mail address such as info@example.nl")))

    def validate_contact_phone(self, field: Any) -> None:
        if (field.data or "").strip() and contact.phone_national(field.data) is None:
            raise ValidationError(
                str(_l("Enter a Dutch phone number such as 020 123 4567 or +31 6 12345678"))
            )

    def as_input(self) -> ProfileInput:
        return ProfileInput(
            name=self.name.data or "",
            municipality=self.municipality.data or "",
            life_phase=self.life_phase.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            neighbourhood=self.neighbourhood.data or "",
            lat=self.lat.data,
            lon=self.lon.data,
            website=contact.normalise_website(self.website.data),
            contact_email=(self.contact_email.data or "").strip(),
            contact_phone=self.contact_phone.data or "",
            contact_name=self.contact_name.data or "",
            target_groups=tuple(self.target_groups.data or ()),
        )


class HandprintForm(Form):
    """Per theme: a score 0-100, a yearly impact value in euro (private) and an indicator."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for theme in THEME_CODES:
            score = self[f"score_{theme}"]
            served = any((self[f"{f}_{theme}"].raw_data or [""])[0].strip() for f in ("value", "indicator"))
            if score.data is None and not score.errors and served:
                # Without a score the theme is not served and would be dropped: say so rather than lose it.
                score.errors = [gettext("Give a score, or clear this row.")]
                ok = False
        return ok


for _theme in THEME_CODES:
    setattr(HandprintForm, f"score_{_theme}", WholeNumberField(low=0, high=100))
    setattr(HandprintForm, f"value_{_theme}", EuroField())
    setattr(HandprintForm, f"indicator_{_theme}", StringField(validators=[max_length(300)]))


class NeedForm(Form):
    kind = ChoiceField(codes=NEED_KINDS, validators=[required()])
    title = StringField(validators=[required(), max_length(200)])
    description = TextAreaField(validators=[max_length(5000)])
    themes = MultiCheckboxField(codes=THEME_CODES)
    quantity = StringField(validators=[required()])
    unit = ChoiceField(codes=("", *NEED_UNITS))
    deadline = DayField()

    def unit_meant(self) -> str | None:
        """The unit the quantity is typed in, when kind and unit fit together."""
        units = UNITS_FOR_NEED_KIND.get(self.kind.data or "")
        if not units:
            return None
        unit = self.unit.data or units[0]
        return unit if unit in units else None

    def validate_unit(self, field: Any) -> None:
        if self.kind.data in UNITS_FOR_NEED_KIND and field.data and self.unit_meant() is None:
            raise ValidationError(str(_l("This unit does not fit this kind of need.")))

    def validate_quantity(self, field: Any) -> None:
        text = (field.data or "").strip()
        if self.unit_meant() == "cents":
            cents = euros_to_cents(text)
            if cents is None or not 1 <= cents <= MAX_CENTS:
                raise ValidationError(
                    gettext(
                        "Enter an amount in euro from %(low)s to %(high)s, such as 2500 or 2.500,50.",
                        low=formatting.money(1),
                        high=formatting.money(MAX_CENTS, whole=True),
                    )
                )
            self.quantity_value: int | None = cents
            return
        number = parse_int(text, low=0)
        if number is None or text.startswith("-"):
            raise ValidationError(str(_l("Enter a whole number.")))
        if not 1 <= number <= MAX_CENTS:
            raise ValidationError(str(_l("Enter a number from %(low)s to %(high)s.", low=1, high=MAX_CENTS)))
        self.quantity_value = number

    def as_input(self) -> NeedInput:
        return NeedInput(
            kind=self.kind.data or "",
            title=self.title.data or "",
            quantity=getattr(self, "quantity_value", None),
            unit=self.unit.data or None,
            description=self.description.data or "",
            themes=tuple(self.themes.data or ()),
            deadline=self.deadline.data,
        )


class StatusForm(Form):
    status = HiddenField(validators=[required()])


class DeliveryForm(Form):
    note = TextAreaField(validators=[max_length(deliveries.MAX_NOTE)])
    back = HiddenField()


def _euro_text(cents: int | None) -> str:
    """Cents as the plain euro amount an input field shows ('1250' or '1250.50')."""
    if cents is None:
        return ""
    return str(cents // 100) if cents % 100 == 0 else f"{cents / 100:.2f}"


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
        "initiative/dashboard.html",
        initiative=initiative,
        groups=groups,
        sums=sums,
        score_map={h.theme: h.score for h in scores},
        scores=scores,
        needs=needs_of(session, initiative.id or 0, only_open=True),
    )


# --- profile ---------------------------------------------------------------------------------------------


def _render_profile(initiative: Initiative, form: ProfileForm, status: int = 200) -> Any:
    return render_template(
        "initiative/profile.html", initiative=initiative, values=form.values(), errors=form.all_errors
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@access("initiative")
def profile():  # type: ignore[no-untyped-def]
    initiative = _my_initiative()
    if request.method == "GET":
        return _render_profile(initiative, ProfileForm(obj=initiative))
    form = ProfileForm()
    if not form.validate():
        return _render_profile(initiative, form, 400)
    try:
        initiatives.update_profile(get_session(), actor=me(), data=form.as_input())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc)
        return _render_profile(initiative, form, 400)
    flash(gettext("Profile saved."), "info")
    return redirect(url_for("initiative.dashboard"))


# --- handprint --------------------------------------------------------------------------------------------


@bp.route("/handprint", methods=["GET", "POST"])
@access("initiative")
def handprint_edit():  # type: ignore[no-untyped-def]
    session = get_session()
    initiative = _my_initiative()
    if request.method == "GET":
        form = HandprintForm(formdata=None)
        for h in handprint(session, initiative.id or 0):
            form[f"score_{h.theme}"].data = h.score
            form[f"value_{h.theme}"].raw_text = _euro_text(h.yearly_value_cents)
            form[f"indicator_{h.theme}"].data = h.indicator
        return _render_handprint(initiative, form)
    form = HandprintForm()
    if not form.validate():
        return _render_handprint(initiative, form, 400)
    rows = [
        HandprintRow(
            theme=t,
            score=form[f"score_{t}"].data,
            yearly_value_cents=form[f"value_{t}"].data,
            indicator=form[f"indicator_{t}"].data or "",
        )
        for t in THEME_CODES
    ]
    try:
        initiatives.set_handprint(session, actor=me(), scores=rows)
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc)
        return _render_handprint(initiative, form, 400)
    flash(gettext("Handprint saved."), "info")
    return redirect(url_for("initiative.dashboard"))


def _render_handprint(initiative: Initiative, form: HandprintForm, status: int = 200) -> Any:
    values = form.values()
    errors = form.all_errors
    if errors and "_form" not in errors:
        errors["_form"] = gettext("Check the marked field.")
    score_map = {
        t: values[f"score_{t}"]
        for t in THEME_CODES
        if isinstance(values.get(f"score_{t}"), int) and 0 <= values[f"score_{t}"] <= 100
    }
    return render_template(
        "initiative/handprint.html", initiative=initiative, values=values, errors=errors, score_map=score_map
    ), status


# --- needs ------------------------------------------------------------------------------------------------


@bp.route("/needs")
@access("initiative")
def needs_list():  # type: ignore[no-untyped-def]
    initiative = _my_initiative()
    rows = needs_of(get_session(), initiative.id or 0)
    return render_template(
        "initiative/needs.html",
        initiative=initiative,
        open_rows=[r for r in rows if r[0].status == "open"],
        closed_rows=[r for r in rows if r[0].status != "open"],
    )


def _need_error(form: NeedForm, exc: ServiceError) -> None:
    """A service refusal in the form's terms: what pledges hold is said in the need's unit."""
    unit = form.unit_meant()
    if exc.field == "quantity" and "held" in exc.params and unit:
        form.quantity.errors = [
            gettext(
                "Pledges already hold %(held)s; the quantity cannot be lower.",
                held=formatting.quantity(int(exc.params["held"]), unit),
            )
        ]
        return
    form.add_service_error(exc)


def _render_need_form(form: NeedForm, need: Need | None = None, status: int = 200) -> Any:
    held = None
    if need is not None:
        held = need.quantity - open_capacities(get_session(), [need])[need.id or 0]
    units_for_kind = {kind: list(UNITS_FOR_NEED_KIND[kind]) for kind in NEED_KINDS}
    return render_template(
        "initiative/need_form.html",
        values=form.values(),
        errors=form.all_errors,
        need=need,
        held=held,
        units_for_kind=units_for_kind,
        need_kinds=NEED_KINDS,
    ), status


@bp.route("/needs/new", methods=["GET", "POST"])
@access("initiative")
def need_new():  # type: ignore[no-untyped-def]
    _my_initiative()
    if request.method == "GET":
        form = NeedForm(formdata=None)
        form.kind.data = NeedKindArgs().clean()["kind"] or "money"
        return _render_need_form(form)
    form = NeedForm()
    if not form.validate():
        return _render_need_form(form, status=400)
    try:
        need = needs.create_need(get_session(), actor=me(), data=form.as_input())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        _need_error(form, exc)
        return _render_need_form(form, status=400)
    flash(gettext("Need “%(title)s” published.", title=need.title), "info")
    return redirect(url_for("initiative.needs_list"))


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@access("initiative")
def need_edit(need_id: int):  # type: ignore[no-untyped-def]
    need = _own_need(need_id)
    if request.method == "GET":
        form = NeedForm(formdata=None, obj=need)
        form.quantity.data = _euro_text(need.quantity) if need.unit == "cents" else str(need.quantity)
        return _render_need_form(form, need)
    form = NeedForm()
    if not form.validate():
        return _render_need_form(form, need, status=400)
    try:
        needs.update_need(get_session(), actor=me(), need_id=need_id, data=form.as_input())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        _need_error(form, exc)
        return _render_need_form(form, need, status=400)
    flash(gettext("Need saved."), "info")
    return redirect(url_for("initiative.needs_list"))


@bp.route("/needs/<int:need_id>/status", methods=["POST"])
@access("initiative")
def need_status(need_id: int):  # type: ignore[no-untyped-def]
    _own_need(need_id)
    form = StatusForm()
    form.validate()
    try:
        need = needs.set_need_status(
            get_session(), actor=me(), need_id=need_id, status=form.status.data or ""
        )
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


@bp.route("/pledges")
@access("initiative")
def pledges_list():  # type: ignore[no-untyped-def]
    initiative = _my_initiative()
    filters = PledgesFilter()
    status = filters.clean()["status"]
    rows = pledges_for_initiative(get_session(), initiative.id or 0)
    counts = {s: sum(1 for r in rows if r.match.status == s) for s in PLEDGE_FILTERS}
    if status:
        rows = [r for r in rows if r.match.status == status]
    return render_template(
        "initiative/pledges.html",
        initiative=initiative,
        rows=rows,
        status=status,
        errors=filters.all_errors,
        counts=counts,
        filters=PLEDGE_FILTERS,
    ), filters.http_status


def _own_pledge(match_id: int) -> MatchRow:
    row = match_for_user(get_session(), me(), match_id)
    if row is None or row.match.initiative_id is None or row.match.initiative_id != me().initiative_id:
        abort(404)
    return row


def _render_pledge(row: MatchRow, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template(
        "initiative/pledge.html",
        row=row,
        history=match_history(get_session(), row.match.id or 0),
        values=values,
        errors=errors,
    ), status


@bp.route("/pledges/<int:match_id>")
@access("initiative")
def pledge(match_id: int):  # type: ignore[no-untyped-def]
    return _render_pledge(_own_pledge(match_id), {}, {})


@bp.route("/pledges/<int:match_id>/deliver", methods=["POST"])
@access("initiative")
def deliver(match_id: int):  # type: ignore[no-untyped-def]
    row = _own_pledge(match_id)
    form = DeliveryForm()
    if not form.validate():
        return _render_pledge(row, form.values(), form.all_errors, 400)
    back = form.back.data == "dashboard"
    try:
        deliveries.confirm_delivery(get_session(), actor=me(), match_id=match_id, note=form.note.data or "")
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        if exc.field:
            form.add_service_error(exc)
            return _render_pledge(row, form.values(), form.all_errors, 400)
        flash(error_text(exc), "error")
        return redirect(url_for("initiative.pledge", match_id=match_id))
    flash(
        gettext(
            "Delivery confirmed: %(value)s now counts as realised for %(company)s (%(contract)s).",
            value=formatting.money(row.match.value_cents),
            company=row.company.name,
            contract=row.contract.reference,
        ),
        "info",
    )
    if back:
        return redirect(url_for("initiative.dashboard"))
    return redirect(url_for("initiative.pledge", match_id=match_id))
