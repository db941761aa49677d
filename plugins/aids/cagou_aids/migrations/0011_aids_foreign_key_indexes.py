"""Indexes on the foreign keys that had none and that a deletion reads.

Revision ID: 0011_aids_foreign_key_indexes
Revises: 0010_aids_queue

Deleting an application makes the database look for the rows that point at it:
the applications that may duplicate it (``duplicate_of_id``, a column of the
same table), its draft (``aids_draft.application_id``); deleting a version or a
message, the applications and files that point at them. Without an index each
of these lookups reads the whole table: retention's erasure of a procedure's
applications, or the tests' emptying of the tables between two tests, went from
one scan per statement to one scan per row deleted (minutes, on PostgreSQL,
once the table holds a few hundred thousand dead rows).
"""

from __future__ import annotations

from alembic import op

revision = "0011_aids_foreign_key_indexes"
down_revision = "0010_aids_queue"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_aids_application_duplicate_of", "aids_application", "duplicate_of_id"),
    ("ix_aids_application_version", "aids_application", "version_id"),
    ("ix_aids_draft_application", "aids_draft", "application_id"),
    ("ix_aids_file_message", "aids_file", "message_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
