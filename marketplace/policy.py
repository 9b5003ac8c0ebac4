"""A government's social-return policy and the obligation it puts on one contract.

Pure: no Flask, no database. A contract freezes the whole policy at award (``Policy.as_dict`` is stored on
it), so a later change of the government's policy never changes an awarded contract's obligation.

Every published variant of domain.md is a parameter here:

- percentage of a basis: the contract sum, the labour component, or a fixed amount;
- a threshold per contract kind (Schiedam: services and supplies from EUR 125,000, works from EUR 225,000);
- a minimum term (Rijk: 6 months);
- a lower percentage when the labour component is under a share of the sum (Leidschendam-Voorburg: 2% under 30%);
- a cap per contract (Súdwest-Fryslân: EUR 300,000) and a minimum per contract year;
- the small-contract rule (one social activity, with a minimum value and accepted kinds);
- PSO discounts per level, the route ladder, route regions, routes that need a SMART plan first;
- the plan deadline, the reporting period and the recovery period for the lifecycle.

When the obligation cannot be computed (for example: a labour-component basis and no labour component), the
result says why, and nothing can be pledged on the contract until an officer completes it.
"""

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from .valuation import round_div

CONTRACT_KINDS = ("works", "services", "supplies")
ROUTES = ("paid_work", "labour_participation", "social_domain", "social_enterprise")
REPORT_PERIODS = ("quarterly", "half_yearly")


class Basis(StrEnum):
    CONTRACT_SUM = "contract_sum"
    LABOUR_COMPONENT = "labour_component"
    FIXED_AMOUNT = "fixed_amount"


class SmallRule(StrEnum):
    ONE_SOCIAL_ACTIVITY = "one_social_activity"
    NONE = "none"


