"""performance indexes: meetings by date, group and kind

At national scale (400,000 meetings) the reads that take a date range of meetings — meetings per
month and kind, the groups that met in a year, the heatmap cells, the KPI of the last 30 days — read
``meeting(date, group_id, kind)`` only; with the index on ``date`` alone SQLite looked up every
meeting row in the table for its group and kind. The new index starts with ``date``, so it also
serves everything ``ix_meeting_date`` served, which is dropped. ``ix_meeting_group_date`` stays for
the per-group reads (last meeting, a group's meetings). Checked with EXPLAIN QUERY PLAN; see
docs/benchmarks.md.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_date_group_kind", ["date", "group_id", "kind"], unique=False)
        batch_op.drop_index("ix_meeting_date")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_date", ["date"], unique=False)
        batch_op.drop_index("ix_meeting_date_group_kind")
