"""the real time an attempt left, and an admin's note on resolving an unconfirmed reminder

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_attempt") as batch:
        batch.add_column(
            sa.Column("sent_wall_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("reminder") as batch:
        batch.add_column(sa.Column("note_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.drop_column("note_enc")
    with op.batch_alter_table("delivery_attempt") as batch:
        batch.drop_column("sent_wall_at")
