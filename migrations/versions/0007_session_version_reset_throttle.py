"""accounts: a session version per user (revocable sessions), login attempts of two kinds (login, reset)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("loginattempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="login", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("loginattempt", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
