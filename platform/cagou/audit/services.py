"""The audit log service: how the core and the modules write entries.

Three ways to write, one table:

- :meth:`DatabaseAuditLog.record` appends an entry **in the request's
  transaction**: it exists if and only if what it describes happened.
- :meth:`DatabaseAuditLog.record_read` is ``record`` for a read of sensitive
  personal data (category ``read``), where a module decides that reading is
  worth a trace.
- :meth:`DatabaseAuditLog.record_now` records a **failed or refused attempt**
  (category ``refused``) on a connection of its own, so that it stays even
  though the request's transaction aborts. On PostgreSQL it commits at once.
  SQLite has a single writer: a second connection would wait for the
  request's own transaction, which waits for it; there the entry is written
  just after the request's transaction ends, committed or not.

Writers only ever INSERT, each entry with the digest of its own content
(:mod:`cagou.audit.chain`) and its HMAC (:mod:`cagou.audit.keys`): they never read nor lock a "chain head", so
concurrent requests never wait for each other here. The chain is built
afterwards by the sealer (:mod:`cagou.audit.sealer`).

Observers (``cagou_audit_observed``) hear about an entry once it is committed;
one that fails is logged and never loses or blocks the entry.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
import transaction
import zope.sqlalchemy
from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer

from cagou.audit.chain import entry_digest, normalize_changes
from cagou.audit.keys import authenticate, get_audit_keys
from cagou.audit.models import ACTION, READ, REFUSED, AuditEntry
from cagou.contributions import AuditEntryView
from cagou.db import get_engine
from cagou.interfaces import IAuditLog, IClock
from cagou.plugins import call_active, get_plugins

log = logging.getLogger(__name__)

USER_AGENT_LENGTH = 512
ENTRY_TABLE = cast(sa.Table, AuditEntry.__table__)
#: The columns a writer fills: the id is the database's, the xid column is left to PostgreSQL's trigger
#: (SQLite leaves it NULL).
WRITTEN_COLUMNS = tuple(column for column in ENTRY_TABLE.columns if column.name not in ("id", "xid"))


@dataclass(frozen=True)
class PreparedInsert:
    """The entry's INSERT for one dialect, as SQLAlchemy would send it, made once.

    Every request that changes something writes an entry: through
    ``Connection.execute(sa.insert(...), values)`` SQLAlchemy computes the
    statement's cache key, looks its compiled form up and converts twenty
    named parameters each time, about 0.1 ms. This is the same SQL text with
    positional parameters and the same conversions (the columns' bind
    processors: the instant in UTC, ``changes`` as JSON), run with
    ``exec_driver_sql``, which keeps SQLAlchemy's events and error
    translation; psycopg then prepares the statement on the server.
    """

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


@functools.cache
def prepared_insert(dialect: sa.Dialect) -> PreparedInsert:
    if dialect.paramstyle == "qmark":
        placeholder = "?"
    elif dialect.paramstyle in ("format", "pyformat"):
        placeholder = "%s"
    else:
        raise NotImplementedError(f"Audit entries are not written with the {dialect.paramstyle} parameter style")
    quote = dialect.identifier_preparer.quote
    names = tuple(column.name for column in WRITTEN_COLUMNS)
    # Only the table's own names go into the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(ENTRY_TABLE.name)} ({', '.join(quote(name) for name in names)}) "  # noqa: S608
        f"VALUES ({', '.join(placeholder for _ in names)}) RETURNING {quote(ENTRY_TABLE.c.id.name)}"
    )
    processors = tuple(column.type.dialect_impl(dialect).bind_processor(dialect) for column in WRITTEN_COLUMNS)
    return PreparedInsert(sql, names, processors)


def insert_entry(connection: sa.Connection, values: Mapping[str, Any]) -> int:
    """Write one entry on ``connection``, in its transaction; its id."""
    prepared = prepared_insert(connection.dialect)
    entry_id: int = connection.exec_driver_sql(prepared.sql, prepared.parameters(values)).scalar_one()
    return entry_id


@implementer(IAuditLog)
class DatabaseAuditLog:
    def __init__(self, request: Request) -> None:
        self.request = request

    def record(
        self,
        action: str,
        summary: str,
        module: str = "core",
        object_type: str | None = None,
        object_id: str | None = None,
        changes: dict[str, Any] | None = None,
        category: str = ACTION,
    ) -> AuditEntryView:
        """Append an entry in the current transaction; observers hear of it after the commit.

        Returns the entry as observers will see it. Every request that changes
        something pays for this method, so it is one INSERT on the session's
        connection, with no ORM unit of work (see the benchmark in the README).
        """
        request = self.request
        values = entry_values(request, action, summary, module, object_type, object_id, changes, category)
        entry_id = insert_entry(request.db.connection(), values)
        # A Core statement goes unseen by zope.sqlalchemy, which would roll the transaction back.
        zope.sqlalchemy.mark_changed(request.db)
        entry = view_of(entry_id, values)
        if has_observers(request.registry):
            request.tm.get().addAfterCommitHook(notify_observers, args=(request.registry, entry))
        return entry

    def record_read(self, action: str, summary: str, module: str, object_type: str, object_id: str) -> AuditEntryView:
        """A read of sensitive personal data (a citizen's file opened, for instance)."""
        return self.record(action, summary, module, object_type, object_id, category=READ)

    def record_now(
        self,
        action: str,
        summary: str,
        module: str = "core",
        object_type: str | None = None,
        object_id: str | None = None,
        changes: dict[str, Any] | None = None,
        category: str = REFUSED,
    ) -> None:
        """Record an attempt that must stay even if the request fails, outside its transaction."""
        request = self.request
        values = entry_values(request, action, summary, module, object_type, object_id, changes, category)
        registry = request.registry
        current = current_transaction(request)
        if current is None or get_engine(registry).dialect.name == "postgresql":
            write_autonomously(registry, values)
            return
        # SQLite: once the request's transaction has ended, whatever its outcome.
        current.addAfterCommitHook(lambda _committed: write_autonomously(registry, values))
        current.addAfterAbortHook(write_autonomously, args=(registry, values))


def entry_values(
    request: Request,
    action: str,
    summary: str,
    module: str,
    object_type: str | None,
    object_id: str | None,
    changes: dict[str, Any] | None,
    category: str,
) -> dict[str, Any]:
    """Every column of a new entry, its digest included: who, when, from where, what."""
    actor = request.identity
    # Set by the identity code when an IT administrator acts as someone else.
    impersonator = getattr(request, "impersonator", None)
    values: dict[str, Any] = {
        "occurred_at": request.find_service(IClock).now(),
        "actor_id": actor.id if actor is not None else None,
        "actor_login": actor.login if actor is not None else None,
        "actor_kind": actor.kind if actor is not None else None,
        "impersonator_id": impersonator.id if impersonator is not None else None,
        "impersonator_login": impersonator.login if impersonator is not None else None,
        "address": request.client_addr,
        "user_agent": (request.user_agent or "")[:USER_AGENT_LENGTH] or None,
        "request_id": request.environ.get("cagou.request_id"),
        "module": module,
        "action": action,
        "category": category,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "summary": summary,
        "changes": normalize_changes(changes),
    }
    values["digest"] = entry_digest(values)
    authenticate(values, get_audit_keys(request.registry))
    return values


def current_transaction(request: Request) -> transaction.interfaces.ITransaction | None:
    """The request's (or the command's) transaction in progress, or None."""
    try:
        current: transaction.interfaces.ITransaction = request.tm.get()
    except transaction.interfaces.NoTransaction:
        return None
    return current


def write_autonomously(registry: Registry, values: dict[str, Any]) -> None:
    """Insert one entry on a connection of its own, commit it, then tell the observers."""
    try:
        with get_engine(registry).begin() as connection:
            entry_id = insert_entry(connection, values)
    except Exception:
        # The request is failing already; losing its trace must not hide why.
        log.exception("Could not record the audit entry %s: %s", values["action"], values["summary"])
        return
    if has_observers(registry):
        notify_observers(True, registry, view_of(entry_id, values))


def view_of(entry_id: int, values: dict[str, Any]) -> AuditEntryView:
    return AuditEntryView(
        id=entry_id,
        occurred_at=values["occurred_at"],
        actor=values["actor_login"],
        module=values["module"],
        action=values["action"],
        object_type=values["object_type"],
        object_id=values["object_id"],
        summary=values["summary"],
        address=values["address"],
        request_id=values["request_id"],
        changes=values["changes"],
        category=values["category"],
        impersonator=values["impersonator_login"],
    )


def has_observers(registry: Registry) -> bool:
    """Whether a loaded module implements ``cagou_audit_observed``.

    Most installations have no observer, and finding which modules are active
    to call none cost more than the rest of the entry's bookkeeping.
    """
    return bool(get_plugins(registry).manager.hook.cagou_audit_observed.get_hookimpls())


def notify_observers(committed: bool, registry: Registry, view: AuditEntryView) -> None:
    """Hand a committed entry to the observers; their failures stay theirs."""
    if committed:
        call_active(registry, "cagou_audit_observed", registry=registry, entry=view)


def audit_log_factory(context: Any, request: Request) -> DatabaseAuditLog:
    return DatabaseAuditLog(request)


MAX_PATH_IN_SUMMARY = 300


def record_refused_access(request: Request, error: Exception) -> None:
    """A signed-in person was refused a page (403): kept although the request's transaction aborts."""
    if request.identity is None:
        return
    permission = getattr(getattr(error, "result", None), "permission", None)
    missing = f" (permission « {permission} » manquante)" if isinstance(permission, str) else ""
    path = request.path[:MAX_PATH_IN_SUMMARY]
    request.find_service(IAuditLog).record_now(
        "core:access:refused", f"Accès refusé à {request.method} {path}{missing}.", category=REFUSED
    )
