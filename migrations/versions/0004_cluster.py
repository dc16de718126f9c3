"""clustering suggestions and one person, one voice: dismissed suggestion pairs, further
devices of a participant

Revision ID: 0004_cluster
Revises: 0003_series
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_cluster"
down_revision: str | None = "0003_series"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participant_device",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("workshop_id", sa.String(), nullable=False),
        sa.Column("participant_id", sa.String(), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_device_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
            name=op.f("fk_participant_device_workshop_id_workshop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_device")),
        sa.UniqueConstraint("workshop_id", "device_hash", name=op.f("uq_participant_device_workshop_id_device_hash")),
    )
    with op.batch_alter_table("participant_device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_device_device_hash"), ["device_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_device_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_device_workshop_id"), ["workshop_id"], unique=False)
    op.create_table(
        "suggestion_dismissal",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("workshop_id", sa.String(), nullable=False),
        sa.Column("topic_id", sa.String(), nullable=False),
        sa.Column("card_a", sa.String(length=16), nullable=False),
        sa.Column("card_b", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_a"], ["card.id"], name=op.f("fk_suggestion_dismissal_card_a_card"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["card_b"], ["card.id"], name=op.f("fk_suggestion_dismissal_card_b_card"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topic.id"], name=op.f("fk_suggestion_dismissal_topic_id_topic"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
            name=op.f("fk_suggestion_dismissal_workshop_id_workshop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_dismissal")),
        sa.UniqueConstraint("card_a", "card_b", name=op.f("uq_suggestion_dismissal_card_a_card_b")),
    )
    with op.batch_alter_table("suggestion_dismissal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suggestion_dismissal_topic_id"), ["topic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestion_dismissal_workshop_id"), ["workshop_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("suggestion_dismissal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestion_dismissal_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_suggestion_dismissal_topic_id"))
    op.drop_table("suggestion_dismissal")
    with op.batch_alter_table("participant_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_device_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_participant_device_participant_id"))
        batch_op.drop_index(batch_op.f("ix_participant_device_device_hash"))
    op.drop_table("participant_device")
