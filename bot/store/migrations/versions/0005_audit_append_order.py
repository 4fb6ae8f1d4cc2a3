"""audit events appended without a lock: an append order of their own, sealed into the chain later

Every event written before keeps its seq and hashes (it is carried over as already sealed,
so the chain and every head kept before still verify), and takes its seq as its append
order; events appended from now on get the next ids and wait for the sealer. Each event
appended from now on carries its keyed append tag (`tag`); those carried over are sealed
already and have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "at, actor, action, subject, detail, prev_hash, hash"


def _new_table(name: str, *, sealed_only: bool) -> None:
    """The audit table under `name`: keyed by append order, with append tags, or
    (downgrade) by chain seq, without."""
    key = [] if sealed_only else [sa.Column("id", sa.Integer(), nullable=False)]
    tag = (
        [] if sealed_only else [sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(), nullable=True)]
    )
    op.create_table(
        name,
        *key,
        sa.Column("seq", sa.Integer(), nullable=not sealed_only),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=not sealed_only),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(), nullable=not sealed_only),
        *tag,
        sa.PrimaryKeyConstraint("seq" if sealed_only else "id", name=f"{name}_pkey"),
    )


def _swap_in(name: str) -> None:
    """Replace audit_event by the table `name`, already filled, and index it."""
    op.drop_index("ix_audit_event_action", table_name="audit_event")
    op.drop_index("ix_audit_event_subject", table_name="audit_event")
    op.drop_table("audit_event")
    op.rename_table(name, "audit_event")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER INDEX {name}_pkey RENAME TO audit_event_pkey")
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.create_index("ix_audit_event_subject", "audit_event", ["subject"])


def upgrade() -> None:
    _new_table("audit_event_new", sealed_only=False)
    op.execute(
        f"INSERT INTO audit_event_new (id, seq, {_COLUMNS}) "
        f"SELECT seq, seq, {_COLUMNS} FROM audit_event ORDER BY seq"
    )
    _swap_in("audit_event_new")
    op.create_index("ix_audit_event_seq", "audit_event", ["seq"], unique=True)
    if op.get_bind().dialect.name == "postgresql":  # SQLite's rowid goes on from the max
        op.execute("ALTER SEQUENCE audit_event_new_id_seq RENAME TO audit_event_id_seq")
        op.execute(
            "SELECT setval('audit_event_id_seq', COALESCE((SELECT MAX(id) FROM audit_event), 0)"
            " + 1, false)"
        )


def downgrade() -> None:
    unsealed = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM audit_event WHERE seq IS NULL"))
    if unsealed.scalar_one():
        raise RuntimeError("audit events wait to be sealed: run `carebot audit seal` first")
    op.drop_index("ix_audit_event_seq", table_name="audit_event")
    _new_table("audit_event_old", sealed_only=True)
    op.execute(
        f"INSERT INTO audit_event_old (seq, {_COLUMNS}) "
        f"SELECT seq, {_COLUMNS} FROM audit_event ORDER BY seq"
    )
    _swap_in("audit_event_old")
