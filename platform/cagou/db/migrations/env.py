"""Alembic's environment: one metadata, the core's branch and each module's.

Run through ``cagou db upgrade``, which hands over a connection and the
version locations of every installed module (see :mod:`cagou.db.migrate`).
"""

from __future__ import annotations

from alembic import context

import cagou.models  # noqa: F401  (fills the metadata)
from cagou.db import Base
from cagou.db.migrate import include_name, render_item

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
