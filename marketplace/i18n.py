"""Locale choice (Dutch first) and translatable labels for the domain's codes."""

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask import current_app, request, session
from flask.globals import _cv_app
from flask_babel import LazyString, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

if TYPE_CHECKING:
    from .services.errors import ServiceError


# -- fast template gettext --------------------------------------------------------------------------------------
# A page calls gettext 60-200 times. Flask-Babel's own callables look the translations up anew on every call
# (the domain, g, the locale, str(locale), the cache): about a tenth of a page's CPU. These keep the result on
# Flask-Babel's per-request namespace, keyed on the locale object itself, so `force_locale` (mail in the
# recipient's language) still switches: it sets a new locale object, which misses the kept one.


def _kept(name: str, make: Callable[[], Any]) -> Any:
    """`make()`, kept on Flask-Babel's per-request namespace beside the locale it was made for."""
    ctx = _cv_app.get(None)
    ns = ctx.g.__dict__.get("_flask_babel") if ctx is not None else None
    if ns is not None:
        kept = ns.__dict__.get(name)
        if kept is not None and kept[0] is ns.__dict__.get("babel_locale"):
            return kept[1]
    value = make()
    # `make` may have chosen the locale only now (and created the namespace): keep the value beside that one.
    ns = ctx.g.__dict__.get("_flask_babel") if ctx is not None else None
    locale = ns.__dict__.get("babel_locale") if ns is not None else None
    if locale is not None:
        setattr(ns, name, (locale, value))
    return value


def _translations() -> Any:
    return _kept("srx_translations", get_translations)


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's `gettext`, through the translations kept for this request (same result, less work)."""
    text: str = _translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's `ngettext` (with `num` in the variables), through the kept translations."""
    variables.setdefault("num", num)
    text: str = _translations().ungettext(singular, plural, num)
    return text % variables


