"""One category per path whatever the case; partial indexes for the open queue and "take the next one".

Revision ID: 0002_helpdesk_indexes
Revises: 0001_helpdesk

- ``ix_helpdesk_category_lower_path`` (unique, on ``lower(path)``): the unique
  constraint on (parent_id, name) never fires at the root, where parent_id is
  NULL, so two administrators adding the same top-level category at the same
  instant both succeeded. A database that already holds such twins cannot take
  the index: the upgrade stops and names them, for an administrator to rename
  all but one in the helpdesk's administration; then it is run again.
- ``ix_helpdesk_ticket_open_queue`` and ``ix_helpdesk_ticket_next``: partial
  indexes whose WHERE is the very condition of ``queries.queue`` (open
  statuses) and of ``ITickets.take_next`` (new, unassigned, not a duplicate),
  in each query's order, so that a page of a 17,800-ticket queue reads 51
  index entries instead of sorting them all. SQLite takes the second only: it
  never matches the open statuses, bound as parameters of an IN list, with a
  partial index's WHERE.

The conditions are written out rather than imported from the models: a
revision describes the schema as it was made, whatever the models become.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cagou.kit import MigrationRefusedError

revision = "0002_helpdesk_indexes"
down_revision = "0001_helpdesk"
branch_labels = None
depends_on = None

OPEN_QUEUE_WHERE = "status IN ('new', 'assigned', 'in_progress', 'waiting')"
NEXT_WHERE = "status = 'new' AND assignee_id IS NULL AND parent_id IS NULL"


def duplicate_paths(connection: sa.Connection) -> list[str]:
    """The paths of the categories that share their path with another, whatever the case (as lower() sees it)."""
    query = sa.text(
        "SELECT path FROM helpdesk_category WHERE lower(path) IN "
        "(SELECT lower(path) FROM helpdesk_category GROUP BY lower(path) HAVING count(*) > 1) "
        "ORDER BY lower(path), id"
    )
    return list(connection.scalars(query))


def upgrade() -> None:
    twins = duplicate_paths(op.get_bind())
    if twins:
        raise MigrationRefusedError(
            "Des catégories de l'assistance portent le même chemin, à la casse près : "
            + ", ".join(f"« {path} »" for path in twins)
            + ". Renommez-les dans l'administration de l'assistance (un chemin par catégorie), "
            "puis relancez la migration."
        )
    op.create_index("ix_helpdesk_category_lower_path", "helpdesk_category", [sa.text("lower(path)")], unique=True)
    op.create_index(
        "ix_helpdesk_ticket_open_queue",
        "helpdesk_ticket",
        ["group_id", "priority", "id"],
        postgresql_where=sa.text(OPEN_QUEUE_WHERE),
        sqlite_where=sa.text(OPEN_QUEUE_WHERE),
    )
    op.create_index(
        "ix_helpdesk_ticket_next",
        "helpdesk_ticket",
        ["group_id", "priority", "resolution_due", "id"],
        postgresql_where=sa.text(NEXT_WHERE),
        sqlite_where=sa.text(NEXT_WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_helpdesk_ticket_next", table_name="helpdesk_ticket")
    op.drop_index("ix_helpdesk_ticket_open_queue", table_name="helpdesk_ticket")
    op.drop_index("ix_helpdesk_category_lower_path", table_name="helpdesk_category")
