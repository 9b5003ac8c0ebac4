"""The stale-view and double-submit guard for any versioned row: an UPDATE that only wins on the version read.

Two officers deciding at once, a double click, or a page opened before someone else's change: the second
writer finds the version moved on and gets a Conflict; the boundary rolls its transaction back.
"""

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from .errors import N_, Conflict

STALE = N_("Someone else changed this in the meantime. Reload the page and try again.")
# The admin's forms: a version stored since the form was opened.
CHANGED = N_("This was changed since you opened it. Nothing was saved: reload the page to see the change.")


def check_seen(row: Any, seen_version: int | None, message: str = STALE) -> None:
    """Refuse when the caller saw an older version of `row` than the one stored."""
    if seen_version is not None and seen_version != row.version:
        raise Conflict(message)


def guarded_update(session: Session, row: Any, **values: Any) -> None:
    """Write `values` and bump the version, only if the row still has the version `row` holds."""
    model = type(row)
    values = {"version": row.version + 1, **values}
    result = session.execute(
        update(model).where(col(model.id) == row.id, col(model.version) == row.version).values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(STALE)
    for key, value in values.items():
        set_committed_value(row, key, value)
