"""What every view needs: the session, the user, form values, translated service errors, paging."""

import secrets
from typing import Any

from flask import abort, request

from ..authz import me
from ..boundary import MAX_ID, parse_int
from ..db import get_session
from ..forms import euros_to_cents
from ..i18n import error_text

__all__ = [
    "abort",
    "get_session",
    "me",
    "error_text",
    "euros_to_cents",
    "page_arg",
    "new_submission_key",
]


def page_arg() -> int:
    """The ?page= of a list (generic: every list pages the same way); anything else is the first page."""
    number = parse_int(request.args.get("page", ""), low=0)
    return 1 if number is None else max(1, min(100_000, number))


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def back_within(endpoint: str, fallback: str | None = None) -> str:
    """The form's `next` when it is a page under `endpoint`'s path (e.g. a filtered list), else that page
    (or `fallback`). Generic: every POST form that returns to a list carries `next` the same way."""
    from flask import url_for

    base = url_for(endpoint)
    back = request.form.get("next", "")[:2000]
    return back if back.startswith(base) and not back.startswith("//") else url_for(fallback or endpoint)


def to_id(value: Any) -> int | None:
    """A form or URL value as a row id, or None when it is not one (ids beyond 32 bits cannot exist)."""
    number = parse_int(value)
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


def lifecycle_context(contract: Any, totals: Any = None) -> dict[str, Any]:
    """What templates/_lifecycle.html needs on a contract page: progress, settlements, today.

    `totals`: the contract's totals when the page has just read them (saves reading them again)."""
    from ..models._base import utcnow
    from ..queries_lifecycle import progress_of
    from ..services.plans import is_overdue
    from ..services.settlements import settlements_of

    today = utcnow().date()
    known = {contract.id or 0: totals} if totals is not None else None
    progress = progress_of(get_session(), [contract], today=today, with_plans=True, totals=known)[0]
    return {
        "p": progress,
        "today": today,
        "settlements": settlements_of(get_session(), contract.id or 0),
        "plan_overdue": is_overdue(contract, progress.plan, today),
    }
