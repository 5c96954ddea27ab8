"""The morning digest: reminders and escalations kept for one message per recipient.

The outbox gains `item`, the line a reminder or an escalation takes in a digest (JSON: release,
deadline, due date, level, who owes it; null for every other message). `digest_items` links
each such item to the digest that carried it to one recipient: one row per (item, recipient),
unique, so an item is never put in two digests for the same person; the digest itself is an
outbox row of kind `digest` (key `digest/<morning>/<address>`), sent exactly as a notice is.

Revision ID: r0006
Revises: r0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0006"
down_revision: str | None = "r0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("item", sa.JSON(), nullable=True))
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("digest_key", sa.String(400), nullable=False),
        sa.Column("item_key", sa.String(400), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_items"),
        sa.UniqueConstraint("item_key", "recipient", name="uq_digest_items_item_key_recipient"),
    )
    op.create_index("ix_digest_items_digest_key", "digest_items", ["digest_key"])
    op.create_index("ix_outbox_status", "outbox", ["status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_index("ix_digest_items_digest_key", table_name="digest_items")
    op.drop_table("digest_items")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("item")
