"""The recommender's reasons as sentences in the reader's language: a table of templates.

Each reason code of `matching.scorer` has four templates: raised or lowered the score, for a company ("you") or
an officer ("the company"). Placeholders come from the reason's params: themes, need kinds, routes and the
company's SBI section are named in the reader's language, amounts and ratios are written in its notation.
"""

from typing import Any

from flask_babel import get_locale

from marketplace.i18n import gettext
from matching import Reason, sector_label

from .. import formatting, i18n
from ..services.errors import N_

# code -> (raises, lowers) for companies, then (raises, lowers) for officers.
TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "priority_theme": (
        N_("Serves '%(theme)s', a priority theme of %(government)s"),
        N_("Does not serve a priority theme of %(government)s"),
        N_("Serves '%(theme)s', a priority theme of %(government)s"),
        N_("Does not serve a priority theme of %(government)s"),
    ),
    "company_interest": (
        N_("Matches your interest in '%(theme)s'"),
        N_("Outside your company's stated interests"),
        N_("Fits the company's interest in '%(theme)s'"),
        N_("Outside the company's stated interests"),
    ),
    "text_fit": (
        N_("Fits your company profile"),
        N_("Has little in common with your company profile"),
        N_("Fits the company's profile"),
        N_("Has little in common with the company's profile"),
    ),
    "distance": (
        N_("%(km)s km from your site"),
        N_("Far from your site (%(km)s km)"),
        N_("%(km)s km from the company's site"),
        N_("Far from the company's site (%(km)s km)"),
    ),
    # pct is the share it can fill (at most 100); a candidate worth all that is owed or more: FILLS_ALL.
    "fills_share": (
        N_("Worth %(value)s, %(pct)s%% of what you still owe"),
        N_("Worth %(value)s, only %(pct)s%% of what you still owe"),
        N_("Worth %(value)s, %(pct)s%% of what the company still owes"),
        N_("Worth %(value)s, only %(pct)s%% of what the company still owes"),
    ),
    "overshoot": (
        N_("Fits within what you still owe"),
        N_("Worth %(ratio)s times what you still owe; officers turn down pledges far above it"),
        N_("Fits within what the company still owes"),
        N_("Worth %(ratio)s times what the company still owes"),
    ),
    "route_preference": (
        N_("%(route)s is a preferred route of %(government)s"),
        N_("%(route)s is a less preferred route of %(government)s"),
        N_("%(route)s is a preferred route of %(government)s"),
        N_("%(route)s is a less preferred route of %(government)s"),
    ),
    "search_relevance": (
        N_("Strong match for the search"),
        N_("Weak match for the search"),
        N_("Strong match for the search"),
        N_("Weak match for the search"),
    ),
    "approval_rate": (
        N_("Officers often approve pledges like this (%(approved)s of %(n)s)"),
        N_("Officers seldom approved pledges like this (%(approved)s of %(n)s)"),
        N_("Officers often approve pledges like this (%(approved)s of %(n)s)"),
        N_("Officers seldom approved pledges like this (%(approved)s of %(n)s)"),
    ),
    # What a company, and companies of its sector, deliver well: counts over every government's officers.
    "company_kind_rate": (
        N_("Officers approved %(approved)s of your %(n)s earlier pledges of the kind '%(kind)s'"),
        N_("Officers approved only %(approved)s of your %(n)s earlier pledges of the kind '%(kind)s'"),
        N_("Officers approved %(approved)s of the company's %(n)s earlier pledges of the kind '%(kind)s'"),
        N_(
            "Officers approved only %(approved)s of the company's %(n)s earlier pledges of the kind '%(kind)s'"
        ),
    ),
    "sector_kind_rate": (
        N_(
            "Officers approved %(approved)s of %(n)s pledges of the kind '%(kind)s' from companies in your "
            "sector (%(sector)s)"
        ),
        N_(
            "Officers approved only %(approved)s of %(n)s pledges of the kind '%(kind)s' from companies in "
            "your sector (%(sector)s)"
        ),
        N_(
            "Officers approved %(approved)s of %(n)s pledges of the kind '%(kind)s' from companies in the "
            "company's sector (%(sector)s)"
        ),
        N_(
            "Officers approved only %(approved)s of %(n)s pledges of the kind '%(kind)s' from companies in "
            "the company's sector (%(sector)s)"
        ),
    ),
    "company_route_rate": (
        N_("Officers approved %(approved)s of your %(n)s earlier contributions by way of '%(route)s'"),
        N_("Officers approved only %(approved)s of your %(n)s earlier contributions by way of '%(route)s'"),
        N_(
            "Officers approved %(approved)s of the company's %(n)s earlier contributions by way of '%(route)s'"
        ),
        N_(
            "Officers approved only %(approved)s of the company's %(n)s earlier contributions by way of "
            "'%(route)s'"
        ),
    ),
    "sector_route_rate": (
        N_(
            "Officers approved %(approved)s of %(n)s contributions by way of '%(route)s' from companies in "
            "your sector (%(sector)s)"
        ),
        N_(
            "Officers approved only %(approved)s of %(n)s contributions by way of '%(route)s' from companies "
            "in your sector (%(sector)s)"
        ),
        N_(
            "Officers approved %(approved)s of %(n)s contributions by way of '%(route)s' from companies in "
            "the company's sector (%(sector)s)"
        ),
        N_(
            "Officers approved only %(approved)s of %(n)s contributions by way of '%(route)s' from companies "
            "in the company's sector (%(sector)s)"
        ),
    ),
    # The learned model's own effect of a need kind or a route, all else equal.
    "need_kind": (
        N_("Officers often approve pledges of the kind '%(kind)s'"),
        N_("Officers seldom approve pledges of the kind '%(kind)s'"),
        N_("Officers often approve pledges of the kind '%(kind)s'"),
        N_("Officers seldom approve pledges of the kind '%(kind)s'"),
    ),
    "route_kind": (
        N_("Officers often approve contributions by way of '%(route)s'"),
        N_("Officers seldom approve contributions by way of '%(route)s'"),
        N_("Officers often approve contributions by way of '%(route)s'"),
        N_("Officers seldom approve contributions by way of '%(route)s'"),
    ),
}
# fills_share when the candidate is worth all that is still owed, or more: for a company, then an officer.
FILLS_ALL = (
    N_("Worth %(value)s: covers all you still owe"),
    N_("Worth %(value)s: covers all the company still owes"),
)

