"""The audit can never silently disagree with a release: divergent entries are kept.

An audit entry written under a (release, seq) that the store already holds with other content
(a workflow reset by an operator, or an id re-created) goes to `audit_divergence` beside the
stored one, instead of being dropped. The register says how an operator ended a release.

Revision ID: r0003
Revises: r0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision: str | None = "r0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_divergence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_divergence"),
    )
    op.create_index("ix_audit_divergence_release_id", "audit_divergence", ["release_id"])
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("ended_by", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("ended_by")
    op.drop_index("ix_audit_divergence_release_id", table_name="audit_divergence")
    op.drop_table("audit_divergence")
