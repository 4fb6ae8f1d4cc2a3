"""audit events: copies told by their tag, and refusals remembered

An event's tag is now `NONCE.MAC` (a random nonce of its own), so that no two genuine tags
are alike and an exact copy is told by its tag: sealed events' tags are indexed. What the
sealer refused is marked (`refused`), and the events still to be read (neither sealed nor
refused) are indexed apart, so that a seal reads only the events appended since (the unique
index of seq covers sealed events only, so that SQLite's planner takes that one). Tags
given before keep holding as they are: nothing is rewritten.

Down: refused only while genuine events wait to be sealed (the older sealer would take a
nonce tag for a forged one: run `carebot audit seal` first); sealed events' nonce tags are
emptied (the older verify would take them for forged ones; their seal still covers them,
as it covers those carried over from schema 0004), and the refusal marks go (the older
sealer refuses those events again at each seal).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = "seq IS NULL AND refused IS NULL"


def upgrade() -> None:
    op.add_column(
        "audit_event", sa.Column("refused", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )
    op.create_index(  # sealed events' only: appending writes no more index than before
        "ix_audit_event_tag",
        "audit_event",
        ["tag"],
        sqlite_where=sa.text("seq IS NOT NULL"),
        postgresql_where=sa.text("seq IS NOT NULL"),
    )
    op.drop_index("ix_audit_event_seq", table_name="audit_event")  # sealed events only now,
    op.create_index(  # so that SQLite's planner takes the waiting index for the seal's read
        "ix_audit_event_seq",
        "audit_event",
        ["seq"],
        unique=True,
        sqlite_where=sa.text("seq IS NOT NULL"),
        postgresql_where=sa.text("seq IS NOT NULL"),
    )
    op.create_index(
        "ix_audit_event_waiting",
        "audit_event",
        ["seq", "refused", "id"],  # as the seal's read constrains them, for SQLite's planner
        sqlite_where=sa.text(_WAITING),
        postgresql_where=sa.text(_WAITING),
    )


def downgrade() -> None:
    waiting = op.get_bind().execute(sa.text(f"SELECT COUNT(*) FROM audit_event WHERE {_WAITING}"))
    if waiting.scalar_one():
        raise RuntimeError("audit events wait to be sealed: run `carebot audit seal` first")
    op.execute("UPDATE audit_event SET tag = NULL WHERE seq IS NOT NULL AND tag LIKE '%.%'")
    op.drop_index("ix_audit_event_waiting", table_name="audit_event")
    op.drop_index("ix_audit_event_tag", table_name="audit_event")
    op.drop_index("ix_audit_event_seq", table_name="audit_event")
    op.create_index("ix_audit_event_seq", "audit_event", ["seq"], unique=True)
    op.execute("ALTER TABLE audit_event DROP COLUMN refused")
