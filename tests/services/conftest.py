"""Service tests run on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""

import pytest


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
