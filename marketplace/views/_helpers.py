"""What every view needs: the session, the user, form values, translated service errors, paging."""

import re
import secrets
from decimal import Decimal
from typing import Any

from flask import abort, flash, request
from flask_babel import gettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..db import get_session
from ..models import User
from ..services.errors import ServiceError

__all__ = ["abort", "get_session", "me", "form_values", "error_text", "errors_of", "flash_error",
           "page_arg", "int_arg", "new_submission_key"]

THOUSANDS_RE = re.compile(r"^\d{1,3}(\.\d{3})+$")
MULTI_FIELDS = {"themes", "target_groups", "bonuses", "interests", "priority_themes"}


def me() -> User:
    """The logged-in user (views are guarded by `access`, so there is one)."""
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


def form_values(form: MultiDict[str, str] | None = None) -> dict[str, Any]:
    """The submitted form as a dict; multi-valued fields become lists; text is trimmed to 20,000 chars."""
    form = form if form is not None else request.form
    out: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        out[key] = [v[:200] for v in form.getlist(key)] if key in MULTI_FIELDS else form.get(key, "")[:20000]
    return out


def error_text(exc: ServiceError) -> str:
    """The service's message in the user's language (a status code in it is named in that language too)."""
    params = dict(exc.params)
    if isinstance(params.get("status"), str):
        from ..i18n import MATCH_STATUSES

        params["status"] = str(MATCH_STATUSES.get(params["status"], params["status"])).lower()
    return gettext(exc.message, **params) if params else gettext(exc.message)


def errors_of(exc: ServiceError) -> dict[str, str]:
    return {exc.field or "_form": error_text(exc)}


def flash_error(exc: ServiceError) -> None:
    flash(error_text(exc), "error")


def page_arg() -> int:
    return int_arg("page", 1, low=1, high=100_000)


def int_arg(name: str, default: int, *, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if not raw.isdigit():
        return default
    return max(low, min(high, int(raw)))


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def to_int(value: Any) -> int | None:
    """A form value as an int, or None when empty or not a number (the service then says what is wrong)."""
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def euros_to_cents(value: Any) -> int | None:
    """'1.234,56', '1234.56' or '1234' euro to cents; None when it is not an amount."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("€", "").replace(" ", "").replace("\xa0", "")
    if "," in text:
        # Dutch notation: 1.234,56
        text = text.replace(".", "").replace(",", ".")
    elif THOUSANDS_RE.match(text):
        # 2.500 or 1.250.000: dots that group thousands, as Dutch users type them
        text = text.replace(".", "")
    try:
        amount = Decimal(text)
    except (ValueError, ArithmeticError):
        return None
    if not amount.is_finite() or amount < 0 or amount > Decimal(10) ** 12:
        return None
    return int((amount * 100).to_integral_value())


def back_within(endpoint: str) -> str:
    """The form's `next` when it is a page under `endpoint`'s path (e.g. a filtered list), else that page."""
    from flask import url_for

    base = url_for(endpoint)
    back = request.form.get("next", "")
    return back if back.startswith(base) and not back.startswith("//") else base
