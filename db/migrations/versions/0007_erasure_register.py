"""erasure register: hashed identifiers of erased people

Adds ``erasure_register`` (issue 21.6): per erased member or newcomer the SHA-256 hashes of their code
and of the phrases that named them (no names), so that a later import can scrub text that would bring
their data back. Existing tables are unchanged.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "erasure_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("phrase_hashes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("longest", sa.Integer(), nullable=False),
        sa.Column("erased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('member', 'newcomer')", name=op.f("ck_erasure_register_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_register")),
    )
    with op.batch_alter_table("erasure_register", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_register_code_hash"), ["code_hash"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("erasure_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_register_code_hash"))

    op.drop_table("erasure_register")
