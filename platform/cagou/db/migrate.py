"""Migrations: the core's Alembic branch and one branch per module.

``cagou db upgrade`` brings every branch to its head in one command. A module
names the folder of its revisions in ``ModuleInfo.migrations``; its first
revision has ``branch_labels = ("<module>",)`` and ``down_revision = None``,
and ``depends_on`` the core revision whose tables it refers to.
"""

from __future__ import annotations

import io
import os
from importlib.resources import files
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pyramid.registry import Registry

from cagou.db import get_engine
from cagou.plugins import get_plugins

CORE_BRANCH = "core"


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
    return config


def upgrade(registry: Registry) -> None:
    """Bring the core and every installed module to the head of its branch."""
    with get_engine(registry).begin() as connection:
        command.upgrade(alembic_config(registry, connection), "heads")


def current_revisions(registry: Registry) -> set[str]:
    with get_engine(registry).connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions(registry: Registry) -> set[str]:
    with get_engine(registry).connect() as connection:
        return set(ScriptDirectory.from_config(alembic_config(registry, connection)).get_heads())


def revision(registry: Registry, message: str, branch: str) -> None:
    """Write a new revision on ``branch`` from the difference models/database (for developers)."""
    with get_engine(registry).begin() as connection:
        config = alembic_config(registry, connection)
        head = f"{branch}@head"
        command.revision(config, message=message, autogenerate=True, head=head)