@dataclass(frozen=True)
class Policy:
    percentage_bp: int = 500
    # Contracts from this sum carry the percentage; per contract kind, `threshold_cents` for kinds not listed.
    threshold_cents: int = 0
    thresholds_by_kind: dict[str, int] = field(default_factory=dict)
    min_term_months: int | None = None
    cap_cents: int | None = None
    basis: str = Basis.CONTRACT_SUM
    fixed_amount_cents: int | None = None
    # Under this labour share (basis points of the sum) the lower percentage applies (both or neither set).
    low_labour_share_bp: int | None = None
    low_labour_percentage_bp: int | None = None
    # At least this much per (started) contract year.
    annual_minimum_cents: int | None = None
    small_contract_rule: str = SmallRule.ONE_SOCIAL_ACTIVITY
    # A social activity on a small contract counts from this value, and only of these routes (empty: any).
    small_activity_min_cents: int = 0
    small_activity_routes: tuple[str, ...] = ()
    pso_discount_bp: dict[str, int] = field(default_factory=dict)
    route_order: tuple[str, ...] = ROUTES
    # Route -> the neighbourhoods (stadsdelen) where its contributions must land (Amsterdam's route 3).
    route_regions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Routes whose contributions need an approved SMART plan first (Amsterdam's route 3).
    smart_plan_routes: tuple[str, ...] = ()
    priority_themes: tuple[str, ...] = ()
    plan_deadline_days: int = 7
    report_period: str = "quarterly"
    recovery_days: int = 90

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; tuples become lists."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        out["route_regions"] = {k: list(v) for k, v in self.route_regions.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Policy":
        """Inverse of as_dict; unknown keys are ignored, missing ones take the defaults."""
        data = dict(data or {})
        known = {f for f in cls.__dataclass_fields__}
        kw: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        for name in ("small_activity_routes", "route_order", "smart_plan_routes", "priority_themes"):
            if name in kw and kw[name] is not None:
                kw[name] = tuple(kw[name])
        if "route_regions" in kw:
            kw["route_regions"] = {k: tuple(v) for k, v in (kw["route_regions"] or {}).items()}
        for name in ("thresholds_by_kind", "pso_discount_bp"):
            if name in kw:
                kw[name] = {k: int(v) for k, v in (kw[name] or {}).items()}
        return cls(**kw)

    def threshold_for(self, kind: str) -> int:
        return self.thresholds_by_kind.get(kind, self.threshold_cents)


class ObligationState(StrEnum):
    AMOUNT = "amount"  # a sum in euro
    SMALL = "small"  # below the threshold: the small-contract rule applies
    NONE = (
        "none"  # no obligation (below the threshold without a small rule, or shorter than the minimum term)
    )
    INCOMPLETE = "incomplete"  # cannot be computed: `missing` says what an officer must complete


@dataclass(frozen=True)
class ContractFacts:
    """What the obligation depends on, taken from the contract."""

    sum_cents: int
    kind: str
    award_date: date
    end_date: date
    labour_component_cents: int | None = None


@dataclass(frozen=True)
class Obligation:
    state: ObligationState
    amount_cents: int = 0
    # How it was reached, in order, as codes with params (the page says them in words).
    steps: tuple[tuple[str, dict[str, Any]], ...] = ()
    missing: str | None = None  # the contract field an officer must complete

    @property
    def computable(self) -> bool:
        return self.state != ObligationState.INCOMPLETE


def term_months(start: date, end: date) -> int:
    """Whole months from the first to the last day, both included: 1 Jan-31 Dec is 12, 15 Jan-14 Jul is 6,
    1 Mar 2025-1 Mar 2027 is 24. A started month that is not complete does not count."""
    after = date.fromordinal(end.toordinal() + 1)  # the first day no longer in the period
    months = (
        (after.year - start.year) * 12 + (after.month - start.month) - (1 if after.day < start.day else 0)
    )
    return max(0, months)


def obligation(policy: Policy, facts: ContractFacts) -> Obligation:
    """The contract's obligation under the policy frozen at its award, with the steps that led to it."""
    steps: list[tuple[str, dict[str, Any]]] = []
    threshold = policy.threshold_for(facts.kind)
    if facts.sum_cents < threshold:
        if policy.small_contract_rule == SmallRule.ONE_SOCIAL_ACTIVITY:
            steps.append(("below_threshold_small", {"threshold_cents": threshold, "kind": facts.kind}))
            return Obligation(ObligationState.SMALL, 0, tuple(steps))
        steps.append(("below_threshold_none", {"threshold_cents": threshold, "kind": facts.kind}))
        return Obligation(ObligationState.NONE, 0, tuple(steps))
    months = term_months(facts.award_date, facts.end_date)
    if policy.min_term_months and months < policy.min_term_months:
        steps.append(("below_min_term", {"months": months, "min_months": policy.min_term_months}))
        return Obligation(ObligationState.NONE, 0, tuple(steps))

    if policy.basis == Basis.FIXED_AMOUNT:
        if policy.fixed_amount_cents is None:
            return Obligation(ObligationState.INCOMPLETE, 0, (("fixed_amount_missing", {}),), "fixed_amount")
        amount = policy.fixed_amount_cents
        steps.append(("fixed_amount", {"amount_cents": amount}))
    else:
        needs_labour = policy.basis == Basis.LABOUR_COMPONENT or policy.low_labour_share_bp is not None
        if needs_labour and facts.labour_component_cents is None:
            code = (
                "labour_component_missing"
                if policy.basis == Basis.LABOUR_COMPONENT
                else "labour_share_unknown"
            )
            return Obligation(ObligationState.INCOMPLETE, 0, ((code, {}),), "labour_component_cents")
        pct = policy.percentage_bp
        if policy.low_labour_share_bp is not None and facts.labour_component_cents is not None:
            share_bp = round_div(facts.labour_component_cents * 10_000, max(1, facts.sum_cents))
            if facts.labour_component_cents * 10_000 < policy.low_labour_share_bp * facts.sum_cents:
                pct = policy.low_labour_percentage_bp if policy.low_labour_percentage_bp is not None else pct
                steps.append(
                    (
                        "low_labour_share",
                        {"share_bp": share_bp, "limit_bp": policy.low_labour_share_bp, "percentage_bp": pct},
                    )
                )
        base = facts.labour_component_cents if policy.basis == Basis.LABOUR_COMPONENT else facts.sum_cents
        assert base is not None
        amount = round_div(base * pct, 10_000)
        steps.append(
            (
                "percentage",
                {"basis": policy.basis, "base_cents": base, "percentage_bp": pct, "amount_cents": amount},
            )
        )
    if policy.annual_minimum_cents:
        years = max(1, -(-months // 12))
        floor = policy.annual_minimum_cents * years
        if amount < floor:
            amount = floor
            steps.append(
                (
                    "annual_minimum",
                    {"per_year_cents": policy.annual_minimum_cents, "years": years, "amount_cents": amount},
                )
            )
    if policy.cap_cents is not None and amount > policy.cap_cents:
        amount = policy.cap_cents
        steps.append(("cap", {"cap_cents": policy.cap_cents}))
    return Obligation(ObligationState.AMOUNT, amount, tuple(steps))
