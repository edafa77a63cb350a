"""variant timelines: each programme variant's own group year

Adds ``variant_timeline`` (issue 19): per programme variant the length of its group year (months or
weeks), when the tussenmeting is due, after how many days without a meeting an active group is quiet
and the end survey's grace period (None: the programme-wide setting). Seeds the defaults: statushouders,
hervestiging, studentsponsoring and ad hoc 12 months (tussenmeting after 6); studenten (the UNICEF student
community) 10 weeks, tussenmeting after 5, quiet after 10 days (it meets weekly). Existing tables are
unchanged.

Revision ID: 0008
Revises: 0009
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULTS = [  # variant, duration, unit, midterm_at, quiet_after_days (None: the setting)
    ("statushouders", 12, "months", 6, None),
    ("hervestiging", 12, "months", 6, None),
    ("studenten", 10, "weeks", 5, 10),
    ("studentsponsoring", 12, "months", 6, None),
    ("ad hoc", 12, "months", 6, None),
]


def upgrade() -> None:
    """Upgrade schema."""
    table = op.create_table(
        "variant_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("midterm_at", sa.Integer(), nullable=False),
        sa.Column("quiet_after_days", sa.Integer(), nullable=True),
        sa.Column("end_grace_days", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "variant IN ('statushouders', 'hervestiging', 'studenten', 'studentsponsoring', 'ad hoc')",
            name=op.f("ck_variant_timeline_variant"),
        ),
        sa.CheckConstraint("unit IN ('months', 'weeks')", name=op.f("ck_variant_timeline_unit")),
        sa.CheckConstraint(
            "duration >= 1 AND duration <= 520", name=op.f("ck_variant_timeline_duration_range")
        ),
        sa.CheckConstraint(
            "midterm_at >= 1 AND midterm_at <= duration", name=op.f("ck_variant_timeline_midterm_range")
        ),
        sa.CheckConstraint(
            "quiet_after_days IS NULL OR quiet_after_days >= 1",
            name=op.f("ck_variant_timeline_quiet_positive"),
        ),
        sa.CheckConstraint(
            "end_grace_days IS NULL OR end_grace_days >= 0",
            name=op.f("ck_variant_timeline_grace_not_negative"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_variant_timeline_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variant_timeline")),
        sa.UniqueConstraint("variant", name=op.f("uq_variant_timeline_variant")),
    )
    op.bulk_insert(
        table,
        [
            {
                "variant": v,
                "duration": d,
                "unit": u,
                "midterm_at": m,
                "quiet_after_days": q,
                "end_grace_days": None,
                "version": 1,
            }
            for v, d, u, m, q in DEFAULTS
        ],
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("variant_timeline")
