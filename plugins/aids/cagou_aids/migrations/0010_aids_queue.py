"""The instructors' queue: saved views, the list's state index, the applications' full-text index.

Revision ID: 0010_aids_queue
Revises: 0009_aids_assignment

- ``aids_saved_view``: an agent's named query strings of a procedure's list.
- ``ix_aids_application_state_list``: the state filter in the list's order, and
  the counts per state read from the index alone.
- ``ix_aids_application_answers_fts`` (PostgreSQL): a GIN index on the answers as
  ``jsonb``, for the equality filters on answers (a commune, a choice, a yes/no).
- Full-text search (:mod:`cagou_aids.fulltext`): on PostgreSQL a GIN index on
  the French document of an application (receipt, address, the text of its
  answers); on SQLite the FTS5 table ``aids_application_fts`` kept in step by
  triggers on insert, update and delete (so that bulk inserts are indexed too).
  A later revision that rebuilds ``aids_application`` in batch mode on SQLite
  must create the triggers again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_aids_queue"
down_revision = "0009_aids_assignment"
branch_labels = None
depends_on = None

POSTGRESQL_DOCUMENT = (
    "(to_tsvector('french'::regconfig, receipt || ' ' || email) || "
    "jsonb_to_tsvector('french'::regconfig, answers::jsonb, '[\"string\"]'))"
)
#: The equality filters on answers, as one containment (``answers::jsonb @> '{"commune": "Thio"}'``).
POSTGRESQL_ANSWERS = "(answers::jsonb) jsonb_path_ops"
#: The FTS5 table, filled with what is there, and its triggers: the text of an application's answers is every
#: string of its JSON (``json_tree``), after its receipt number and address.
SQLITE_STATEMENTS = [
    "CREATE VIRTUAL TABLE aids_application_fts USING fts5(receipt, body, tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO aids_application_fts(rowid, receipt, body) SELECT id, receipt, email || ' ' || "
    "coalesce((SELECT group_concat(value, ' ') FROM json_tree(aids_application.answers) WHERE type = "
    "'text'), '') FROM aids_application",
    "CREATE TRIGGER aids_application_fts_insert AFTER INSERT ON aids_application BEGIN INSERT INTO "
    "aids_application_fts(rowid, receipt, body) VALUES (new.id, new.receipt, new.email || ' ' || "
    "coalesce((SELECT group_concat(value, ' ') FROM json_tree(new.answers) WHERE type = 'text'), '')); "
    "END",
    "CREATE TRIGGER aids_application_fts_delete AFTER DELETE ON aids_application BEGIN DELETE FROM "
    "aids_application_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER aids_application_fts_update AFTER UPDATE OF receipt, email, answers ON "
    "aids_application BEGIN DELETE FROM aids_application_fts WHERE rowid = old.id; INSERT INTO "
    "aids_application_fts(rowid, receipt, body) VALUES (new.id, new.receipt, new.email || ' ' || "
    "coalesce((SELECT group_concat(value, ' ') FROM json_tree(new.answers) WHERE type = 'text'), '')); "
    "END",
]


def upgrade() -> None:
    op.create_table(
        "aids_saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("query", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_aids_saved_view_account_id_account")),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["aids_procedure.id"], name=op.f("fk_aids_saved_view_procedure_id_aids_procedure")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_saved_view")),
        sa.UniqueConstraint(
            "account_id", "procedure_id", "name", name=op.f("uq_aids_saved_view_account_id_procedure_id_name")
        ),
    )
    op.create_index("ix_aids_saved_view_owner", "aids_saved_view", ["account_id", "procedure_id"])
    op.create_index(
        "ix_aids_application_state_list", "aids_application", ["procedure_id", "is_test", "state", "submitted_at", "id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_aids_application_fts ON aids_application USING gin ({POSTGRESQL_DOCUMENT})")
        op.execute(f"CREATE INDEX ix_aids_application_answers_fts ON aids_application USING gin ({POSTGRESQL_ANSWERS})")
        return
    for statement in SQLITE_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_aids_application_answers_fts")
        op.execute("DROP INDEX ix_aids_application_fts")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER aids_application_fts_{trigger}")
        op.execute("DROP TABLE aids_application_fts")
    op.drop_index("ix_aids_application_state_list", "aids_application")
    op.drop_index("ix_aids_saved_view_owner", "aids_saved_view")
    op.drop_table("aids_saved_view")
