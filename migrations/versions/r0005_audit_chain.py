"""The audit trail is append-only and hash-chained per release.

Each audit row gains who signed the command (principal, request id, key id, signature and the
signed message; empty for entries not signed by the front door) and its place in the release's
chain: `prev_hash`, the hash of the release's previous row (64 zeros for the first), and `hash`,
SHA-256 of its canonical content (`rules.audit_chain`). Rows already stored are chained here,
release by release in seq order. The divergence table keeps the same signature fields.

Then the database itself refuses to change the trail: a trigger raises on UPDATE or DELETE of
`audit` and `audit_divergence` rows (and on TRUNCATE, on PostgreSQL). Only someone who can drop
the trigger (the tables' owner) can alter a row, and `sec-release audit verify` shows where.

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from activities.store import UtcDateTime
from rules.audit_chain import GENESIS, entry_hash
from schemas.state import AuditEntry

revision = "r0005"
down_revision: str | None = "r0004"
branch_labels: str | None = None
depends_on: str | None = None

SIGNED_FIELDS = ("principal", "request_id", "key_id", "signature", "signed")
APPEND_ONLY = ("audit", "audit_divergence")
REFUSAL = "the audit trail is append-only: its rows are never updated or deleted"


def _audit_table() -> sa.TableClause:
    return sa.table(
        "audit",
        sa.column("id", sa.Integer()),
        sa.column("release_id", sa.String()),
        sa.column("seq", sa.Integer()),
        sa.column("at", UtcDateTime()),
        sa.column("actor", sa.String()),
        sa.column("command", sa.Text()),
        sa.column("outcome", sa.String()),
        sa.column("detail", sa.Text()),
        *(sa.column(name, sa.Text()) for name in SIGNED_FIELDS),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )


def _backfill() -> None:
    """Chain the rows already stored, each release from its first seq."""
    audit = _audit_table()
    bind = op.get_bind()
    rows = bind.execute(sa.select(audit).order_by(audit.c.release_id, audit.c.seq)).mappings()
    release: str | None = None
    prev = GENESIS
    updates: list[dict[str, object]] = []
    for row in rows:
        if row["release_id"] != release:
            release, prev = row["release_id"], GENESIS
        entry = AuditEntry(
            seq=row["seq"],
            at=row["at"],
            actor=row["actor"],
            command=row["command"],
            outcome=row["outcome"],
            detail=row["detail"],
            **{name: row[name] or "" for name in SIGNED_FIELDS},
        )
        digest = entry_hash(row["release_id"], entry, prev)
        updates.append({"row_id": row["id"], "prev": prev, "digest": digest})
        prev = digest
    if updates:
        bind.execute(
            audit.update()
            .where(audit.c.id == sa.bindparam("row_id"))
            .values(prev_hash=sa.bindparam("prev"), hash=sa.bindparam("digest")),
            updates,
        )


def _append_only(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL} (% on %)', TG_OP, TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
            )
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        with op.batch_alter_table(table) as batch:
            for name in SIGNED_FIELDS:
                batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=False, server_default=""))
    _backfill()
    _append_only(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    for table in APPEND_ONLY:
        with op.batch_alter_table(table) as batch:
            for name in reversed(SIGNED_FIELDS):
                batch.drop_column(name)
