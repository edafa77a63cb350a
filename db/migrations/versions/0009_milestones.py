"""milestones per variant (the hervestiging actieplan) and their check-offs per group

Adds ``milestone`` (a named step of a variant's checklist, due a number of days after the group's start;
negative: before the newcomer arrives) and ``milestone_check`` (a group's check-off: done on which date,
by whom, when). Seeds the hervestiging *actieplan*; the other variants start without milestones (see
README, "Milestones"). Existing tables are unchanged.

Sources of the default list: Samen Hier, "Zo werkt het" (https://samenhier.nl/zo-werkt-het/): a sponsor
group writes an actieplan beforehand and supports for a year "met praktische zaken zoals de inrichting van
het huis of de inschrijving bij de huisarts"; Reset UK, "Sponsor obligations and requirements"
(https://training-resetuk.org/application-process/lead-sponsor-obligations-and/): meet the family on
arrival with an interpreter, a welcome pack of groceries, a furnished home, registration with a doctor,
school places, a bank account, benefits and language classes in the first weeks; and the Dutch
registrations every newcomer makes (BRP with the municipality, health insurance, DigiD, allowances,
school attendance, the inburgering's brede intake). The due offsets are the programme's own planning
choice and are edited in Beheer → Mijlpalen.

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HERVESTIGING_ACTIEPLAN = [
    # (name, days after the start; negative: before arrival)
    ("Actieplan besproken met de community builder", -42),
    ("Woning ingericht (meubels, witgoed, huisraad)", -7),
    ("Ontvangst bij aankomst geregeld (wie haalt op, tolk)", -7),
    ("Welkomstpakket met boodschappen klaar", -1),
    ("Inschrijving bij de gemeente (BRP) en BSN", 7),
    ("Zorgverzekering afgesloten", 14),
    ("Ingeschreven bij de huisarts", 14),
    ("Bankrekening geopend", 14),
    ("School of kinderopvang geregeld", 30),
    ("DigiD aangevraagd", 30),
    ("Toeslagen en kinderbijslag aangevraagd", 30),
    ("Inburgering: brede intake bij de gemeente", 60),
]


def upgrade() -> None:
    """Upgrade schema."""
    milestone = op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_offset_days", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "variant IN ('statushouders', 'hervestiging', 'studenten', 'studentsponsoring', 'ad hoc')",
            name=op.f("ck_milestone_variant"),
        ),
        sa.CheckConstraint("due_offset_days BETWEEN -730 AND 730", name=op.f("ck_milestone_due_offset")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_milestone_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
    )
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.create_index("ix_milestone_variant_position", ["variant", "position"], unique=False)

    op.create_table(
        "milestone_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("done_date", sa.Date(), nullable=True),
        sa.Column("checked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(done_date IS NULL) = (checked_by IS NULL)", name=op.f("ck_milestone_check_done_by")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_milestone_check_version_positive")),
        sa.ForeignKeyConstraint(
            ["group_id"], ["welcome_group.id"], name=op.f("fk_milestone_check_group_id_welcome_group")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"], ["milestone.id"], name=op.f("fk_milestone_check_milestone_id_milestone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_check")),
        sa.UniqueConstraint("group_id", "milestone_id", name="uq_milestone_check_group_milestone"),
    )
    with op.batch_alter_table("milestone_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestone_check_milestone_id"), ["milestone_id"], unique=False)

    op.bulk_insert(
        milestone,
        [
            {
                "variant": "hervestiging",
                "name": name,
                "due_offset_days": offset,
                "position": position,
                "retired": False,
                "version": 1,
            }
            for position, (name, offset) in enumerate(HERVESTIGING_ACTIEPLAN, start=1)
        ],
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("milestone_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_check_milestone_id"))

    op.drop_table("milestone_check")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_variant_position")

    op.drop_table("milestone")
