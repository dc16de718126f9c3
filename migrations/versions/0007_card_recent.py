"""card_recent: a participant's cards indexed by time

The flood limit counts a participant's cards of the last minute on every post. With only
``participant_id`` indexed, that count read every card the participant had posted, row by
row; ``(participant_id, created_at)`` answers it from the index. The new index also serves
every look-up by ``participant_id`` alone, so the old one goes. No data changes either way.

Revision ID: 0007_card_recent
Revises: 0006_room4
Create Date: 2026-12-07 15:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_card_recent"
down_revision: str | None = "0006_room4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.create_index("ix_card_participant_recent", ["participant_id", "created_at"], unique=False)
        batch_op.drop_index(batch_op.f("ix_card_participant_id"))


def downgrade() -> None:
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_participant_id"), ["participant_id"], unique=False)
        batch_op.drop_index("ix_card_participant_recent")
