"""audit trail as a hash chain: position, previous hash and own hash on audit events and decisions

The existing rows are chained in the order of their time (then table, then id) with the app's AUDIT_KEY
(`srx db upgrade` runs with the app's configuration). Later migrations that add a field to the hashed content
must rebuild the chain themselves.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINED = ("auditevent", "decision")


def upgrade() -> None:
    from marketplace.audit_chain import GENESIS, key_for, rebuild

    op.create_table(
        "auditchainhead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "auditverification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_auditverification_at"), "auditverification", ["at"], unique=False)
    for table in CHAINED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
            batch_op.add_column(
                sa.Column("prev_hash", sa.String(length=64), server_default="", nullable=False)
            )
            batch_op.add_column(
                sa.Column("row_hash", sa.String(length=64), server_default="", nullable=False)
            )
    conn = op.get_bind()
    conn.execute(sa.text("INSERT INTO auditchainhead (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS})
    rebuild(conn, key_for(conn))
    for table in CHAINED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("chain_seq", existing_type=sa.BigInteger(), nullable=False)
            batch_op.create_index(op.f(f"ix_{table}_chain_seq"), ["chain_seq"], unique=True)


def downgrade() -> None:
    for table in CHAINED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(op.f(f"ix_{table}_chain_seq"))
            batch_op.drop_column("row_hash")
            batch_op.drop_column("prev_hash")
            batch_op.drop_column("chain_seq")
    op.drop_index(op.f("ix_auditverification_at"), table_name="auditverification")
    op.drop_table("auditverification")
    op.drop_table("auditchainhead")
