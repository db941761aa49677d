"""Alembic's environment: one metadata, the core's branch and each module's.

Run through ``cagou db upgrade``, which hands over a connection and the
version locations of every installed module (see :mod:`cagou.db.migrate`).
"""

from __future__ import annotations

from typing import Any

from alembic import context

import cagou.models  # noqa: F401  (fills the metadata)
from cagou.db import Base
from cagou.db.types import UTCDateTime

#: Tables that live in the database but belong to a library, not to a model.
FOREIGN_TABLE_PREFIXES = ("huey_",)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "table" and name is not None:
        return not name.startswith(FOREIGN_TABLE_PREFIXES)
    return True


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the platform's column types as the plain SQLAlchemy types they store."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=include_name,
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
