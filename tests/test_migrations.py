"""The models and the migrations agree, on the database the suite runs on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pyramid.exceptions import ConfigurationError

import cagou.models  # noqa: F401
from cagou.db import Base, get_engine, migrate
from cagou.db.migrate import check_table_prefixes, include_name
from cagou.plugins import CORE, get_plugins
from cagou.testing import is_postgresql


def platform_metadata(registry) -> sa.MetaData:
    """The tables of the core and of the modules the platform loads.

    Another test may have imported a module this platform does not load (an
    installed one, discovered through its entry point): its models joined the
    metadata, its migrations are not run here.
    """
    packages = {"cagou"} | {module.package for module in get_plugins(registry).loaded() if module.name != CORE}
    foreign = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.split(".")[0] not in packages
    }
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        if table.name not in foreign:
            table.to_metadata(metadata)
    return metadata


def test_models_and_migrations_agree(registry):
    """An autogenerate comparison of the migrated database finds nothing to do."""
    with get_engine(registry).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, platform_metadata(registry))
    dialect = "PostgreSQL" if is_postgresql() else "SQLite"
    assert differences == [], f"models and migrations differ on {dialect}: {differences}"


def test_every_branch_is_at_its_head(registry):
    assert migrate.missing_heads(registry) == set()
    heads = migrate.head_revisions(registry)
    assert "0003_sample_access_code" in heads
    assert migrate.applied_revisions(registry) >= heads | {"0001_core"}


def test_upgrading_again_changes_nothing(registry):
    before = migrate.applied_revisions(registry)
    migrate.upgrade(registry)
    assert migrate.applied_revisions(registry) == before


def test_a_module_table_without_the_module_prefix_stops_the_platform(registry):
    plugins = get_plugins(registry)
    check_table_prefixes(plugins)  # the real tables are fine
    check_table_prefixes(plugins, [("cagou.identity.models", "account")])  # the core is not a module
    with pytest.raises(ConfigurationError, match="notes_sans_prefixe"):
        check_table_prefixes(plugins, [("cagou_sample.models", "notes_sans_prefixe")])


def test_every_installed_module_s_models_configure_together():
    """The modules share one declarative registry: two models of the same class name (aids' and the helpdesk's
    ``Message`` once) make a relationship given by name ambiguous, and every mapper fails in a process that
    loads both, as the worker does. In a process of its own: this suite's metadata holds the core's tables only."""
    import subprocess
    import sys

    code = (
        "import importlib\n"
        "from importlib.metadata import entry_points\n"
        "from sqlalchemy.orm import configure_mappers\n"
        "for entry in entry_points(group='cagou.plugins'):\n"
        "    importlib.import_module(entry.value.split(':')[0])\n"
        "configure_mappers()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
