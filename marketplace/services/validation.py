"""Checks the services apply to their typed inputs; each raises a ServiceError that names the field.

Forms and API bodies parse and check the shape of what people send (and show every error at once);
these checks are the services' own guarantees, which hold whoever calls them (a page, the API, a seed
file, the command line).
"""

import re
from collections.abc import Iterable
from datetime import date

from .. import contact
from .errors import N_, ServiceError

# Dates outside this range are typing mistakes, not plans.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")


def text(value: str | None, field: str, *, max_len: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(N_("This field is required."), field=field)
    if len(value) > max_len:
        raise ServiceError(N_("Too long: at most %(max)s characters."), field=field, max=max_len)
    return value


def choice(value: str | None, field: str, allowed: Iterable[str]) -> str:
    if value not in tuple(allowed):
        raise ServiceError(N_("Choose one of the options."), field=field)
    return str(value)


def choices(values: Iterable[str], field: str, allowed: Iterable[str]) -> list[str]:
    known = tuple(allowed)
    out: list[str] = []
    for value in values:
        if value not in known:
            raise ServiceError(N_("Choose one of the options."), field=field)
        if value not in out:
            out.append(value)
    return out


def integer(value: int | None, field: str, *, low: int, high: int, required: bool = True) -> int | None:
    if value is None:
        if required:
            raise ServiceError(N_("This field is required."), field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(N_("Enter a whole number."), field=field)
    if value < low or value > high:
        raise ServiceError(N_("Enter a number from %(low)s to %(high)s."), field=field, low=low, high=high)
    return value


def day(value: date | None, field: str, *, required: bool = False) -> date | None:
    if value is None:
        if required:
            raise ServiceError(N_("This field is required."), field=field)
        return None
    if not EARLIEST <= value <= LATEST:
        raise ServiceError(
            N_("Enter a date between %(low)s and %(high)s."),
            field=field,
            low=EARLIEST.isoformat(),
            high=LATEST.isoformat(),
        )
    return value


def coordinate(value: float | None, field: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if not low <= value <= high:
        raise ServiceError(N_("Enter a number from %(low)s to %(high)s."), field=field, low=low, high=high)
    return value


def slug(value: str | None, field: str = "slug") -> str:
    value = text(value, field, max_len=80, required=True).lower()
    if not SLUG_RE.match(value):
        raise ServiceError(N_("Use lowercase letters, digits and hyphens."), field=field)
    return value


WEBSITE_REFUSED = N_("Enter a web address such as https://www.example.nl")
EMAIL_REFUSED = N_("Enter an e-mail address such as info@example.nl")
PHONE_REFUSED = N_("Enter a Dutch phone number such as 020 123 4567 or +31 6 12345678")


def website(value: str | None, field: str) -> str | None:
    """An http(s) address with a host ('www.x.nl' gets https://), or None when empty."""
    value = text(value, field, max_len=contact.MAX_WEBSITE)
    if not value:
        return None
    url = contact.normalise_website(value)
    if url is None:
        raise ServiceError(WEBSITE_REFUSED, field=field)
    if len(url) > contact.MAX_WEBSITE:
        raise ServiceError(N_("Too long: at most %(max)s characters."), field=field, max=contact.MAX_WEBSITE)
    return url


def email(value: str | None, field: str) -> str:
    value = text(value, field, max_len=contact.MAX_EMAIL)
    if value and not contact.valid_email(value):
        raise ServiceError(EMAIL_REFUSED, field=field)
    return value


def phone(value: str | None, field: str) -> str:
    """A Dutch number, kept as typed (spaces collapsed); the tel: link is derived from it."""
    value = " ".join(text(value, field, max_len=contact.MAX_PHONE).split())
    if value and contact.phone_national(value) is None:
        raise ServiceError(PHONE_REFUSED, field=field)
    return value
