"""The PostgreSQL privileges of the application's role and of the purge's role.

Three roles share a PostgreSQL deployment (docs/deployment.md): the owner,
who owns the schema and migrates it; the application's, which the servers
and the worker connect as; the purge's, which ``cagou audit purge`` alone
connects as (``cagou.audit.purge_database_url``). :func:`grant` gives the
two others what they need and no more, from the models' metadata (the
core's and the loaded modules'), so that a new table is granted by running
``cagou db grant`` again after ``cagou db upgrade``:

- the application may read and write every table but the audit log's, which
  it may only read and append to; it reads ``alembic_version`` and uses the
  job queue's tables (``huey_*``, created by the owner's first start);
- the purge may read and append to the audit tables (it seals first, then
  writes the purge and its tombstones) and execute ``audit_purge_delete``,
  the only way to delete from them (migration 0012).

Statements are GRANTs and REVOKEs, so running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from cagou.db import Base

#: The tables of the audit log: append-only for every role (see cagou.audit).
AUDIT_TABLES = ("audit_entry", "audit_seal", "audit_tombstone", "audit_purge")
PURGE_FUNCTION = "audit_purge_delete(bigint, bigint)"
JOB_TABLES = sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'huey\\_%'")
ROLE_EXISTS = sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name")


class RoleError(ValueError):
    """A role to grant to does not exist in the cluster, or is the owner; the message is in French."""


@dataclass
class Granted:
    """What :func:`grant` gave, to tell the person."""

    tables: list[str] = field(default_factory=list)
    audit_tables: list[str] = field(default_factory=list)
    job_tables: list[str] = field(default_factory=list)


def quoted(connection: sa.Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def grant(connection: sa.Connection, app_role: str, purge_role: str) -> Granted:
    """Give ``app_role`` and ``purge_role`` their privileges, as the owner, in the caller's transaction."""
    owner = connection.scalar(sa.text("SELECT current_user"))
    for role in (app_role, purge_role):
        if connection.execute(ROLE_EXISTS, {"name": role}).first() is None:
            raise RoleError(f"le rôle « {role} » n'existe pas (CREATE ROLE, docs/deployment.md).")
        if role == owner:
            # Revoking from the owner would take the audit log away from it.
            raise RoleError(f"le rôle « {role} » est celui qui exécute la commande, le propriétaire.")
    app, purge = quoted(connection, app_role), quoted(connection, purge_role)
    granted = Granted()
    statements = [f"GRANT USAGE ON SCHEMA public TO {app}, {purge}"]
    # The tables the database holds: an installed module whose models are imported but whose branch is not
    # migrated (a core-only test database, a module added before `cagou db upgrade`) has none to grant.
    existing = set(sa.inspect(connection).get_table_names())
    for table in sorted(name for name in Base.metadata.tables if name in existing):
        name = quoted(connection, table)
        # From a clean slate: a privilege given by hand or by an older grant does not stay.
        statements.append(f"REVOKE ALL ON TABLE {name} FROM {app}, {purge}")
        if table in AUDIT_TABLES:
            statements.append(f"GRANT SELECT, INSERT ON TABLE {name} TO {app}, {purge}")
            granted.audit_tables.append(table)
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {name} TO {app}")
            granted.tables.append(table)
    statements.append(f"GRANT SELECT ON TABLE alembic_version TO {app}")
    for table in connection.scalars(JOB_TABLES):
        statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {quoted(connection, table)} TO {app}")
        granted.job_tables.append(table)
    # Serial columns: inserting takes the sequence's next value.
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}, {purge}")
    statements.append(f"REVOKE ALL ON FUNCTION {PURGE_FUNCTION} FROM PUBLIC, {app}")
    statements.append(f"GRANT EXECUTE ON FUNCTION {PURGE_FUNCTION} TO {purge}")
    for statement in statements:
        connection.exec_driver_sql(statement)
    return granted
