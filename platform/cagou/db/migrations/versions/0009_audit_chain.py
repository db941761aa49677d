"""Le journal d'audit chaîné : empreintes, sceaux, purges, ajout seul, recherche plein texte

Revision ID: 0009_audit_chain
Revises: 0008_api_tokens
Create Date: 2026-11-28

Entries get their digest, category, impersonator and (PostgreSQL) writing
transaction id; the chain, purge and tombstone tables appear; the database
refuses updates and deletes of the audit tables outside a purge; the summary
gets a full-text index (PostgreSQL: GIN on to_tsvector('french'); SQLite:
an FTS5 table kept in step by triggers). The entries already there get their
digest here, before the append-only triggers exist; the sealer chains them.

SQLite recreates a table to alter it: a later migration that alters
``audit_entry`` in batch mode must create its triggers and FTS table again.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from alembic import op

from cagou.audit.chain import entry_digest

revision = "0009_audit_chain"
down_revision = "0008_api_tokens"
branch_labels = None
depends_on = None

AUDIT_TABLES = ("audit_entry", "audit_seal", "audit_tombstone", "audit_purge")
REFUSED = "Le journal d'audit est en ajout seul : modification ou suppression refusée."
#: The message as an SQL string literal's content.
REFUSED_SQL = REFUSED.replace("'", "''")

POSTGRESQL_FUNCTIONS = [
    """
    CREATE FUNCTION audit_entry_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- The sealer waits for every transaction older than the entry's to end.
        NEW.xid := pg_current_xact_id()::text::bigint;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('cagou.audit_purge', true) = 'on' THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NULL END;
        END IF;
        RAISE EXCEPTION '{REFUSED_SQL} (% sur %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
]


def sqlite_refusal(table: str, operation: str, when: str = "") -> str:
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} {when} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED_SQL}'); END"
    )


#: Outside a purge nothing may be deleted: an entry only once its tombstone
#: exists, seals and tombstones only before the kept part of the chain.
BEFORE_KEPT_PART = "WHEN OLD.position >= COALESCE((SELECT max(kept_from) FROM audit_purge), 1)"
SQLITE_TRIGGERS = [
    "CREATE VIRTUAL TABLE audit_entry_fts USING fts5("
    "summary, content='audit_entry', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO audit_entry_fts(audit_entry_fts) VALUES ('rebuild')",
    "CREATE TRIGGER audit_entry_fts_insert AFTER INSERT ON audit_entry "
    "BEGIN INSERT INTO audit_entry_fts(rowid, summary) VALUES (new.id, new.summary); END",
    "CREATE TRIGGER audit_entry_fts_delete AFTER DELETE ON audit_entry "
    "BEGIN INSERT INTO audit_entry_fts(audit_entry_fts, rowid, summary) VALUES ('delete', old.id, old.summary); END",
    *(sqlite_refusal(table, "UPDATE") for table in AUDIT_TABLES),
    sqlite_refusal(
        "audit_entry",
        "DELETE",
        "WHEN NOT EXISTS (SELECT 1 FROM audit_seal s JOIN audit_tombstone t ON t.position = s.position "
        "WHERE s.entry_id = OLD.id)",
    ),
    sqlite_refusal("audit_seal", "DELETE", BEFORE_KEPT_PART),
    sqlite_refusal("audit_tombstone", "DELETE", BEFORE_KEPT_PART),
    sqlite_refusal("audit_purge", "DELETE"),
]


def position_type() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table(
        "audit_entry", recreate="auto" if postgresql else "always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint("fk_audit_entry_actor_id_account", type_="foreignkey")
        batch_op.add_column(sa.Column("impersonator_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("impersonator_login", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("xid", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_audit_entry_actor_login", ["actor_login"], unique=False)
        batch_op.create_index("ix_audit_entry_xid", ["xid"], unique=False)
    add_digests()
    with op.batch_alter_table("audit_entry", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column("category", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("digest", existing_type=sa.String(length=64), nullable=False)

    op.create_table(
        "audit_seal",
        sa.Column("position", position_type(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("horizon", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_seal")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_audit_seal_entry_id")),
    )
    op.create_table(
        "audit_purge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kept_from", sa.BigInteger(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_purge")),
    )
    op.create_table(
        "audit_tombstone",
        sa.Column("position", position_type(), nullable=False),
        sa.Column("purge_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["purge_id"], ["audit_purge.id"], name=op.f("fk_audit_tombstone_purge_id_audit_purge")),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_tombstone")),
    )
    if postgresql:
        # Older than any transaction: the first sealing run takes them, in id order.
        op.execute("UPDATE audit_entry SET xid = 0")
        create_postgresql_objects()
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def add_digests() -> None:
    """Entries written before this revision: category "action", and the digest of their content."""
    connection = op.get_bind()
    entries = sa.table(
        "audit_entry",
        *(sa.column(name) for name in ("id", "actor_id", "actor_login", "actor_kind", "address", "user_agent")),
        *(sa.column(name) for name in ("request_id", "module", "action", "object_type", "object_id", "summary")),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("changes", sa.JSON()),
        sa.column("category"),
        sa.column("digest"),
    )
    rows = connection.execute(sa.select(entries)).mappings().all()
    for row in rows:
        values = {**row, "impersonator_id": None, "impersonator_login": None, "category": "action"}
        if values["occurred_at"].tzinfo is None:
            values["occurred_at"] = values["occurred_at"].replace(tzinfo=datetime.UTC)
        connection.execute(
            entries.update().where(entries.c.id == row["id"]).values(category="action", digest=entry_digest(values))
        )


def create_postgresql_objects() -> None:
    for statement in POSTGRESQL_FUNCTIONS:
        op.execute(statement)
    op.execute(
        "CREATE TRIGGER audit_entry_stamp BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_entry_stamp()"
    )
    for table in AUDIT_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
    op.execute("CREATE INDEX ix_audit_entry_summary_fts ON audit_entry USING gin (to_tsvector('french', summary))")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP INDEX ix_audit_entry_summary_fts")
        for table in AUDIT_TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER audit_entry_stamp ON audit_entry")
        op.execute("DROP FUNCTION audit_append_only()")
        op.execute("DROP FUNCTION audit_entry_stamp()")
    else:
        for name in ("audit_entry_fts_insert", "audit_entry_fts_delete"):
            op.execute(f"DROP TRIGGER {name}")
        for table in AUDIT_TABLES:
            op.execute(f"DROP TRIGGER {table}_no_update")
        for table in ("audit_entry", "audit_seal", "audit_tombstone", "audit_purge"):
            op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute("DROP TABLE audit_entry_fts")
    op.drop_table("audit_tombstone")
    op.drop_table("audit_purge")
    op.drop_table("audit_seal")
    with op.batch_alter_table("audit_entry") as batch_op:
        batch_op.drop_index("ix_audit_entry_xid")
        batch_op.drop_index("ix_audit_entry_actor_login")
        batch_op.drop_column("xid")
        batch_op.drop_column("digest")
        batch_op.drop_column("category")
        batch_op.drop_column("impersonator_login")
        batch_op.drop_column("impersonator_id")
        batch_op.create_foreign_key(
            "fk_audit_entry_actor_id_account", "account", ["actor_id"], ["id"], ondelete="SET NULL"
        )
