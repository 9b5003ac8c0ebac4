"""Plain data types of the matching library.

The marketplace builds these from its database and hands them in; the library only returns numbers and
these dataclasses. Nothing here knows about Flask, SQLModel or the marketplace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .sectors import sector_label

THEMES: tuple[str, ...] = (
    "werk",
    "armoedebestrijding",
    "gezondheidsbevordering",
    "participatie",
    "onderwijs",
    "gezond_opgroeien",
)
ROUTES: tuple[str, ...] = ("paid_work", "labour_participation", "social_domain", "social_enterprise")
NEED_KINDS: tuple[str, ...] = ("money", "hours", "expertise", "goods", "internship", "job", "purchase")
NEED_KIND_LABELS_EN: Mapping[str, str] = {
    "money": "money",
    "hours": "hours",
    "expertise": "expertise",
    "goods": "goods",
    "internship": "internship",
    "job": "job",
    "purchase": "purchase",
}

THEME_LABELS_EN: Mapping[str, str] = {
    "werk": "work",
    "armoedebestrijding": "poverty reduction",
    "gezondheidsbevordering": "health promotion",
    "participatie": "participation",
    "onderwijs": "education",
    "gezond_opgroeien": "growing up healthy",
}
ROUTE_LABELS_EN: Mapping[str, str] = {
    "paid_work": "paid work",
    "labour_participation": "labour participation",
    "social_domain": "social-domain contribution",
    "social_enterprise": "enterprising more socially",
}


@dataclass(frozen=True)
class ContractContext:
    """The contract a company wants to fulfil, with what the recommender needs to know about it."""

    contract_id: int
    government: str  # slug, e.g. "amsterdam"
    government_name: str  # "Amsterdam", used in reasons
    priority_themes: tuple[str, ...]  # the government's priority themes
    route_order: tuple[str, ...]  # the government's preferred route order, first = most preferred
    company_key: str  # company KvK number (group key)
    company_interests: tuple[str, ...]  # themes the company cares about
    company_profile: str  # free text
    lat: float | None
    lon: float | None
    obligation_cents: int
    remaining_cents: int
    as_of: datetime  # "now" for the approval-rate cut-off
    company_sector: str = ""  # SBI section code of the company (matching.sectors.SECTORS), "" when unknown


@dataclass(frozen=True)
class Candidate:
    """An open need of an initiative, or a social firm to buy from, that could count for the contract."""

    id: str  # "need:12" or "initiative:3" (a social firm for a purchase)
    initiative_slug: str
    initiative_name: str
    need_id: int | None
    kind: str  # need kind: money, hours, expertise, goods, internship, job, purchase
    route: str  # one of ROUTES (route of the building block that values it)
    title: str
    text: str
    themes: tuple[str, ...]
    handprint: Mapping[str, int]  # theme -> 0..100
    lat: float | None
    lon: float | None
    open_value_cents: int  # what the open capacity would be worth under the contract's table
    unit_value_cents: int  # value of one unit of the need (e.g. one hour = 10000)
    open_units: int  # open capacity in units
    search_score: float = 0.0  # backend relevance, any scale >= 0 (normalised within the candidate set)


@dataclass(frozen=True)
class DecisionRecord:
    """One officer decision on a proposed match: training data and the source of approval rates."""

    decided_at: datetime
    government: str
    contract_reference: str
    company_key: str
    initiative_slug: str
    need_id: int | None
    route: str
    approved: bool
    features: Mapping[str, float] | None = None  # features shown at decision time, when stored
    need_kind: str = ""  # the pledged need's kind (NEED_KINDS; "purchase" for a social firm), "" when unknown
    company_sector: str = ""  # the company's SBI section code at decision time, "" when unknown
    # Graded gain for evaluation when the data has one (e.g. 2 approved and delivered, 1 approved, 0 rejected;
    # or a known approval chance in synthetic data). None: 1 when approved, else 0.
    gain: float | None = None

    @property
    def relevance(self) -> float:
        """The gain evaluation uses for this decision: ``gain`` when set, else 1 approved / 0 rejected."""
        return float(self.gain) if self.gain is not None else (1.0 if self.approved else 0.0)


# English defaults for Reason.text; the marketplace translates (code, params) itself.
_POSITIVE_TEXT: Mapping[str, str] = {
    "priority_theme": "Serves {theme_label}, a priority theme of {government}",
    "company_interest": "Matches your interest in {theme_label}",
    "text_fit": "Its description fits your company profile ({pct}% similar)",
    "distance": "Close to your site ({km} km)",
    "fills_share": "Fills {pct}% of your remaining obligation",
    "route_preference": "{route_label} is a preferred route of {government}",
    "search_relevance": "Strong match for your search ({pct}%)",
    "approval_rate": "{government} approved {approved} of {n} earlier pledges to this initiative",
    "overshoot": "Fits within what you still owe",
    "company_kind_rate": "Officers approved {approved} of {n} of your earlier {kind_label} pledges",
    "sector_kind_rate": "Officers approved {approved} of {n} {kind_label} pledges from companies in your sector"
    " ({sector_label})",
    "company_route_rate": "Officers approved {approved} of {n} of your earlier pledges by way of {route_text}",
    "sector_route_rate": "Officers approved {approved} of {n} pledges by way of {route_text} from companies"
    " in your sector ({sector_label})",
    "need_kind": "Officers often approve {kind_label} pledges",
    "route_kind": "Officers often approve contributions by way of {route_text}",
}
_NEGATIVE_TEXT: Mapping[str, str] = {
    "priority_theme": "Does not serve a priority theme of {government}",
    "company_interest": "Outside your company's stated interests",
    "text_fit": "Its description has little in common with your company profile",
    "distance": "Far from your site ({km} km)",
    "fills_share": "Covers only {pct}% of your remaining obligation",
    "route_preference": "{route_label} is a less preferred route of {government}",
    "search_relevance": "Weak match for your search ({pct}%)",
    "approval_rate": "{government} approved only {approved} of {n} earlier pledges to this initiative",
    "overshoot": "Worth {ratio} times what you still owe: officers turn down pledges far above it",
    "company_kind_rate": "Officers approved only {approved} of {n} of your earlier {kind_label} pledges",
    "sector_kind_rate": "Officers approved only {approved} of {n} {kind_label} pledges from companies in your"
    " sector ({sector_label})",
    "company_route_rate": "Officers approved only {approved} of {n} of your earlier pledges by way of"
    " {route_text}",
    "sector_route_rate": "Officers approved only {approved} of {n} pledges by way of {route_text} from"
    " companies in your sector ({sector_label})",
    "need_kind": "Officers seldom approve {kind_label} pledges",
    "route_kind": "Officers seldom approve contributions by way of {route_text}",
}


@dataclass(frozen=True)
class Reason:
    """Why a candidate ranks where it does: one feature's signed contribution to the score.

    ``code`` and ``params`` are stable and meant for translation by the marketplace; ``text`` is an
    English default. A negative ``contribution`` means the feature lowered the score.
    """

    code: str
    params: Mapping[str, Any]
    contribution: float

    @property
    def positive(self) -> bool:
        return self.contribution >= 0

    @property
    def text(self) -> str:
        table = _POSITIVE_TEXT if self.positive else _NEGATIVE_TEXT
        template = table.get(self.code)
        if template is None:
            return self.code.replace("_", " ")
        values: dict[str, Any] = {
            "government": "the government",
            "km": "?",
            "pct": "?",
            "approved": "?",
            "n": "?",
            "ratio": "?",
            "kind": "?",
            "sector": "",
        }
        values.update(self.params)
        theme = values.get("theme")
        values.setdefault("theme_label", THEME_LABELS_EN.get(str(theme), str(theme)))
        route = values.get("route")
        route_text = ROUTE_LABELS_EN.get(str(route), str(route))
        values.setdefault("route_label", route_text.capitalize())
        values.setdefault("route_text", route_text)
        kind = values.get("kind")
        values.setdefault("kind_label", NEED_KIND_LABELS_EN.get(str(kind), str(kind)))
        values.setdefault("sector_label", sector_label(str(values.get("sector", "")), "en") or "unknown")
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return self.code.replace("_", " ")


@dataclass(frozen=True)
class Recommendation:
    candidate: Candidate
    score: float  # 0..1
    features: Mapping[str, float]
    reasons: tuple[Reason, ...]  # 2-3 strongest positive reasons (plus at most one negative if strong)
    rank: int = 0  # 1-based position in the returned list
    scorer: str = "prior"  # "prior" or "model"
    contributions: Mapping[str, float] = field(default_factory=dict)
