"""Template filters: money in euro, quantities in their unit, dates, in the user's locale."""

import math
from datetime import date
from functools import lru_cache
from typing import Any

from babel import dates as babel_dates
from babel.numbers import format_currency as babel_currency
from flask_babel import format_decimal

from . import i18n
from .i18n import gettext, locale_code, ngettext


def money(cents: int | None, *, whole: bool = False) -> str:
    if cents is None:
        return "—"
    return _money(locale_code(), cents, whole and cents % 100 == 0)


@lru_cache(maxsize=8192)
def _money(locale: str, cents: int, whole: bool) -> str:
    """A page shows the same amounts many times (totals, lines, cards): Babel formats each one once."""
    if whole:
        return babel_currency(cents / 100, "EUR", format="¤ #,##0", currency_digits=False, locale=locale)
    return babel_currency(cents / 100, "EUR", locale=locale)


def quantity(value: int | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "cents":
        return money(value)
    if unit == "hours":
        return ngettext("%(n)s hour", "%(n)s hours", value, n=format_decimal(value))
    if unit == "days":
        return ngettext("%(n)s day", "%(n)s days", value, n=format_decimal(value))
    if unit in ("places", "persons"):
        return ngettext("%(n)s place", "%(n)s places", value, n=format_decimal(value))
    return f"{format_decimal(value)} {i18n.NEED_UNITS.get(unit, unit)}"


def block_quantity(value: int | None, unit: str) -> str:
    """A pledge's quantity in its building block's unit: '10 hours', '2 persons', '€ 12.000,00'."""
    if value is None:
        return "—"
    if unit in ("euro_spent", "by_agreement"):
        return money(value)
    if unit == "hour":
        return quantity(value, "hours")
    if unit == "day":
        return quantity(value, "days")
    if unit == "fte_year":
        return ngettext("%(n)s person", "%(n)s persons", value, n=format_decimal(value))
    if unit == "internship_year":
        return ngettext("%(n)s intern", "%(n)s interns", value, n=format_decimal(value))
    return format_decimal(value)


def percent(basis_points: int | None) -> str:
    """Basis points as a percentage in the user's notation: 500 -> '5%', 1250 -> '12,5%' in Dutch."""
    if basis_points is None:
        return "—"
    return format_decimal(basis_points / 100, format="#,##0.##") + "%"


def label(mapping: str, code: str | None) -> str:
    if code is None:
        return ""
    return _label(locale_code(), mapping, code)


@lru_cache(maxsize=4096)
def _label(locale: str, mapping: str, code: str) -> str:
    """A code's label in `locale`, translated once per process (the catalogues do not change while it runs)."""
    table: dict[str, Any] = getattr(i18n, mapping)
    return str(table.get(code, code))


def breakdown_line(line: dict[str, Any]) -> str:
    """One valuation line in words, e.g. '1 person x 18/36 h x 6/12 months x EUR 40,000'."""
    p = line.get("params", {})
    kind = line.get("kind")
    if kind == "base" and "hours_per_week" in p:
        return ngettext(
            "%(num)s person × %(hours)s/36 h a week × %(months)s/12 months × %(unit)s a year",
            "%(num)s persons × %(hours)s/36 h a week × %(months)s/12 months × %(unit)s a year",
            p["persons"],
            hours=p["hours_per_week"],
            months=p["months"],
            unit=money(p["unit_value_cents"]),
        )
    if kind == "bonus" and line.get("label") and "code" in p:
        return ngettext(
            "Bonus %(label)s: %(num)s person × %(hours)s/36 h × %(months)s/12 months × %(unit)s",
            "Bonus %(label)s: %(num)s persons × %(hours)s/36 h × %(months)s/12 months × %(unit)s",
            p["persons"],
            label=line["label"],
            hours=p["hours_per_week"],
            months=p["months"],
            unit=money(p["unit_value_cents"]),
        )
    if kind == "bonus":
        return ngettext(
            "Bonus: %(num)s person × %(hours)s/36 h × %(months)s/12 months × %(unit)s",
            "Bonus: %(num)s persons × %(hours)s/36 h × %(months)s/12 months × %(unit)s",
            p["persons"],
            hours=p["hours_per_week"],
            months=p["months"],
            unit=money(p["unit_value_cents"]),
        )
    if kind == "cap":
        return gettext(
            "Counted for at most %(max)s of the %(months)s months", max=p["max_months"], months=p["months"]
        )
    if kind == "base" and "weeks" in p:
        return ngettext(
            "%(num)s intern × %(weeks)s/52 weeks × %(unit)s a year",
            "%(num)s interns × %(weeks)s/52 weeks × %(unit)s a year",
            p["persons"],
            weeks=p["weeks"],
            unit=money(p["unit_value_cents"]),
        )
    if kind == "base":
        unit = gettext("hours") if p.get("unit") == "hour" else gettext("days")
        return gettext(
            "%(quantity)s %(unit)s × %(value)s",
            quantity=p["quantity"],
            unit=unit,
            value=money(p["unit_value_cents"]),
        )
    if kind == "percentage":
        return gettext(
            "%(pct)s%% of %(amount)s spent (excl. VAT)",
            pct=format_decimal(p["percentage_bp"] / 100),
            amount=money(p["amount_cents"]),
        )
    if kind == "agreement" and p.get("revised"):
        return gettext("Revised value (was %(estimate)s)", estimate=money(p["estimate_cents"]))
    if kind == "agreement":
        if p.get("agreed"):
            return gettext(
                "Value agreed by the officer (estimate was %(estimate)s)", estimate=money(p["estimate_cents"])
            )
        return gettext(
            "By agreement: estimate %(estimate)s, the officer sets the value",
            estimate=money(p["estimate_cents"]),
        )
    if kind == "at_most":
        unit = gettext("hours") if p.get("unit") == "hour" else gettext("days")
        if p.get("agreed"):
            return gettext(
                "Value set by the officer (at most %(quantity)s %(unit)s × %(max)s)",
                quantity=p["quantity"],
                unit=unit,
                max=money(p["max_cents"]),
            )
        return gettext(
            "At most %(quantity)s %(unit)s × %(max)s; the officer sets the value",
            quantity=p["quantity"],
            unit=unit,
            max=money(p["max_cents"]),
        )
    if kind == "revised_zero":
        return gettext("Revised: it did not happen")
    if kind == "certificate":
        return gettext(
            "PSO certificate: %(pct)s%% of the obligation %(obligation)s",
            pct=format_decimal(p["percentage_bp"] / 100),
            obligation=money(p["obligation_cents"]),
        )
    return str(line.get("label", ""))


def radar(scores: dict[str, int], size: int = 260) -> dict[str, Any]:
    """Geometry of a radar chart over the six themes (scores 0-100), for an inline SVG."""
    from .themes import THEME_CODES

    c = size / 2
    r = size / 2 - 48
    n = len(THEME_CODES)

    def point(i: int, frac: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return c + r * frac * math.cos(angle), c + r * frac * math.sin(angle)

    def poly(frac_of: Any) -> str:
        return " ".join("{:.1f},{:.1f}".format(*point(i, frac_of(i))) for i in range(n))

    axes = []
    for i, theme in enumerate(THEME_CODES):
        x, y = point(i, 1.0)
        lx, ly = point(i, 1.18)
        anchor = "middle" if abs(lx - c) < 5 else ("start" if lx > c else "end")
        axes.append(
            {
                "theme": theme,
                "x": round(x, 1),
                "y": round(y, 1),
                "lx": round(lx, 1),
                "ly": round(ly + 3, 1),
                "anchor": anchor,
            }
        )
    return {
        "c": c,
        "axes": axes,
        "rings": [poly(lambda _i, f=f: f) for f in (0.25, 0.5, 0.75, 1.0)],
        "shape": poly(lambda i: max(0, min(100, scores.get(THEME_CODES[i]) or 0)) / 100),
    }


def decimal(value: float | int) -> str:
    """A number in the user's notation (decimal comma in Dutch)."""
    return format_decimal(value)


def remaining_activities(totals: Any) -> str:
    """What a small contract still asks, in words: '1 social activity' or 'none'."""
    left = max(0, totals.activities_required - totals.activities_committed)
    return ngettext("%(num)s social activity", "%(num)s social activities", left)


def obligation_steps(ob: Any) -> list[str]:
    """How the obligation was reached, step by step, in the reader's language (marketplace.policy.obligation)."""
    out: list[str] = []
    kinds = {"works": gettext("works"), "services": gettext("services"), "supplies": gettext("supplies")}
    for code, p in ob.steps:
        if code == "below_threshold_small":
            out.append(
                gettext(
                    "Below the threshold of %(threshold)s for %(kind)s: the small-contract rule asks for "
                    "one social activity.",
                    threshold=money(p["threshold_cents"]),
                    kind=kinds.get(p["kind"], p["kind"]),
                )
            )
        elif code == "below_threshold_none":
            out.append(
                gettext(
                    "Below the threshold of %(threshold)s for %(kind)s: no social return is asked.",
                    threshold=money(p["threshold_cents"]),
                    kind=kinds.get(p["kind"], p["kind"]),
                )
            )
        elif code == "below_min_term":
            out.append(
                gettext(
                    "Shorter than the minimum term (%(months)s of %(min)s months): no social return is "
                    "asked.",
                    months=p["months"],
                    min=p["min_months"],
                )
            )
        elif code == "percentage":
            basis = (
                gettext("labour component") if p["basis"] == "labour_component" else gettext("contract sum")
            )
            out.append(
                gettext(
                    "%(pct)s of the %(basis)s %(base)s = %(amount)s",
                    pct=percent(p["percentage_bp"]),
                    basis=basis,
                    base=money(p["base_cents"]),
                    amount=money(p["amount_cents"]),
                )
            )
        elif code == "low_labour_share":
            out.append(
                gettext(
                    "The labour component is %(share)s of the sum, under %(limit)s: %(pct)s applies.",
                    share=percent(p["share_bp"]),
                    limit=percent(p["limit_bp"]),
                    pct=percent(p["percentage_bp"]),
                )
            )
        elif code == "fixed_amount":
            out.append(gettext("A fixed amount of %(amount)s.", amount=money(p["amount_cents"])))
        elif code == "annual_minimum":
            out.append(
                gettext(
                    "At least %(per_year)s a contract year, %(years)s years: %(amount)s.",
                    per_year=money(p["per_year_cents"]),
                    years=p["years"],
                    amount=money(p["amount_cents"]),
                )
            )
        elif code == "cap":
            out.append(gettext("Capped at %(cap)s.", cap=money(p["cap_cents"])))
    if not ob.computable:
        out.append(incomplete_reason(ob))
    return out


def incomplete_reason(ob: Any) -> str:
    """Why an obligation cannot be computed, and who completes it."""
    if ob.missing == "labour_component_cents":
        return gettext(
            "The obligation cannot be computed: the policy counts the labour component, and the "
            "contract has none. The officer completes the contract; until then nothing can be pledged."
        )
    return gettext("The obligation cannot be computed: the policy's fixed amount is missing.")


def block_value(block: Any) -> str:
    """What one unit of a building block is worth, as the table shows it."""
    if block.value_cents is not None:
        text = money(block.value_cents)
        return gettext("at most %(value)s", value=text) if getattr(block, "at_most", False) else text
    if block.percentage_bp is not None:
        return percent(block.percentage_bp)
    return "—"


def block_label(block: Any) -> str:
    """The block's label in the reader's language (the table's own label when there is no English one)."""
    if locale_code() == "en" and getattr(block, "label_en", ""):
        return str(block.label_en)
    return str(block.label)


def conditions_text(block: Any) -> str:
    """Who a person block or bonus applies to, in words ("55 or older; after a VSO/PrO internship")."""
    c = getattr(block, "conditions", None) or {}
    parts = []
    if c.get("min_age"):
        parts.append(gettext("%(age)s or older", age=c["min_age"]))
    names = {
        "permanent_contract": gettext("permanent contract"),
        "statushouder_or_language": gettext("statushouder or language gap"),
        "after_vso_pro_internship": gettext("after a VSO/PrO internship of 6 months"),
        "occupational_disability": gettext("occupational disability"),
    }
    parts += [names.get(flag, flag) for flag in c.get("requires") or ()]
    return "; ".join(parts)


def day(value: Any) -> str:
    """A date in the reader's notation: 3 dec. 2026 / 3 Dec 2026."""
    if value is None:
        return "—"
    if type(value) is date:
        return _day(locale_code(), value)
    from flask_babel import format_date

    # Day, short month, year in both languages (3 dec 2026 / 3 Dec 2026): no US month-first in English.
    return format_date(value, "d MMM y")


@lru_cache(maxsize=4096)
def _day(locale: str, value: date) -> str:
    """A calendar date depends on nothing but the locale (no time zone): each is formatted once."""
    return babel_dates.format_date(value, "d MMM y", locale=locale)


def when(value: Any) -> str:
    """A stored UTC time shown in Europe/Amsterdam, in the reader's notation."""
    if value is None:
        return "—"
    from datetime import UTC

    from flask_babel import format_datetime

    if getattr(value, "tzinfo", None) is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value, "d MMM y, HH:mm")


def clock(value: Any) -> str:
    """A stored UTC time of today as a clock time in Europe/Amsterdam: 18:42."""
    if value is None:
        return "—"
    from datetime import UTC

    from flask_babel import format_time

    if getattr(value, "tzinfo", None) is None:
        value = value.replace(tzinfo=UTC)
    return format_time(value, "HH:mm")
