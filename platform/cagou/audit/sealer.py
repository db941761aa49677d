"""Sealing, verifying and purging the audit chain.

**Sealing.** Writers only insert entries; the sealer chains them afterwards,
in the insert-only table ``audit_seal``: it gives each committed entry the
next position and the chain's hash up to it (:func:`cagou.audit.chain.link_hash`).
Only the sealer takes a lock (a PostgreSQL advisory lock, SQLite's write
lock), so requests never wait for each other nor for the sealer.

What the sealer takes, and how it knows nothing was missed:

- On PostgreSQL transactions commit in any order, so the entries committed
  since the last run are not a range of ids. Each entry carries the id of the
  transaction that wrote it (``xid``, stamped by a trigger: writers cannot
  choose it). At the start of a run the sealer reads the *horizon*,
  ``pg_snapshot_xmin(pg_current_snapshot())``: every transaction below it
  has ended, so its entries are all visible now and none can come later. The
  run seals every committed entry not sealed yet whose xid is at or above
  the previous run's horizon (in id order), and records its own horizon on
  the seals it writes. By induction, after a run every entry below its
  horizon is sealed; so an unsealed entry below it was slipped in around the
  application, and ``verify`` says so. The entries of a transaction still
  running are simply sealed by a later run: an old or idle transaction never
  holds the sealer back, and the chain is ordered by position (roughly
  commit order), not by id.
  (The design first considered sealed only entries below the horizon; with
  the "not sealed yet" test that wait buys nothing, and one forgotten open
  transaction would have stopped all sealing.)
- SQLite runs one writing transaction at a time, and the sealer holds the
  write lock (``BEGIN IMMEDIATE``): every entry it sees is committed and ids
  only grow (AUTOINCREMENT), so it seals every entry after the last sealed one,
  and an unsealed entry before it was slipped in.

The worker seals every minute (``core.audit.seal``); ``verify``,
``checkpoint`` and ``purge`` seal first.

Verifying is :mod:`cagou.audit.verify`, purging :mod:`cagou.audit.purge`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from pyramid.registry import Registry
from sqlalchemy.engine import Engine

from cagou.audit.chain import GENESIS, link_hash, positions_digest
from cagou.audit.keys import (
    MacKeys,
    entry_message,
    get_audit_keys,
    link_message,
)
from cagou.audit.models import AuditEntry, AuditPurge, AuditSeal, AuditTombstone
from cagou.db import get_engine

log = logging.getLogger(__name__)

#: The PostgreSQL advisory lock that only sealers (and purges) take.
SEALER_LOCK = 0x636167_6F75  # "cagou"
BATCH = 5_000
#: Rows fetched at a time while verifying.
STREAM = 2_000

ENTRY = cast(sa.Table, AuditEntry.__table__)
SEAL = cast(sa.Table, AuditSeal.__table__)
PURGE_TABLE = cast(sa.Table, AuditPurge.__table__)
TOMBSTONE = cast(sa.Table, AuditTombstone.__table__)


def is_postgresql(engine: Engine | sa.Connection) -> bool:
    return engine.dialect.name == "postgresql"


@dataclass(frozen=True)
class Head:
    """The last link of the chain (or, for an empty chain, what the first link follows)."""

    position: int
    chain_hash: str
    entry_id: int
    horizon: int


@dataclass(frozen=True)
class Start:
    """Where the kept part of the chain starts, and the hash of the link before it."""

    kept_from: int
    previous_hash: str


# -- sealing --------------------------------------------------------------------


@contextlib.contextmanager
def sealer_lock(engine: Engine) -> Iterator[sa.Connection]:
    """A transaction that holds the sealer's lock; writers never take it."""
    if is_postgresql(engine):
        with engine.begin() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SEALER_LOCK)))
            yield connection
        return
    with engine.connect() as connection:
        # The driver must not open its own deferred transaction: the sealer
        # reads the head then writes, which needs the write lock from the start.
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")


def chain_start(connection: sa.Connection) -> Start:
    row = connection.execute(
        sa.select(PURGE_TABLE.c.kept_from, PURGE_TABLE.c.previous_hash).order_by(PURGE_TABLE.c.id.desc()).limit(1)
    ).first()
    return Start(1, GENESIS) if row is None else Start(row.kept_from, row.previous_hash)


