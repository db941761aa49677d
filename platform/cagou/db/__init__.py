"""The database: declarative base, engine, and one transaction per request.

``request.db`` is a SQLAlchemy session joined to the request's transaction
(pyramid_tm with zope.sqlalchemy): it commits when the view succeeds and rolls
back when it raises. pyramid_retry replays a request whose transaction failed
on a serialization conflict or a deadlock (PostgreSQL), or on a busy database
(SQLite). Work outside a request (jobs, commands) uses :func:`transaction_scope`;
a step that may fail while the request goes on runs in :func:`savepoint`.

The engine belongs to one process: each gunicorn worker loads the application
after its fork (gunicorn.conf.py does not preload), so no pooled connection is
ever shared between processes. Its pool keeps one connection per thread
and one more (``cagou.database.pool_size``, by default ``cagou.threads`` + 1):
the module switches are read again every second on a connection of their
own, by one thread at a time, while that thread holds its request's. A
thread may also take a second connection for an audit entry that must outlive
a failing request (a refused access, a failed sign-in): up to
``cagou.database.max_overflow`` more (by default ``cagou.threads``), closed
when given back. A thread that cannot get a connection within
``cagou.database.pool_timeout`` gets a 503 (:mod:`cagou.web.unavailable`), as does a request while the
database is unreachable; ``pool_pre_ping`` replaces a connection the database
dropped (a restart) before it is used, so the platform serves again as soon as
the database is back.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.scripting import prepare
from pyramid_retry import mark_error_retryable
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from zope.sqlalchemy.datamanager import ZopeTransactionEvents

#: Constraint names that Alembic can find again on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base every model of the core and of the modules uses."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_BUSY_TIMEOUT_MS = 15_000


def make_engine(url: str, application_name: str = "cagou", **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    On PostgreSQL, each connection is named ``application_name`` followed by
    the process id, so that ``pg_stat_activity`` tells which process holds it.
    """
    if url.startswith("sqlite"):
        if sa.make_url(url).database in (None, "", ":memory:"):
            options = {}  # one connection per thread (SingletonThreadPool): nothing to size
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    engine = sa.create_engine(url, pool_pre_ping=True, **options)

    def name_connection(_dialect: object, _record: object, _arguments: object, parameters: dict[str, Any]) -> None:
        # At connect time, not at creation: the process id is the one that opens the connection.
        parameters["application_name"] = f"{application_name} {os.getpid()}"

    event.listen(engine, "do_connect", name_connection)
    return engine


def pool_options(settings: dict[str, Any]) -> dict[str, Any]:
    """The pool sized to the process's threads (see the module's docstring)."""
    return {
        "pool_size": settings["cagou.database.pool_size"],
        "max_overflow": settings["cagou.database.max_overflow"],
        "pool_timeout": settings["cagou.database.pool_timeout"],
    }


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine(registry: Registry) -> Engine:
    engine: Engine = registry["cagou.engine"]
    return engine


