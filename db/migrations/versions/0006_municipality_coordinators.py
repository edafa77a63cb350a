"""coordinators per municipality (partner organisations)

Adds ``user_municipality``: the municipalities of a municipality coordinator's account. Existing
coordinator accounts get no rows, so they stay national coordinators, as they were.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "user_municipality",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_user_municipality_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_municipality_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", "municipality_id", name=op.f("pk_user_municipality")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("user_municipality")
