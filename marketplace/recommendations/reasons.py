"""The recommender's reasons as sentences in the reader's language: a table of templates.

Each reason code has four templates: raised or lowered the score, for a company ("you") or an officer
("the company"). Placeholders come from the reason's params; themes and routes are named in the reader's
language.
"""

from typing import Any

from flask_babel import gettext

from matching import Reason

from .. import i18n
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
    "fills_share": (
        N_("Fills %(pct)s%% of what you still owe"),
        N_("Covers only %(pct)s%% of what you still owe"),
        N_("Fills %(pct)s%% of what the company still owes"),
        N_("Covers only %(pct)s%% of what the company still owes"),
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
}

# Params that are codes, named in the reader's language; everything else is shown as given ("?" if missing).
_NAMED = {"theme": i18n.THEMES, "route": i18n.ROUTES}
_PLAIN = ("government", "km", "pct", "approved", "n")


def reason_text(reason: Reason, *, for_officer: bool = False) -> str:
    """A reason as a sentence in the reader's language; companies read "you", officers "the company"."""
    templates = TEMPLATES.get(reason.code)
    if templates is None:
        return reason.text
    index = (2 if for_officer else 0) + (0 if reason.contribution >= 0 else 1)
    params: dict[str, Any] = {name: reason.params.get(name, "?") for name in _PLAIN}
    for name, labels in _NAMED.items():
        code = str(reason.params.get(name, ""))
        params[name] = str(labels.get(code, code))
    return gettext(templates[index], **params)
