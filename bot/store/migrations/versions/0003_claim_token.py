"""claim token: which dispatch cycle holds a reminder in `sending`

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.add_column(
            sa.Column("claim_token", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.drop_column("claim_token")
