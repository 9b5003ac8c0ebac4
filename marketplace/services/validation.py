"""Small checks shared by the services; each raises a ServiceError that names the field."""

import re
from datetime import date
from typing import Any

from .errors import N_, ServiceError

# Dates outside this range are typing mistakes, not plans.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")


def text(data: dict[str, Any], name: str, *, max_len: int, required: bool = False) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise ServiceError(N_("This field is required."), field=name)
    if len(value) > max_len:
        raise ServiceError(N_("Too long: at most %(max)s characters."), field=name, max=max_len)
    return value


def choice(data: dict[str, Any], name: str, allowed: tuple[str, ...], *, default: str | None = None) -> str:
    value = data.get(name, default)
    if value not in allowed:
        raise ServiceError(N_("Choose one of the options."), field=name)
    return str(value)


def choices(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> list[str]:
    values = data.get(name) or []
    if isinstance(values, str):
        values = [values]
    out = []
    for value in values:
        if value not in allowed:
            raise ServiceError(N_("Choose one of the options."), field=name)
        if value not in out:
            out.append(value)
    return out


def integer(data: dict[str, Any], name: str, *, low: int, high: int, required: bool = True) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise ServiceError(N_("This field is required."), field=name)
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ServiceError(N_("Enter a whole number."), field=name) from None
    if isinstance(value, float) and value != number:
        raise ServiceError(N_("Enter a whole number."), field=name)
    if number < low or number > high:
        raise ServiceError(N_("Enter a number from %(low)s to %(high)s."), field=name, low=low, high=high)
    return number


def day(data: dict[str, Any], name: str, *, required: bool = False) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise ServiceError(N_("This field is required."), field=name)
        return None
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError:
            raise ServiceError(N_("Enter a date as YYYY-MM-DD."), field=name) from None
    if not EARLIEST <= value <= LATEST:
        raise ServiceError(N_("Enter a date between %(low)s and %(high)s."), field=name,
                           low=EARLIEST.isoformat(), high=LATEST.isoformat())
    return value


def coordinate(data: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(N_("Enter a number."), field=name) from None
    if not low <= number <= high:
        raise ServiceError(N_("Enter a number from %(low)s to %(high)s."), field=name, low=low, high=high)
    return number


def slug(data: dict[str, Any], name: str = "slug") -> str:
    value = text(data, name, max_len=80, required=True).lower()
    if not SLUG_RE.match(value):
        raise ServiceError(N_("Use lowercase letters, digits and hyphens."), field=name)
    return value
