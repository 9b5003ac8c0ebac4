"""Times are stored in UTC and shown in Europe/Amsterdam, dates in the reader's notation (issue 13, item 7)."""

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.formatting import day, when


def _app(locale: str) -> Flask:
    """An app whose default language is `locale` (no request sets another)."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": "sqlite://",
            "SECRET_KEY": "x",
            "SEARCH_SQLITE_PATH": ":memory:",
            "BABEL_DEFAULT_LOCALE": locale,
        }
    )


@pytest.mark.parametrize(
    ("locale", "moment", "shown"),
    [
        ("nl", datetime(2026, 1, 15, 3, 12, tzinfo=UTC), "04:12"),  # winter: UTC+1
        ("nl", datetime(2026, 7, 15, 3, 12, tzinfo=UTC), "05:12"),  # summer: UTC+2
        ("en", datetime(2026, 7, 15, 3, 12, tzinfo=UTC), "5:12"),
        ("nl", datetime(2026, 1, 15, 3, 12), "04:12"),  # naive values from SQLite are UTC too
    ],
)
def test_a_stored_utc_time_is_shown_in_amsterdam(locale: str, moment: datetime, shown: str) -> None:
    with _app(locale).test_request_context():
        assert shown in when(moment)


def test_dates_are_written_the_dutch_way_in_dutch_and_the_english_way_in_english() -> None:
    for locale, expected in (("nl", "3 dec 2026"), ("en", "3 Dec 2026")):
        with _app(locale).test_request_context():
            assert day(date(2026, 12, 3)) == expected
