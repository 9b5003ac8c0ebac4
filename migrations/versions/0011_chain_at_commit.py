"""audit chain at commit: chain_seq is set as the transaction commits, so it is empty until then

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:30:00

The chain used to be extended at the first flush of an audit event or decision, which took the chain head's
row lock there and held it through the rest of the request (notifications, the answer) and the commit:
every writer of the whole instance waited on it. Now a row is inserted without its position and gets it,
with its hashes, in the transaction's last statements before COMMIT (marketplace/audit_chain.py). The column
allows NULL for that moment; a committed row without a position is a broken link for `srx audit verify`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINED = ("auditevent", "decision")


def upgrade() -> None:
    for table in CHAINED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("chain_seq", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    for table in CHAINED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("chain_seq", existing_type=sa.BigInteger(), nullable=False)
