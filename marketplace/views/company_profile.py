"""The company's profile page: its sector (an SBI section), place, profile text, interests and site.

The routes join the company blueprint (`marketplace.views.company.bp`); `register_blueprints` imports this
module before it registers that blueprint.
"""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from wtforms import StringField, TextAreaField

from matching.sectors import SECTOR_CODES, normalise_sector, sector_label

from ..authz import access
from ..forms import ChoiceField, Form, MultiCheckboxField, max_length
from ..models import Company
from ..services import companies
from ..services.companies import MAX_PROFILE, CompanyProfileInput
from ..services.errors import ServiceError
from ..themes import THEME_CODES
from ._helpers import abort, get_session, me
from .company import bp
from .initiative import CoordinateField


class TypedCoordinateField(CoordinateField):
    """A coordinate that shows again what was typed when it is refused ("noord" stays "noord")."""

    raw_text: str | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_text = str(valuelist[0]).strip() if valuelist else ""
        super().process_formdata(valuelist)


class CompanyProfileForm(Form):
    sector = ChoiceField(codes=("", *SECTOR_CODES))
    city = StringField(validators=[max_length(100)])
    profile = TextAreaField(validators=[max_length(MAX_PROFILE)])
    interests = MultiCheckboxField(codes=THEME_CODES)
    lat = TypedCoordinateField(limit=90)
    lon = TypedCoordinateField(limit=180)

    def as_input(self) -> CompanyProfileInput:
        return CompanyProfileInput(
            sector=self.sector.data or "",
            city=self.city.data or "",
            profile=self.profile.data or "",
            interests=tuple(self.interests.data or ()),
            lat=self.lat.data,
            lon=self.lon.data,
        )


def sector_options() -> list[tuple[str, str]]:
    """(code, "F – Construction") for every SBI section, in the reader's language."""
    locale = get_locale()
    lang = "en" if locale is not None and locale.language == "en" else "nl"
    return [(code, f"{code} – {sector_label(code, lang)}") for code in SECTOR_CODES]


def _my_company() -> Company:
    company = get_session().get(Company, me().company_id or 0)
    if company is None:
        abort(404)
    return company


def _render(company: Company, form: CompanyProfileForm, status: int = 200) -> Any:
    # A sector typed as free text before the code list: shown, so the company can choose the section it meant.
    earlier = company.sector.strip() if not normalise_sector(company.sector) else ""
    return render_template(
        "company/profile.html",
        company=company,
        values=form.values(),
        errors=form.all_errors,
        sectors=sector_options(),
        earlier_sector=earlier,
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@access("company")
def profile():  # type: ignore[no-untyped-def]
    company = _my_company()
    if request.method == "GET":
        form = CompanyProfileForm(obj=company)
        form.sector.data = normalise_sector(company.sector)
        return _render(company, form)
    form = CompanyProfileForm()
    if not form.validate():
        return _render(company, form, 400)
    try:
        companies.update_company_profile(get_session(), actor=me(), data=form.as_input())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        form.add_service_error(exc)
        return _render(company, form, 400)
    flash(gettext("Profile saved."), "info")
    return redirect(url_for("company.dashboard"))
