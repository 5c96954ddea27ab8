"""The register keeps what the web portfolio shows of each release.

`releases.portfolio` holds the release's name, RID version, the freeze its go-live falls in and
its open deadlines (due, status, who owes them) as its status said at its last record
(`schemas.status.PortfolioFacts`), so the portfolio is one read of the register rather than a
status query per release. Rows recorded before this revision have none (NULL) until their
release records again; the portfolio reads those releases' status instead.

Revision ID: r0007
Revises: r0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0007"
down_revision: str | None = "r0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("portfolio", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("portfolio")
