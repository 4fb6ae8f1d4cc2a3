"""planned until: how far each enrolment's reminders are planned, so a tick plans only the new

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00

The mark of an existing enrolment is its latest reminder's due time: every slot before it
was planned by the planning that made it (that planning covered the whole window up to its
horizon), so the first tick after the upgrade plans from there, the latest slot itself
meeting its own row (no duplicate) and nothing after it left out (no gap). An active
enrolment without a reminder, or of a paused program, plans afresh (None), as before the
upgrade; a paused, ended or erased one has nothing to plan until it is resumed.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # bot.store.models.PLAN_NEVER, frozen here


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.add_column(
            sa.Column("planned_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.create_index(batch.f("ix_patient_planned_until"), ["planned_until"], unique=False)
    when = sqlmodel.sql.sqltypes.UTCDateTime()
    patient = sa.table(
        "patient",
        sa.column("pseudonym", sa.String()),
        sa.column("program", sa.String()),
        sa.column("status", sa.String()),
        sa.column("planned_until", when),
    )
    reminder = sa.table("reminder", sa.column("pseudonym", sa.String()), sa.column("due_at", when))
    program = sa.table("program", sa.column("name", sa.String()), sa.column("paused", sa.Boolean()))
    latest = (
        sa.select(sa.func.max(reminder.c.due_at))
        .where(reminder.c.pseudonym == patient.c.pseudonym)
        .scalar_subquery()
    )
    running = sa.select(program.c.name).where(program.c.paused == sa.false())
    op.execute(
        patient.update()
        .where(patient.c.status == "active", patient.c.program.in_(running))
        .values(planned_until=latest)
    )
    op.execute(patient.update().where(patient.c.status != "active").values(planned_until=NEVER))
    # The store-wide mark it replaces: nothing reads it any more.
    state = sa.table("channel_state", sa.column("name", sa.String()))
    op.execute(state.delete().where(state.c.name == "carebot:planned-through"))


def downgrade() -> None:
    # Not batch mode: SQLite would copy the table, which the tables that refer to it forbid.
    op.drop_index("ix_patient_planned_until", table_name="patient")
    op.execute("ALTER TABLE patient DROP COLUMN planned_until")
