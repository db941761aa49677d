"""Signed checkpoints of the audit chain, and the retention purge.

**Purging** (:func:`purge`) deletes the entries older than their module's
retention. Their seals stay, each marked by a tombstone, so the chain still
verifies; once a whole prefix of the chain has no entry left, its seals go
too and the purge records where the kept part starts and the hash before it.
Every purge writes a signed checkpoint of that state at once.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyramid.registry import Registry

from cagou.audit.checkpoints import PLAIN, PURGE, Checkpoint, write_checkpoint
from cagou.audit.keys import (
    get_audit_keys,
    purge_message,
    tombstone_message,
)
from cagou.audit.retention import EVERY_OTHER_MODULE
from cagou.audit.sealer import (
    BATCH,
    ENTRY,
    PURGE_TABLE,
    SEAL,
    STREAM,
    TOMBSTONE,
    Start,
    chain_head,
    chain_start,
    is_postgresql,
    seal_with,
    sealer_lock,
    tombstone_state,
)
from cagou.db import get_engine, separate_engine


def current_checkpoint(connection: sa.Connection, kind: str) -> Checkpoint:
    """The state of the chain now; stamped with the wall clock, which orders the checkpoint files."""
    head, start = chain_head(connection), chain_start(connection)
    count, digest = tombstone_state(connection, start.kept_from)
    return Checkpoint(
        kind=kind,
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds"),
        position=head.position,
        chain_hash=head.chain_hash,
        kept_from=start.kept_from,
        previous_hash=start.previous_hash,
        tombstones=count,
        tombstones_digest=digest,
    )


def checkpoint(registry: Registry, key: Ed25519PrivateKey, folder: Path) -> tuple[Path, int]:
    """Seal, then sign the head of the chain into ``folder``; the file and the position signed."""
    with sealer_lock(get_engine(registry)) as connection:
        seal_with(connection, get_audit_keys(registry))
        state = current_checkpoint(connection, PLAIN)
    return write_checkpoint(folder, key, state), state.position


@dataclass(frozen=True)
class PurgeResult:
    removed: dict[str, int]
    kept_from: int
    checkpoint: Path | None


def doomed_condition(rules: dict[str, int], now: datetime.datetime) -> sa.ColumnElement[bool] | None:
    """Entries older than their module's retention."""
    clauses = [
        sa.and_(ENTRY.c.module == module, ENTRY.c.occurred_at < now - datetime.timedelta(days=days))
        for module, days in rules.items()
        if module != EVERY_OTHER_MODULE
    ]
    if EVERY_OTHER_MODULE in rules:
        others = [module for module in rules if module != EVERY_OTHER_MODULE]
        cutoff = now - datetime.timedelta(days=rules[EVERY_OTHER_MODULE])
        clauses.append(sa.and_(ENTRY.c.module.not_in(others), ENTRY.c.occurred_at < cutoff))
    return sa.or_(*clauses) if clauses else None


def purge(
    registry: Registry, rules: dict[str, int], now: datetime.datetime, key: Ed25519PrivateKey, folder: Path
) -> PurgeResult:
    """Delete the sealed entries older than their module's retention, then sign the new state."""
    condition = doomed_condition(rules, now)
    keys = get_audit_keys(registry)
    # The purge alone connects as the role that may delete (cagou db grant --purge).
    with (
        separate_engine(registry, registry.settings["cagou.audit.purge_database_url"], "purge") as engine,
        sealer_lock(engine) as connection,
    ):
        seal_with(connection, keys)
        start = chain_start(connection)
        doomed = [] if condition is None else doomed_entries(connection, condition)
        if not doomed:
            return PurgeResult({}, start.kept_from, None)
        kept = first_kept(connection, start, {position for position, _, _ in doomed})
        removed: dict[str, int] = {}
        for _, _, module in doomed:
            removed[module] = removed.get(module, 0) + 1
        # Numbered here, under the sealer's lock that every purge takes, so that its HMAC covers its number.
        purge_id = connection.execute(sa.select(sa.func.coalesce(sa.func.max(PURGE_TABLE.c.id), 0) + 1)).scalar_one()
        record: dict[str, Any] = {
            "id": purge_id,
            "purged_at": now,
            "kept_from": kept.kept_from,
            "previous_hash": kept.previous_hash,
            "removed": len(doomed),
            "mac_key": keys.current,
        }
        connection.execute(sa.insert(PURGE_TABLE).values(**record, mac=keys.mac(purge_message(record))))
        for first in range(0, len(doomed), BATCH):
            rows = [
                {
                    "position": position,
                    "purge_id": purge_id,
                    "mac_key": keys.current,
                    "mac": keys.mac(tombstone_message(position, purge_id)),
                }
                for position, _, _ in doomed[first : first + BATCH]
            ]
            connection.execute(sa.insert(TOMBSTONE), rows)
        delete_purged(connection, purge_id, kept.kept_from)
        state = current_checkpoint(connection, PURGE)
    return PurgeResult(removed, kept.kept_from, write_checkpoint(folder, key, state))


def doomed_entries(connection: sa.Connection, condition: sa.ColumnElement[bool]) -> list[tuple[int, int, str]]:
    """(position, entry id, module) of the sealed entries past their retention."""
    query = (
        sa.select(SEAL.c.position, ENTRY.c.id, ENTRY.c.module)
        .select_from(ENTRY.join(SEAL, SEAL.c.entry_id == ENTRY.c.id))
        .where(condition)
        .order_by(SEAL.c.position)
    )
    return [(row.position, row.id, row.module) for row in connection.execute(query)]


def first_kept(connection: sa.Connection, start: Start, doomed: set[int]) -> Start:
    """The first position whose entry stays, and the chain's hash just before it.

    The head's seal always stays, even when its entry goes: the chain goes on from it.
    """
    query = (
        sa.select(SEAL.c.position, SEAL.c.chain_hash, ENTRY.c.id)
        .select_from(SEAL.outerjoin(ENTRY, ENTRY.c.id == SEAL.c.entry_id))
        .where(SEAL.c.position >= start.kept_from)
        .order_by(SEAL.c.position)
    )
    previous = start.previous_hash
    last = start
    with contextlib.closing(connection.execute(query, execution_options={"yield_per": STREAM})) as rows:
        for row in rows:
            if row.id is not None and row.position not in doomed:
                return Start(row.position, previous)
            last = Start(row.position, previous)
            previous = row.chain_hash
    return last


def delete_purged(connection: sa.Connection, purge_id: int, kept_from: int) -> None:
    """The only deletes of the audit tables: the purged entries, and the chain's prefix before ``kept_from``.

    On PostgreSQL they are the function ``audit_purge_delete`` (migration
    0012), which runs as the tables' owner: the purge's role may execute
    it but holds no DELETE privilege, and the trigger refuses any other role.
    """
    if is_postgresql(connection):
        connection.execute(
            sa.text("SELECT audit_purge_delete(CAST(:purge_id AS bigint), CAST(:kept_from AS bigint))"),
            {"purge_id": purge_id, "kept_from": kept_from},
        )
        return
    purged_ids = (
        sa.select(SEAL.c.entry_id)
        .select_from(SEAL.join(TOMBSTONE, TOMBSTONE.c.position == SEAL.c.position))
        .where(TOMBSTONE.c.purge_id == purge_id)
    )
    connection.execute(sa.delete(ENTRY).where(ENTRY.c.id.in_(purged_ids)))
    connection.execute(sa.delete(TOMBSTONE).where(TOMBSTONE.c.position < kept_from))
    connection.execute(sa.delete(SEAL).where(SEAL.c.position < kept_from))
