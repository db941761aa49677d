"""The test database: which one, its roles, wiping it between tests, and copying its rows in and out."""

from __future__ import annotations

import contextlib
import functools
import graphlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from cagou.db import roles

TEST_DATABASE_ENV = "CAGOU_TEST_DATABASE_URL"


def test_database_url() -> str | None:
    """The PostgreSQL database the suite runs on, or None for SQLite."""
    return os.environ.get(TEST_DATABASE_ENV) or None


def is_postgresql() -> bool:
    return test_database_url() is not None


def role_url(url: str, role: str) -> str:
    """``url`` with another user: the same database, as ``role`` (trust authentication, no password)."""
    return sa.make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def test_roles(url: str) -> tuple[str, str]:
    """The application's and the purge's roles of the test database ``url``.

    Roles belong to the whole cluster, which several checkouts share with a
    database each: the database's name tells theirs apart.
    """
    database = sa.make_url(url).database
    return f"{database}_app", f"{database}_purge"


def app_url(url: str) -> str:
    """The test database ``url`` as the application's role (see :func:`cagou.db.roles.grant`)."""
    return role_url(url, test_roles(url)[0])


def purge_url(url: str) -> str:
    """The test database ``url`` as the purge's role."""
    return role_url(url, test_roles(url)[1])


@contextlib.contextmanager
def as_owner() -> Iterator[sa.Connection]:
    """A transaction on the PostgreSQL test database as its owner, who may do what the application may not."""
    url = test_database_url()
    assert url is not None, "PostgreSQL only: SQLite has no roles"
    with owner_engine(url).begin() as connection:
        yield connection


def create_roles_and_grant(url: str) -> None:
    """As the owner ``url``: the two roles if missing, then ``cagou db grant``'s privileges."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for role in test_roles(url):
            if connection.execute(roles.ROLE_EXISTS, {"name": role}).first() is None:
                connection.exec_driver_sql(f"CREATE ROLE {connection.dialect.identifier_preparer.quote(role)} LOGIN")
        roles.grant(connection, *test_roles(url))
    engine.dispose()


def reset_postgresql(url: str) -> None:
    """Start from an empty schema: the test database belongs to the tests."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


TABLES = sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
FOREIGN_KEYS = sa.text(
    "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
    "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
)
RESTART_SEQUENCES = sa.text(
    "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
)
SEQUENCES = sa.text("SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")
COLUMNS = sa.text(
    "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 "
    "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"
)


@functools.cache
def owner_engine(url: str) -> sa.Engine:
    """The owner's engine for the session, for the wipe before each test and the demonstration's copies.

    One pooled connection, kept: an engine made and disposed for each wipe
    opened a connection each time, a new PostgreSQL server process on the
    same two cores as the tests. The pool checks the connection before use
    (pre-ping), so a server restarted in between is reconnected to.
    """
    return sa.create_engine(url, pool_size=1, pool_pre_ping=True)


def wipe_postgresql(url: str) -> None:
    """Empty every table but Alembic's and restart the sequences, so that the test starts clean.

    DELETE, children first, rather than TRUNCATE: on the few rows a test
    leaves, TRUNCATE's fixed cost per table (a new file for each) made the
    wipe take 0.2 to 0.4 s, before every test; DELETE takes a tenth of it.
    The statements go as one script, in one round trip rather than one each
    (about 40): a third of the time on a busy machine.
    """
    with owner_engine(url).begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        script = [
            # The audit tables refuse DELETE outside a purge (see cagou.audit); on PostgreSQL the
            # owner (this URL) may still delete when its transaction says so, other roles never.
            "SET LOCAL cagou.audit_purge = 'on'",
            # Names from the catalog, quoted.
            *(f"DELETE FROM public.{quote(name)}" for name in children_first(connection)),  # noqa: S608
            str(RESTART_SEQUENCES),
        ]
        connection.exec_driver_sql(";\n".join(script))


def children_first(connection: sa.Connection) -> list[str]:
    """The tables, each before those its foreign keys point to (a table's references to itself aside)."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in connection.scalars(TABLES):
        sorter.add(name)
    for child, parent in connection.execute(FOREIGN_KEYS):
        if child != parent:
            sorter.add(parent, child)
    return list(sorter.static_order())


@dataclass(frozen=True)
class Rows:
    """Rows of PostgreSQL's test database: each table's (``COPY``'s text format) with its columns, and the sequences'
    positions. Kept in memory, not in another schema of the database, which ``pg_dump`` would save with the rest."""

    tables: tuple[tuple[str, str, bytes], ...] = ()
    sequences: str = ""


def snapshot_rows(url: str) -> Rows:
    """Read every table's rows of PostgreSQL's test database ``url`` (the owner's), and where the sequences stand."""
    with owner_engine(url).begin() as connection:
        quote = connection.dialect.identifier_preparer.quote  # names from the catalog, quoted
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open: in the transaction
        tables = []
        for name in connection.scalars(TABLES).all():
            table = f"public.{quote(name)}"
            # By name: a test that migrated down and up again may have put the columns in another order.
            columns = ", ".join(quote(column) for column in connection.scalars(COLUMNS, {"table": table}))
            with cursor.copy(f"COPY {table} ({columns}) TO STDOUT") as stream:
                data = b"".join(bytes(block) for block in stream)
            if data:
                tables.append((table, columns, data))
        positions = []
        for name in connection.scalars(SEQUENCES).all():
            sequence = f"public.{quote(name)}"
            position = sa.text(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            last_value, is_called = connection.execute(position).one()
            positions.append(f"setval('{sequence}', {int(last_value)}, {bool(is_called)})")
    return Rows(tuple(tables), f"SELECT {', '.join(positions)}" if positions else "")


def copy_rows(url: str, rows: Rows) -> None:
    """Copy ``rows`` into the emptied tables of ``url`` (the owner's); put the sequences where they stood.

    ``session_replication_role = replica``: no trigger, no foreign key
    check, as the rows are those the real triggers and checks let in (the
    audit tables' triggers, which stamp new entries and refuse changes, must
    let the copies in unchanged). It needs a superuser as the test
    database's owner.
    """
    with owner_engine(url).begin() as connection:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open: in the transaction
        for table, columns, data in rows.tables:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
                stream.write(data)
        if rows.sequences:
            connection.exec_driver_sql(rows.sequences)


def database_is_empty(url: str) -> bool:
    """Whether no table of PostgreSQL's test database ``url`` (the owner's) holds a row, Alembic's aside."""
    with owner_engine(url).connect() as connection:
        quote = connection.dialect.identifier_preparer.quote  # names from the catalog, quoted
        names = connection.scalars(TABLES).all()
        if not names:
            return True
        # One round trip for every table.
        rows = " OR ".join(f"EXISTS (SELECT FROM public.{quote(name)})" for name in names)
        return not connection.execute(sa.text(f"SELECT {rows}")).scalar_one()