def _l(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's `lazy_gettext`, translated through the kept translations each time it is shown."""
    return LazyString(gettext, string, **variables)


def select_locale() -> str:
    """User's choice, then the session's, then Dutch; the Accept-Language header is not trusted for this."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    requested = request.args.get("lang")
    if requested in languages:
        return str(requested)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


THEMES = {
    "werk": _l("Work"),
    "armoedebestrijding": _l("Poverty reduction"),
    "gezondheidsbevordering": _l("Health promotion"),
    "participatie": _l("Participation"),
    "onderwijs": _l("Education"),
    "gezond_opgroeien": _l("Growing up healthy"),
}
INITIATIVE_KINDS = {
    "initiative": _l("Social initiative"),
    "social_firm": _l("Social firm"),
    "sw_company": _l("Sheltered-work company (SW)"),
}
NEED_KINDS = {
    "money": _l("Money"),
    "hours": _l("Hours"),
    "expertise": _l("Expertise"),
    "goods": _l("Goods"),
    "internship": _l("Internship"),
    "job": _l("Job"),
    "purchase": _l("Purchase"),
}
NEED_UNITS = {"cents": _l("euro"), "hours": _l("hours"), "days": _l("days"), "places": _l("places")}
LIFE_PHASES = {"plan": _l("Plan"), "start": _l("Start"), "growth": _l("Growth")}
TARGET_GROUPS = {
    "participatiewet": _l("Participatiewet (social assistance)"),
    "banenafspraak": _l("Banenafspraak / target-group register"),
    "ww": _l("WW (unemployment benefit)"),
    "wia": _l("WIA/WAO (disability benefit)"),
    "zonder_uitkering": _l("Jobseekers without benefits"),
    "voortijdig_schoolverlaters": _l("Early school leavers"),
    "bol_bbl": _l("BOL/BBL pupils"),
    "vso_pro": _l("VSO/PrO pupils"),
    "statushouders": _l("Statushouders (refugees with a permit)"),
    "wga": _l("WGA (partial disability)"),
    "ioaw": _l("IOAW (older or partially disabled unemployed)"),
    "ioaz": _l("IOAZ (older former self-employed)"),
}
MATCH_STATUSES = {
    "proposed": _l("Proposed"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "changes_requested": _l("Changes requested"),
    "delivered": _l("Delivered"),
    "cancelled": _l("Cancelled"),
}
ROUTES = {
    "paid_work": _l("Paid work"),
    "labour_participation": _l("Labour participation"),
    "social_domain": _l("Social-domain contribution"),
    "social_enterprise": _l("Enterprising socially (PSO)"),
}
BLOCK_UNITS = {
    "fte_year": _l("per person-year (36 h/week)"),
    "internship_year": _l("per internship year"),
    "hour": _l("per employee-hour"),
    "day": _l("per day"),
    "euro_spent": _l("share of the amount spent"),
    "by_agreement": _l("by agreement"),
    "certificate": _l("PSO certificate"),
    "bonus": _l("bonus"),
}
DELIVERIES = {
    "immediately": _l("E-mail at once"),
    "digest": _l("In the daily e-mail"),
    "off": _l("No e-mail"),
}
ROLES = {
    "company": _l("Company"),
    "initiative": _l("Initiative"),
    "officer": _l("Officer"),
    "adviser": _l("WSP adviser"),
    "admin": _l("Admin"),
}
GOVERNMENT_KINDS = {
    "municipality": _l("Municipality"),
    "province": _l("Province"),
    "region": _l("Region"),
    "ministry": _l("Ministry"),
}
PSO_LEVELS = {
    "aspirant": _l("Aspirant"),
    "trede_1": _l("Step 1"),
    "trede_2": _l("Step 2"),
    "trede_3": _l("Step 3"),
    "30plus": _l("30+"),
}
REPORT_PERIODS = {"quarterly": _l("Quarterly"), "half_yearly": _l("Half-yearly")}
CONTRACT_KINDS = {"works": _l("Works"), "services": _l("Services"), "supplies": _l("Supplies")}
SMART_PLAN_STATUSES = {
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "changes_requested": _l("Changes requested"),
}
PROOF_KINDS = {
    "uwv_doelgroepregister": _l("UWV target-group register"),
    "benefit_letter": _l("Benefit letter from the municipality or UWV"),
    "school": _l("School statement"),
    "wsp_statement": _l("Statement of the WSP"),
}
EMPLOYMENTS = {
    "permanent": _l("Permanent contract"),
    "temporary": _l("Temporary contract"),
    "internship": _l("Internship"),
    "work_learning": _l("Work-learning place"),
}
AGE_BANDS = {"under_50": _l("Under 50"), "50_54": _l("50 to 54"), "55_plus": _l("55 or older")}
PERSON_FLAGS = {
    "statushouder_or_language": _l("Statushouder, or a language gap"),
    "after_vso_pro_internship": _l("Hired after a VSO/PrO internship of at least 6 months"),
    "occupational_disability": _l("Occupational disability (incl. IPS)"),
    "permanent_contract": _l("Permanent contract"),
}
RECOGNITION_BASES = {
    "pso_30plus": _l("PSO 30+ certificate"),
    "government_list": _l("On the government's list"),
    "social_firm_criteria": _l("Meets the social-firm criteria"),
    "sw_company": _l("SW-bedrijf (sheltered work)"),
}
RECOGNITION_STATUSES = {
    "pending": _l("Waiting for the officer"),
    "recognised": _l("Recognised"),
    "refused": _l("Not recognised"),
}
REVISION_KINDS = {
    "ended_early": _l("The placement ended early"),
    "invoiced_lower": _l("Invoiced lower"),
    "did_not_happen": _l("Did not happen"),
    "other": _l("Other"),
}
REVISION_STATUSES = {
    "proposed": _l("Waiting for the officer"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}
AUDIT_ACTIONS = {
    "match.pledged": _l("pledged"),
    "match.pledged_from_plan": _l("pledged as part of a plan"),
    "match.approved": _l("approved"),
    "match.approval_withdrawn": _l("approval undone"),
    "match.rejected": _l("rejected"),
    "match.changes_requested": _l("changes requested"),
    "match.resubmitted": _l("changed and resubmitted"),
    "match.cancelled": _l("cancelled"),
    "match.delivered": _l("delivery confirmed"),
    "match.revised": _l("revised"),
    "revision.proposed": _l("revision proposed"),
    "revision.approved": _l("revision approved"),
    "revision.rejected": _l("revision rejected"),
}


def error_text(exc: "ServiceError") -> str:
    """A service's message in the user's language (a status code in it is named in that language too)."""
    params = dict(exc.params)
    if isinstance(params.get("status"), str):
        params["status"] = str(MATCH_STATUSES.get(params["status"], params["status"])).lower()
    return gettext(exc.message, **params) if params else gettext(exc.message)


CONTRACT_STATUSES = {
    "plan_due": _l("Plan due"),
    "plan_approved": _l("Plan approved"),
    "running": _l("Running"),
    "met": _l("Met"),
    "settlement": _l("In settlement"),
    "recovery": _l("Recovery period"),
    "settled": _l("Settled"),
}
PACES = {
    "on_track": _l("On track"),
    "behind": _l("Behind"),
    "at_risk": _l("At risk"),
    "met": _l("Met"),
    "short": _l("Short"),
}
PLAN_STATUSES = {
    "draft": _l("Draft"),
    "submitted": _l("Waiting for the officer"),
    "changes_requested": _l("Changes requested"),
    "approved": _l("Approved"),
}
REPORT_STATUSES = {
    "submitted": _l("Waiting for the officer"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
}
EVIDENCE_KINDS = {
    "payslip": _l("Payslips"),
    "employer_statement": _l("Employer's statement"),
    "invoice": _l("Invoice"),
    "initiative_statement": _l("Signed statement from the initiative"),
    "other": _l("Other evidence"),
}
SETTLEMENT_KINDS = {
    "recovery": _l("Recovery period"),
    "best_effort": _l("Best effort accepted"),
    "financial": _l("Financial settlement"),
}
SETTLEMENT_METHODS = {
    "withhold": _l("Withhold from the final payment"),
    "invoice": _l("Invoice the contractor"),
}
REPORT_UNITS = {
    "months": _l("months"),
    "weeks": _l("weeks"),
    "hours": _l("hours"),
    "days": _l("days"),
    "cents": _l("euro"),
    "whole": _l("the whole activity"),
}
CHECK_REASONS = {
    "overdue_plan": _l("Plan van aanpak overdue"),
    "missing_report": _l("Report missing for the last period"),
    "behind": _l("Behind schedule or at risk"),
    "ending": _l("Ends within 60 days"),
}


def locale_code() -> str:
    """The request's locale as a code ('nl', 'en'); 'nl' outside a request. Babel's str(locale) is slow, and a
    page asks 200-500 times (every amount, date and label), so the code is kept beside the locale object."""
    return str(_kept("srx_code", lambda: str(get_locale() or "nl")))


@pass_eval_context
def _template_gettext(eval_ctx: Any, string: str, **variables: Any) -> str:
    """`_()` and `gettext()` in a template, as Jinja's new-style gettext does them, in one call instead of
    three: the translation is markup when autoescaping, the variables are escaped into it, and a `%` in it
    is always a format (Jinja's rule), so `%%` reads `%` with or without variables."""
    text = _translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_eval_context
def _template_ngettext(eval_ctx: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = _translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def install_fast_gettext(env: Any) -> None:
    """Replace Flask-Babel's template callables with ones that look the translations up once per request.

    The i18n extension's own `_`, `gettext` and `ngettext` each go through Jinja's `Context.call` three
    times per use (alias, new-style wrapper, callable); a list page uses `_()` a few hundred times. The
    extension stays installed for `{% trans %}` and `pgettext`; its three names get the one-call versions."""
    env.install_gettext_callables(
        lambda s: _translations().ugettext(s),
        lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


@lru_cache(maxsize=16)
def _wtforms_translations(code: str) -> Any:
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [code], domain="wtforms")


def _kept_wtforms_translations() -> Any:
    return _wtforms_translations(locale_code()) if _cv_app.get(None) is not None else None


def install_fast_wtforms_translations() -> None:
    """Flask-WTF reads WTForms' own catalogue (its built-in messages in Dutch) from disk on every request:
    open, parse, compile the plural rule, 15% of the login page's CPU. The catalogue does not change while
    the process runs, so it is loaded once per locale. Flask-WTF looks `_get_translations` up by name on
    each call, so replacing it there is enough; `Translations.gettext` and `ngettext` stay Flask-WTF's."""
    import flask_wtf.i18n

    flask_wtf.i18n._get_translations = _kept_wtforms_translations
