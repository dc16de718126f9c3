"""privacy: anonymity levels, retention, erasure marks

The boolean ``workshop.anonymous`` (names hidden from other participants) becomes the level
``anonymity``: ``true`` → ``"moderators"``, ``false`` → ``"named"``; the flag is dropped
(the API still answers ``anonymous``, read off the level). Adds ``retention_days`` and
``closed_at`` to workshops and ``erased_at`` to participants (docs/privacy.md).

Revision ID: 0005_privacy
Revises: 0004_cluster
Create Date: 2026-12-07 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_privacy"
down_revision: str | None = "0004_cluster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymity", sa.String(length=16), server_default="named", nullable=False))
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    # The data migration: the old flag hid names from other participants, not from moderators.
    op.execute(sa.text("UPDATE workshop SET anonymity = 'moderators' WHERE anonymous"))
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("anonymous")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Both hiding levels were "hidden from participants" in the old flag.
    op.execute(sa.text("UPDATE workshop SET anonymous = (anonymity <> 'named')"))
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.alter_column("anonymous", server_default=None)
        batch_op.drop_column("closed_at")
        batch_op.drop_column("retention_days")
        batch_op.drop_column("anonymity")