@contextlib.contextmanager
def separate_engine(registry: Registry, url: str, purpose: str) -> Iterator[Engine]:
    """An engine of its own on ``url`` (another role on the same database), disposed after use.

    Built like the main engine, but with a pool of one: a command uses it
    for one transaction. An empty ``url`` means the main engine, as is.
    """
    if not url:
        yield get_engine(registry)
        return
    settings = registry.settings
    engine = make_engine(url, f"{settings['cagou.database.application_name']} {purpose}", pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


def get_session_factory(registry: Registry) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = registry["cagou.session_factory"]
    return factory


#: Where a request's session keeps zope.sqlalchemy's events, bound to the request's transaction manager.
ZOPE_EVENTS = "cagou.zope_events"


def _request_db(request: Request) -> Session:
    events = ZopeTransactionEvents(transaction_manager=request.tm)
    session: Session = get_session_factory(request.registry)(info={ZOPE_EVENTS: events})
    return session


def _events_of(session: Session) -> ZopeTransactionEvents | None:
    events: ZopeTransactionEvents | None = session.info.get(ZOPE_EVENTS)
    return events


def join_request_transactions(factory: sessionmaker[Session]) -> None:
    """zope.sqlalchemy's seven listeners, put once on the session factory rather than on each request's session.

    ``zope.sqlalchemy.register(session)`` adds them to every new session, and
    adding an event listener costs more than the listener: every request paid
    it. These hand each event to the ``ZopeTransactionEvents`` that the
    request's session carries, bound to the request's transaction manager;
    a session made without one (outside a request) joins no transaction, as
    before.
    """

    def after_begin(session: Session, transaction: Any, connection: Any) -> None:
        if (events := _events_of(session)) is not None:
            events.after_begin(session, transaction, connection)

    def after_attach(session: Session, instance: Any) -> None:
        if (events := _events_of(session)) is not None:
            events.after_attach(session, instance)

    def after_flush(session: Session, flush_context: Any) -> None:
        if (events := _events_of(session)) is not None:
            events.after_flush(session, flush_context)

    def after_bulk_update(update_context: Any) -> None:
        if (events := _events_of(update_context.session)) is not None:
            events.after_bulk_update(update_context)

    def after_bulk_delete(delete_context: Any) -> None:
        if (events := _events_of(delete_context.session)) is not None:
            events.after_bulk_delete(delete_context)

    def before_commit(session: Session) -> None:
        if (events := _events_of(session)) is not None:
            events.before_commit(session)

    def do_orm_execute(execute_state: Any) -> None:
        if (events := _events_of(execute_state.session)) is not None:
            events.do_orm_execute(execute_state)

    listeners = (after_begin, after_attach, after_flush, after_bulk_update, after_bulk_delete, before_commit)
    for listener in (*listeners, do_orm_execute):
        event.listen(factory, listener.__name__, listener)


#: Paths answered without a database transaction: the health check and static files.
OUTSIDE_TRANSACTION = ("/sante",)
OUTSIDE_TRANSACTION_PREFIXES = ("/static/", "/assets/")


def needs_transaction(request: Request) -> bool:
    """pyramid_tm's activation hook: the cheap, read-only paths go without a transaction."""
    # The raw path: an address that is not UTF-8 goes on to the input guard, which refuses it.
    path: str = request.environ.get("PATH_INFO", "")
    return path not in OUTSIDE_TRANSACTION and not path.startswith(OUTSIDE_TRANSACTION_PREFIXES)


def in_transaction(request: Request) -> bool:
    """True inside a request that pyramid_tm manages (not the health check, not assets)."""
    return "tm.active" in request.environ


def is_sqlite_busy(error: BaseException) -> bool:
    return isinstance(error, sa.exc.OperationalError) and "database is locked" in str(error)


def sqlite_busy_tween_factory(handler: Callable[[Request], Any], registry: Registry) -> Callable[[Request], Any]:
    """Mark SQLite's "database is locked" as retryable, like PostgreSQL's conflicts."""

    def sqlite_busy_tween(request: Request) -> Any:
        try:
            return handler(request)
        except sa.exc.OperationalError as error:
            if is_sqlite_busy(error):
                mark_error_retryable(error)
            raise

    return sqlite_busy_tween


def increment(db: Session, model: type[Base], counter: str, **key: Any) -> int:
    """Add one to the column ``counter`` of the ``model`` row ``key`` (created at 1); return the new value.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, on SQLite and
    PostgreSQL alike: the row stays locked until the caller's transaction
    ends, so concurrent transactions never read the same value.
    """
    table = sa.inspect(model).local_table
    column = table.c[counter]
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(**key, **{counter: 1})
        .on_conflict_do_update(index_elements=list(key), set_={counter: column + 1})
        .returning(column)
    )
    value: int = db.execute(statement).scalar_one()
    # A Core statement goes unseen by zope.sqlalchemy, which would roll a
    # "read-only" session back instead of committing it.
    zope.sqlalchemy.mark_changed(db)
    return value


@contextlib.contextmanager
def savepoint(db: Session) -> Iterator[None]:
    """A SAVEPOINT in the request's transaction: what fails inside is undone, the transaction goes on.

    pysqlite begins its transaction at the first INSERT or UPDATE only: a
    SAVEPOINT before it would be the outermost one, whose RELEASE commits at
    once, audit entry or not. So the transaction is begun first there.
    """
    driver = db.connection().connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        db.connection().exec_driver_sql("BEGIN")
    with db.begin_nested():
        yield


@contextlib.contextmanager
def transaction_scope(registry: Registry, path: str = "/intranet/") -> Iterator[Request]:
    """A request outside the web, inside its own transaction, for jobs and commands.

    Its ``request.db`` and services work as in a view; the transaction commits
    when the block ends and aborts if it raises.
    """
    base_url = str(registry.settings.get("cagou.url", "http://localhost")).rstrip("/")
    env = prepare(registry=registry, request=Request.blank(path, base_url=base_url))
    request: Request = env["request"]
    try:
        with request.tm:
            yield request
    finally:
        env["closer"]()


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    engine = make_engine(
        settings["cagou.database_url"], settings["cagou.database.application_name"], **pool_options(settings)
    )
    config.registry["cagou.engine"] = engine
    # Objects stay readable after their transaction commits (after-commit hooks,
    # commands printing what they did); each request opens a fresh session.
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    join_request_transactions(factory)
    config.registry["cagou.session_factory"] = factory
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    settings.setdefault("tm.activate_hook", needs_transaction)
    # pyramid_tm would ask who is signed in before routing, to label the
    # transaction; the identity must be looked up once the route is known.
    settings.setdefault("tm.annotate_user", False)
    settings.setdefault("retry.attempts", 3)
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    config.add_tween("cagou.db.sqlite_busy_tween_factory", over="pyramid_tm.tm_tween_factory")
    config.add_request_method(_request_db, "db", reify=True)
