"""The helpdesk's models and migrations agree, on the database the suite runs on; its branch is at its head.

The same checks as the core's (tests/test_migrations.py), on a platform that
loads the helpdesk: its tables are compared with its migrations.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import cagou.models  # noqa: F401
from cagou.db import Base, get_engine, migrate
from cagou.db.migrate import check_table_prefixes, include_name
from cagou.testing import is_postgresql


def test_models_and_migrations_agree(registry):
    """An autogenerate comparison of the migrated database finds nothing to do."""
    with get_engine(registry).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    dialect = "PostgreSQL" if is_postgresql() else "SQLite"
    assert differences == [], f"models and migrations differ on {dialect}: {differences}"


def test_the_helpdesk_branch_is_at_its_head(registry):
    assert migrate.missing_heads(registry) == set()
    heads = migrate.head_revisions(registry)
    assert "0004_helpdesk_acknowledged" in heads
    assert migrate.applied_revisions(registry) >= heads | {"0001_core", "0001_helpdesk"}


def test_upgrading_again_changes_nothing(registry):
    before = migrate.applied_revisions(registry)
    migrate.upgrade(registry)
    assert migrate.applied_revisions(registry) == before


def test_the_helpdesk_tables_carry_its_prefix(registry):
    from cagou.plugins import get_plugins

    check_table_prefixes(get_plugins(registry))
