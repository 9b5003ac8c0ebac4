"""What every view needs: the session, the user, form values, translated service errors, paging."""

import secrets
from typing import Any

from flask import abort, request
from werkzeug.datastructures import MultiDict

from ..authz import me
from ..boundary import MAX_ID, parse_int
from ..db import get_session
from ..forms import euros_to_cents
from ..i18n import error_text
from ..services.errors import ServiceError

__all__ = [
    "abort",
    "get_session",
    "me",
    "form_values",
    "error_text",
    "errors_of",
    "euros_to_cents",
    "page_arg",
    "int_arg",
    "new_submission_key",
]

MULTI_FIELDS = {"themes", "target_groups", "bonuses", "interests", "priority_themes"}


def form_values(form: MultiDict[str, str] | None = None) -> dict[str, Any]:
    """The submitted form as a dict; multi-valued fields become lists; text is trimmed to 20,000 chars."""
    form = form if form is not None else request.form
    out: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        out[key] = [v[:200] for v in form.getlist(key)] if key in MULTI_FIELDS else form.get(key, "")[:20000]
    return out


def errors_of(exc: ServiceError) -> dict[str, str]:
    return {exc.field or "_form": error_text(exc)}


def page_arg() -> int:
    return int_arg("page", 1, low=1, high=100_000)


def int_arg(name: str, default: int, *, low: int, high: int) -> int:
    number = parse_int(request.args.get(name, ""), low=0)
    return default if number is None else max(low, min(high, number))


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def to_int(value: Any) -> int | None:
    """A form value as an int, or None when empty or not a number (the service then says what is wrong)."""
    return parse_int(value)


def back_within(endpoint: str, fallback: str | None = None) -> str:
    """The form's `next` when it is a page under `endpoint`'s path (e.g. a filtered list), else that page
    (or `fallback`). Generic: every POST form that returns to a list carries `next` the same way."""
    from flask import url_for

    base = url_for(endpoint)
    back = request.form.get("next", "")[:2000]
    return back if back.startswith(base) and not back.startswith("//") else url_for(fallback or endpoint)


def to_id(value: Any) -> int | None:
    """A form or URL value as a row id, or None when it is not one (ids beyond 32 bits cannot exist)."""
    number = to_int(value)
    return number if number is not None and 1 <= number <= MAX_ID else None


ACTING_KEY = "srx_acting_government"


def acting_government_id() -> int | None:
    """The government an officer-side user works for now: an officer's own; for a WSP adviser, the one
    chosen in the header among the governments the WSP serves (the first by default)."""
    from flask import session as cookie

    from ..services.scope import government_ids

    user = me()
    if user.role != "adviser":
        return user.government_id
    ids = government_ids(get_session(), user)
    chosen = cookie.get(ACTING_KEY)
    if isinstance(chosen, int) and chosen in ids:
        return chosen
    return min(ids) if ids else None


def lifecycle_context(contract: Any) -> dict[str, Any]:
    """What templates/_lifecycle.html needs on a contract page: progress, settlements, today."""
    from ..models._base import utcnow
    from ..queries_lifecycle import progress_of
    from ..services.plans import is_overdue
    from ..services.settlements import settlements_of

    today = utcnow().date()
    progress = progress_of(get_session(), [contract], today=today, with_plans=True)[0]
    return {
        "p": progress,
        "today": today,
        "settlements": settlements_of(get_session(), contract.id or 0),
        "plan_overdue": is_overdue(contract, progress.plan, today),
    }
