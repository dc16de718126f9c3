"""room4: the workshop's default for "hide cards until reveal" on new topics

Adds ``workshop.hide_until_reveal_default`` (false for every existing workshop: its topics
keep what they have, new ones start visible as before).

Revision ID: 0006_room4
Revises: 0005_privacy
Create Date: 2026-12-07 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_room4"
down_revision: str | None = "0005_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hide_until_reveal_default", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("hide_until_reveal_default")