# Params that are codes, named in the reader's language; everything else is shown as given ("?" if missing).
_NAMED = {"theme": i18n.THEMES, "route": i18n.ROUTES, "kind": i18n.NEED_KINDS}
_PLAIN = ("government", "km", "pct", "approved", "n")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "nl"


def reason_text(reason: Reason, *, for_officer: bool = False) -> str:
    """A reason as a sentence in the reader's language; companies read "you", officers "the company"."""
    templates = TEMPLATES.get(reason.code)
    if templates is None:
        return reason.text
    raises = reason.contribution >= 0
    template = templates[(2 if for_officer else 0) + (0 if raises else 1)]
    params: dict[str, Any] = {name: reason.params.get(name, "?") for name in _PLAIN}
    for name, labels in _NAMED.items():
        code = str(reason.params.get(name, ""))
        params[name] = str(labels.get(code, code))
    ratio = reason.params.get("ratio")
    params["ratio"] = formatting.decimal(ratio) if isinstance(ratio, int | float) else "?"
    value = reason.params.get("value_cents")
    params["value"] = formatting.money(value, whole=True) if isinstance(value, int) else "?"
    params["sector"] = sector_label(str(reason.params.get("sector", "")), _language()) or "?"
    pct = reason.params.get("pct")
    if reason.code == "fills_share" and raises and isinstance(pct, int | float) and pct >= 100:
        template = FILLS_ALL[1 if for_officer else 0]
    return gettext(template, **params)
