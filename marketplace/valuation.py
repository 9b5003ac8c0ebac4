"""Building-block valuation: exact integer cents, reproducible from the table version.

Pure functions over plain data; no Flask, no database. A value is computed once, when a
pledge is made, from the contract's frozen table version, and stored with its breakdown.

Rounding: every fraction is rounded half up to whole cents, once per line.
"""

from dataclasses import dataclass, field
from typing import Any

FULL_TIME_HOURS = 36
MAX_HOURS_PER_WEEK = 40
MAX_PERSONS = 1_000
MAX_MONTHS = 120
MAX_WEEKS = 52
MAX_HOURS = 1_000_000
MAX_DAYS = 10_000
MAX_CENTS = 100_000_000_000  # one billion euro: anything above is a typo, not a pledge


class ValuationError(ValueError):
    """Input that cannot be valued; `field` names the form field to blame."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Block:
    code: str
    label: str
    unit: str
    value_cents: int | None = None
    percentage_bp: int | None = None
    max_months: int | None = None
    route: str = ""
    target_group: str | None = None
    # The value per unit is a maximum; the officer sets the value up to it when approving.
    at_most: bool = False
    # {"min_age": 50 | 55, "requires": [person flags], "target_groups": [...]} (person blocks and bonuses)
    conditions: dict[str, Any] = field(default_factory=dict)


AGE_OF_BAND = {"under_50": 0, "50_54": 50, "55_plus": 55}


@dataclass(frozen=True)
class Person:
    """What a placement says about the person, as far as blocks and bonuses ask (no name, no birth date)."""

    target_group: str
    age_band: str = "under_50"
    flags: frozenset[str] = frozenset()

    def meets(self, conditions: dict[str, Any]) -> bool:
        """Whether this person meets a block's or bonus's conditions."""
        min_age = conditions.get("min_age")
        if min_age and AGE_OF_BAND.get(self.age_band, 0) < int(min_age):
            return False
        groups = conditions.get("target_groups")
        if groups and self.target_group not in groups:
            return False
        return all(flag in self.flags for flag in conditions.get("requires") or ())


@dataclass(frozen=True)
class PledgeInput:
    quantity: int
    hours_per_week: int | None = None
    months: int | None = None
    weeks: int | None = None
    bonuses: tuple[str, ...] = ()
    agreed_value_cents: int | None = None
    # For a placement (one person): who it is, as far as the table asks; bonuses then follow from it.
    person: Person | None = None


@dataclass(frozen=True)
class Line:
    """One line of a breakdown; `kind` lets the UI render it in the user's language."""

    kind: str  # base | bonus | cap | percentage | agreement | certificate
    label: str
    value_cents: int
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "value_cents": self.value_cents,
            "params": self.params,
        }


@dataclass(frozen=True)
class Valuation:
    value_cents: int
    lines: tuple[Line, ...]

    def breakdown(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self.lines]


def round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half up (inputs are never negative here)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _require_int(name: str, value: int | None, low: int, high: int) -> int:
    if value is None:
        raise ValuationError(name, "This field is required.")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValuationError(name, "Enter a whole number.")
    if value < low or value > high:
        raise ValuationError(name, "Enter a number from %(low)s to %(high)s.", low=low, high=high)
    return value


