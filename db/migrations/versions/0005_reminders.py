"""reminders by e-mail: an account's address, digest choice and language; the record of sent digests

Adds to ``user_account`` the columns ``email`` (where the weekly digest goes; NULL: none),
``weekly_digest`` (true for every existing account: the digest is on by default) and ``language``
(``nl`` or ``en``; existing accounts get ``nl``), and the table ``digest_delivery``: one row per account
and ISO week, so that ``python -m samenhier notify`` never sends a week's digest twice and retries a
failed one. A community builder's account without an address takes its builder's e-mail address.

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(
            sa.Column("weekly_digest", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="nl")
        )
        batch_op.create_check_constraint("language", "language IN ('nl', 'en')")
    # A community builder's account takes its builder's e-mail address (as create-user does).
    op.execute(
        "UPDATE user_account SET email = (SELECT b.email FROM community_builder b WHERE b.id = user_account.community_builder_id) "
        "WHERE email IS NULL AND community_builder_id IS NOT NULL"
    )
    op.create_table(
        "digest_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("iso_week", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint("status IN ('sending', 'sent', 'failed')", name=op.f("ck_digest_delivery_status")),
        sa.CheckConstraint("attempts >= 1", name=op.f("ck_digest_delivery_attempts")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_digest_delivery_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_delivery")),
        sa.UniqueConstraint("user_id", "iso_week", name="uq_digest_delivery_user_week"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("digest_delivery")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_language"), type_="check")
        batch_op.drop_column("language")
        batch_op.drop_column("weekly_digest")
        batch_op.drop_column("email")