def chain_head(connection: sa.Connection) -> Head:
    row = connection.execute(
        sa.select(SEAL.c.position, SEAL.c.chain_hash, SEAL.c.entry_id, SEAL.c.horizon)
        .order_by(SEAL.c.position.desc())
        .limit(1)
    ).first()
    if row is not None:
        return Head(row.position, row.chain_hash, row.entry_id, row.horizon or 0)
    start = chain_start(connection)
    return Head(start.kept_from - 1, start.previous_hash, 0, 0)


def horizon(connection: sa.Connection) -> int:
    """PostgreSQL: every transaction with a smaller id has ended."""
    value: int = connection.execute(
        sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    ).scalar_one()
    return value


def sealable(connection: sa.Connection, head: Head, limit: int, after: int) -> list[sa.Row[Any]]:
    """The next entries to seal, in id order, after entry ``after``."""
    query = (
        sa.select(ENTRY.c.id, ENTRY.c.digest, ENTRY.c.nonce, ENTRY.c.mac_key, ENTRY.c.mac)
        .where(ENTRY.c.id > after)
        .order_by(ENTRY.c.id)
        .limit(limit)
    )
    if is_postgresql(connection):
        unsealed = ~sa.exists().where(SEAL.c.entry_id == ENTRY.c.id)
        query = query.where(ENTRY.c.xid >= head.horizon, unsealed)
    return list(connection.execute(query))


def link(keys: MacKeys | None, key_id: str | None, previous: str, position: int, entry_id: int, digest: str) -> str:
    """A link's hash: an HMAC with key ``key_id``, or the plain SHA-256 of the links sealed before keys."""
    if key_id is None:
        return link_hash(previous, position, entry_id, digest)
    assert keys is not None
    return keys.mac(link_message(previous, position, entry_id, digest), key_id)


def authentic(keys: MacKeys, row: sa.Row[Any], digest: str | None = None) -> bool:
    """Whether the entry carries an HMAC of its nonce and digest (``row.digest`` by default) by a key of the ring."""
    if row.nonce is None or not keys.knows(row.mac_key):
        return False
    try:
        return keys.check(entry_message(row.nonce, digest or row.digest), row.mac_key, row.mac)
    except ValueError:  # a nonce or a digest that is not hexadecimal
        return False


def seal_with(connection: sa.Connection, keys: MacKeys | None) -> int:
    """Seal what may be sealed, in a transaction that holds the sealer's lock; return how many.

    With ``keys``, an entry is sealed only if it is authentic, with a keyed
    link; one that is not stays out of the chain, where ``verify`` names it.
    Without (the migration that introduced keys, for the entries written
    before it), every entry is sealed with a plain SHA-256 link.
    """
    head = chain_head(connection)
    # Read before the entries: whatever is below it is visible to the queries that follow.
    reached = horizon(connection) if is_postgresql(connection) else 0
    # SQLite seals in id order: everything after the last sealed entry.
    after = 0 if is_postgresql(connection) else head.entry_id
    key_id = None if keys is None else keys.current
    position, previous, count = head.position, head.chain_hash, 0
    while rows := sealable(connection, head, BATCH, after):
        seals = []
        for row in rows:
            if keys is not None and not authentic(keys, row):
                log.error("Audit entry %s is not authentic: left out of the chain.", row.id)
                continue
            position += 1
            previous = link(keys, key_id, previous, position, row.id, row.digest)
            seals.append(
                {
                    "position": position,
                    "entry_id": row.id,
                    "digest": row.digest,
                    "chain_hash": previous,
                    "horizon": reached,
                    "mac_key": key_id,
                }
            )
        if seals:
            connection.execute(sa.insert(SEAL), seals)
        count += len(seals)
        after = rows[-1].id
    return count


def seal(registry: Registry) -> int:
    """Seal every entry that may be sealed now; return how many were."""
    with sealer_lock(get_engine(registry)) as connection:
        return seal_with(connection, get_audit_keys(registry))


def tombstone_state(connection: sa.Connection, kept_from: int) -> tuple[int, str]:
    positions = list(connection.scalars(sa.select(TOMBSTONE.c.position).where(TOMBSTONE.c.position >= kept_from)))
    return len(positions), positions_digest(positions)