def value_pledge(
    block: Block,
    pledge: PledgeInput,
    *,
    bonuses: dict[str, Block] | None = None,
    obligation_cents: int = 0,
    pso_reduction_bp: int | None = None,
    group_caps: dict[str, int | None] | None = None,
) -> Valuation:
    """Value one pledge against a building block; raises ValuationError on bad input.

    A placement (``pledge.person``) is one person: the block must fit the person's target group and
    conditions, the months count up to the block's cap and the table's cap for the target group, and
    every bonus of the table whose conditions the person meets is added, per person. Bonuses cannot be
    chosen by hand.
    """
    bonuses = bonuses or {}
    unit = block.unit
    if unit == "bonus":
        raise ValuationError("block", "A bonus adds to an employment block and cannot be pledged alone.")
    if pledge.bonuses:
        raise ValuationError("bonuses", "Bonuses follow from the person: register the placement.")
    if unit in ("fte_year", "internship_year") and pledge.person is not None:
        _check_person(block, pledge.person)
    if unit == "fte_year":
        return _value_fte(block, pledge, bonuses, group_caps or {})
    if unit == "internship_year":
        persons = _require_int("quantity", pledge.quantity, 1, 1 if pledge.person else MAX_PERSONS)
        weeks = _require_int("weeks", pledge.weeks, 1, MAX_WEEKS * 10 if pledge.person else MAX_WEEKS)
        unit_value = _unit_value(block)
        value = round_div(unit_value * persons * weeks, 52)
        return Valuation(
            value,
            (
                Line(
                    "base",
                    block.label,
                    value,
                    {"persons": persons, "weeks": weeks, "unit_value_cents": unit_value},
                ),
            ),
        )
    if unit in ("hour", "day"):
        limit = MAX_HOURS if unit == "hour" else MAX_DAYS
        qty = _require_int("quantity", pledge.quantity, 1, limit)
        unit_value = _unit_value(block)
        value = unit_value * qty
        if block.at_most:
            # "At most EUR 1,000 a day": the most it can be worth; the officer sets the value when approving.
            params = {"quantity": qty, "unit": unit, "max_cents": unit_value, "agreed": False}
            return Valuation(value, (Line("at_most", block.label, value, params),))
        return Valuation(
            value,
            (
                Line(
                    "base",
                    block.label,
                    value,
                    {"quantity": qty, "unit": unit, "unit_value_cents": unit_value},
                ),
            ),
        )
    if unit == "euro_spent":
        amount = _require_int("quantity", pledge.quantity, 1, MAX_CENTS)
        bp = block.percentage_bp if block.percentage_bp is not None else 10_000
        value = round_div(amount * bp, 10_000)
        return Valuation(
            value, (Line("percentage", block.label, value, {"amount_cents": amount, "percentage_bp": bp}),)
        )
    if unit == "by_agreement":
        estimate = _require_int("quantity", pledge.quantity, 1, MAX_CENTS)
        if pledge.agreed_value_cents is not None:
            agreed = _require_int("agreed_value_cents", pledge.agreed_value_cents, 0, MAX_CENTS)
            return Valuation(
                agreed,
                (Line("agreement", block.label, agreed, {"estimate_cents": estimate, "agreed": True}),),
            )
        return Valuation(
            estimate,
            (Line("agreement", block.label, estimate, {"estimate_cents": estimate, "agreed": False}),),
        )
    if unit == "certificate":
        _require_int("quantity", pledge.quantity, 1, 1)
        if pso_reduction_bp is None:
            raise ValuationError(
                "block", "This government does not count a PSO certificate for this company's level."
            )
        value = round_div(obligation_cents * pso_reduction_bp, 10_000)
        params = {"obligation_cents": obligation_cents, "percentage_bp": pso_reduction_bp}
        return Valuation(value, (Line("certificate", block.label, value, params),))
    raise ValuationError("block", "Unknown building-block unit.")


def _unit_value(block: Block) -> int:
    if block.value_cents is None:
        raise ValuationError("block", "This building block has no value per unit.")
    return block.value_cents


def _check_person(block: Block, person: Person) -> None:
    """A person block counts only for the target group and conditions it names."""
    if block.target_group and block.target_group != person.target_group:
        raise ValuationError(
            "target_group",
            "This building block is for another target group (%(group)s).",
            group=block.target_group,
        )
    if block.conditions and not person.meets(block.conditions):
        raise ValuationError("block", "The person does not meet the conditions of this building block.")


def month_cap(block: Block, target_group: str | None, group_caps: dict[str, int | None]) -> int | None:
    """The most months a candidate counts.

    The block's own cap (Haaglanden's BBL: 24 or 36 months) is the specific rule and takes the place of the
    table's general cap ("*", 12 months there). A cap the table names for the target group still applies
    beside it; a group named without a number counts without limit.
    """
    if target_group in group_caps:
        named = group_caps[target_group]
        caps = [c for c in (block.max_months, named) if c]
        return min(caps) if caps else None
    if block.max_months:
        return block.max_months
    default = group_caps.get("*")
    return int(default) if default else None


def _value_fte(
    block: Block, pledge: PledgeInput, bonuses: dict[str, Block], group_caps: dict[str, int | None]
) -> Valuation:
    """Person-years at 36 h/week, pro rata for hours and months, capped at the block's and group's months."""
    person = pledge.person
    persons = _require_int("quantity", pledge.quantity, 1, 1 if person else MAX_PERSONS)
    hours = _require_int("hours_per_week", pledge.hours_per_week, 1, MAX_HOURS_PER_WEEK)
    months = _require_int("months", pledge.months, 1, MAX_MONTHS)
    cap = month_cap(block, person.target_group if person else block.target_group, group_caps)
    counted = min(months, cap) if cap else months
    # Hours above full time do not count extra: a person-year is 36 h/week.
    counted_hours = min(hours, FULL_TIME_HOURS)
    denominator = FULL_TIME_HOURS * 12
    lines: list[Line] = []
    unit_value = _unit_value(block)
    share = persons * counted_hours * counted
    base = round_div(unit_value * share, denominator)
    params = {
        "persons": persons,
        "hours_per_week": counted_hours,
        "months": counted,
        "unit_value_cents": unit_value,
    }
    lines.append(Line("base", block.label, base, params))
    if counted < months:
        lines.append(Line("cap", block.label, 0, {"months": months, "max_months": cap}))
    if person is not None:
        for code in sorted(bonuses):
            bonus = bonuses[code]
            if bonus.unit != "bonus" or not person.meets(bonus.conditions):
                continue
            bonus_value = round_div(_unit_value(bonus) * share, denominator)
            lines.append(
                Line(
                    "bonus",
                    bonus.label,
                    bonus_value,
                    {**params, "unit_value_cents": bonus.value_cents, "code": code},
                )
            )
    return Valuation(sum(line.value_cents for line in lines), tuple(lines))
