"""A streamed export ends the transaction it reads its rows in when the stream ends (PostgreSQL).

Flask 3.1 pushes the request's contexts again only while a streamed answer runs, after the request's
teardown has closed its session. The export reads its rows in chunks while it streams, so the closed session
began a new transaction that nothing ended: every download left a connection idle in transaction until
the garbage collector came by. In the test suite, the next PostgreSQL test's TRUNCATE then waited on it.
"""

from typing import Any

import pytest
from sqlalchemy import text

from marketplace.services import approvals
from tests.conftest import World


@pytest.fixture
def db_kind() -> str:
    return (
        "postgres"  # the lock that hung the suite is PostgreSQL's; conftest skips without TEST_DATABASE_URL
    )


def _open_transactions(app: Any) -> list[str]:
    with app.extensions["srx.engine"].connect() as conn:
        rows = conn.execute(
            text(
                "SELECT left(query, 120) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        ).all()
    return [r[0] for r in rows]


@pytest.mark.parametrize("name", ["pledges.csv", "pledges.xlsx", "contracts.csv"])
def test_a_downloaded_export_leaves_no_transaction_open(
    app: Any, client: Any, login_as: Any, world: World, name: str
) -> None:
    m = world.pledge(quantity=10)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=m.id)
    login_as(world.users["officer_a"])
    response = client.get(f"/exports/{name}", buffered=True)  # read to the end and closed, as a server does
    assert response.status_code == 200 and len(response.data) > 100
    assert _open_transactions(app) == []
