"""Migrations: the core's Alembic branch and one branch per module.

``cagou db upgrade`` brings every branch to its head in one command. A module
names the folder of its revisions in ``ModuleInfo.migrations``; its first
revision has ``branch_labels = ("<module>",)`` and ``down_revision = None``,
and ``depends_on`` the core revision whose tables it refers to.
"""

from __future__ import annotations

import io
import os
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pyramid.exceptions import ConfigurationError
from pyramid.registry import Registry

from cagou.db import Base, get_engine
from cagou.db.types import Encrypted, UTCDateTime
from cagou.plugins import Plugins, get_plugins

#: Tables that live in the database but belong to a library, not to a model:
#: the job queue's, and the audit log's SQLite full-text index (FTS5 and its shadow tables).
FOREIGN_TABLE_PREFIXES = ("huey_", "audit_entry_fts")
#: Any module's SQLite full-text index made by a migration, ``<table>_fts``, and
#: its FTS5 shadow tables (``<table>_fts_data``, ``…_idx``, ``…_docsize``, ``…_config``).
FULL_TEXT_TABLE = re.compile(r"_fts(_(data|idx|docsize|config|content))?$")
#: Indexes made by a migration on an expression no model can declare on both
#: databases (full-text indexes) are named ``…_fts``.
MIGRATION_ONLY_INDEX_SUFFIX = "_fts"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the tables and indexes that are not models' out of the comparison with the models."""
    if type_ == "table" and name is not None:
        return not name.startswith(FOREIGN_TABLE_PREFIXES) and FULL_TEXT_TABLE.search(name) is None
    if type_ == "index" and name is not None:
        return not name.endswith(MIGRATION_ONLY_INDEX_SUFFIX)
    return True


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the platform's column types as the plain SQLAlchemy types they store."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, Encrypted):
        return "sa.Text()"
    return False


def mapped_tables() -> list[tuple[str, str]]:
    """(Python module of the model, table name) for every mapped model."""
    return [(mapper.class_.__module__, getattr(mapper.local_table, "name", "")) for mapper in Base.registry.mappers]


def check_table_prefixes(plugins: Plugins, tables: list[tuple[str, str]] | None = None) -> None:
    """Stop at start-up when a module's table is not prefixed with the module's name."""
    for python_module, table in mapped_tables() if tables is None else tables:
        owner = plugins.module_of_package(python_module)
        if owner is not None and not table.startswith(f"{owner.name}_"):
            raise ConfigurationError(f"The table {table!r} of module {owner.name!r} must be named {owner.name}_…")


def resource_path(spec: str) -> Path:
    """``package:folder`` → the folder on disk."""
    package, _, folder = spec.partition(":")
    return Path(str(files(package).joinpath(folder)))


def version_locations(registry: Registry) -> list[Path]:
    locations = [resource_path("cagou:db/migrations/versions")]
    for module in get_plugins(registry).loaded():
        if module.info is not None and module.info.migrations:
            locations.append(resource_path(module.info.migrations))
    return locations


def alembic_config(registry: Registry, connection: sa.Connection, output: io.StringIO | None = None) -> Config:
    config = Config(stdout=output or io.StringIO())
    config.set_main_option("script_location", str(resource_path("cagou:db/migrations")))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in version_locations(registry)))
    config.attributes["connection"] = connection
    # For revisions that need a service: the key ring, to encrypt secrets stored in clear.
    config.attributes["registry"] = registry
    return config


class MigrationRefusedError(Exception):
    """A revision that cannot run on the data it finds; its French message says what the operator should fix.

    ``cagou db upgrade`` shows the message alone, without a traceback, and the
    whole upgrade is rolled back.
    """


def upgrade(registry: Registry) -> None:
    """Bring the core and every installed module to the head of its branch."""
    with get_engine(registry).begin() as connection:
        command.upgrade(alembic_config(registry, connection), "heads")


def current_revisions(registry: Registry) -> set[str]:
    """The revisions recorded in the database (a branch that another depends on is implied)."""
    with get_engine(registry).connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def applied_revisions(registry: Registry) -> set[str]:
    """Every revision the database has, dependencies included."""
    with get_engine(registry).connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        script = ScriptDirectory.from_config(alembic_config(registry, connection))
        revisions = script.revision_map.iterate_revisions(current, "base", select_for_downgrade=True)
        return {revision.revision for revision in revisions}


def head_revisions(registry: Registry) -> set[str]:
    with get_engine(registry).connect() as connection:
        return set(ScriptDirectory.from_config(alembic_config(registry, connection)).get_heads())


def missing_heads(registry: Registry) -> set[str]:
    """The heads of branches the database has not reached: ``cagou db upgrade`` is due."""
    return head_revisions(registry) - applied_revisions(registry)


def revision(registry: Registry, message: str, branch: str) -> list[str]:
    """Write a revision on ``branch`` from what the models add to the migrated database.

    For developers: read and tidy what it wrote. Returns the paths written.
    """
    with get_engine(registry).begin() as connection:
        config = alembic_config(registry, connection)
        labels = {
            label for script in ScriptDirectory.from_config(config).walk_revisions() for label in script.branch_labels
        }
        if branch in labels:
            written = command.revision(config, message=message, autogenerate=True, head=f"{branch}@head")
        else:  # a module's first revision starts its branch, in its own folder
            info = get_plugins(registry).modules[branch].info
            if info is None or not info.migrations:
                raise ConfigurationError(f"Le module {branch} ne déclare pas de dossier de migrations.")
            written = command.revision(
                config,
                message=message,
                autogenerate=True,
                head="base",
                branch_label=branch,
                version_path=str(resource_path(info.migrations)),
                depends_on="0001_core",
            )
    scripts = written if isinstance(written, list) else [written]
    return [script.path for script in scripts if script is not None]
