"""Security tests run on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (NUL bytes and huge ids
behave differently there)."""

import pytest

from tests.views.test_access_matrix import matrix_world  # noqa: F401  (the fixture: objects of every kind)


@pytest.fixture(params=["sqlite", "postgres"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
