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

**Verifying** (:func:`verify`) walks the chain in position order, recomputes
each entry's digest and each link, and stops at the first broken place,
named in French: an entry modified (digest), deleted (a sealed entry missing
without a tombstone), a position missing, a link altered (an entry inserted,
removed or moved in the chain), an entry written outside the chain (older
than the sealing horizon yet unsealed). With the public key, it also checks
the signed checkpoints (:mod:`cagou.audit.checkpoints`): a table rewritten
with fresh hashes disagrees with them.

**Purging** (:func:`purge`) deletes the entries older than their module's
retention. Their seals stay, each marked by a tombstone, so the chain still
verifies; once a whole prefix of the chain has no entry left, its seals go
too and the purge records where the kept part starts and the hash before it.
Every purge writes a signed checkpoint of that state at once.
"""

from __future__ import annotations

import contextlib
import datetime
import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyramid.registry import Registry
from sqlalchemy.engine import Engine

from cagou.audit.chain import DIGEST_FIELDS, GENESIS, entry_digest, instant_text, link_hash, positions_digest
from cagou.audit.checkpoints import PLAIN, PURGE, Checkpoint, SignedCheckpoint, read_checkpoints, write_checkpoint
from cagou.audit.keys import (
    PURPOSE,
    MacKeys,
    entry_message,
    get_audit_keys,
    link_message,
    purge_message,
    tombstone_message,
)
from cagou.audit.models import AuditEntry, AuditPurge, AuditSeal, AuditTombstone
from cagou.audit.retention import EVERY_OTHER_MODULE
from cagou.db import get_engine, separate_engine

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


# -- verifying ------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first broken place of the chain, described in French."""

    message: str
    position: int | None = None
    entry_id: int | None = None


@dataclass
class Verification:
    """What ``verify`` found."""

    checked: int = 0
    purged: int = 0
    pending: int = 0
    #: Entries sealed with the plain links of before the keys (migration 0010_audit_authentication).
    unauthenticated: int = 0
    #: Links and entries of keys declared lost (``--lost-key``), whose HMAC could not be checked.
    unverifiable: int = 0
    start: Start = field(default_factory=lambda: Start(1, GENESIS))
    head: Head = field(default_factory=lambda: Head(0, GENESIS, 0, 0))
    checkpoints: int = 0
    checkpoint_note: str = ""
    broken: Break | None = None
    #: The first position sealed with a key: no unkeyed link may follow it.
    keyed_from: int | None = None
    #: The latest instant among the entries walked so far, and the entry dated so.
    latest: tuple[datetime.datetime, int] | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class Checking:
    """What a verification checks with: the keys, those declared lost, the tolerance on dates."""

    keys: MacKeys
    lost: frozenset[str] = frozenset()
    tolerance: datetime.timedelta = datetime.timedelta(hours=1)

    def usable(self, key_id: str, what: str) -> bool | Break:
        """True if the key checks, False if it was declared lost, a Break if it is unknown."""
        if self.keys.knows(key_id):
            return True
        if key_id in self.lost:
            return False
        return Break(
            f"{what} est authentifié(e) par la clé {key_id}, absente du trousseau {PURPOSE.setting} : remettez-la "
            f"en place, ou, si elle est perdue, relancez avec « --lost-key {key_id} » (voir docs/audit.md)."
        )


def stream_chain(connection: sa.Connection, start: int) -> Iterator[sa.Row[Any]]:
    """Every link from ``start`` on, with its entry (or None) and its tombstone (or None)."""
    columns = [
        SEAL.c.position,
        SEAL.c.entry_id,
        SEAL.c.digest.label("sealed_digest"),
        SEAL.c.chain_hash,
        SEAL.c.mac_key.label("link_key"),
        TOMBSTONE.c.position.label("tombstone"),
        TOMBSTONE.c.purge_id,
        TOMBSTONE.c.mac_key.label("tombstone_key"),
        TOMBSTONE.c.mac.label("tombstone_mac"),
        ENTRY.c.id.label("found"),
        ENTRY.c.digest.label("stored_digest"),
        ENTRY.c.nonce,
        ENTRY.c.mac_key,
        ENTRY.c.mac,
        *(ENTRY.c[name] for name in DIGEST_FIELDS),
    ]
    joined = SEAL.outerjoin(ENTRY, ENTRY.c.id == SEAL.c.entry_id).outerjoin(
        TOMBSTONE, TOMBSTONE.c.position == SEAL.c.position
    )
    query = sa.select(*columns).select_from(joined).where(SEAL.c.position >= start).order_by(SEAL.c.position)
    yield from connection.execute(query, execution_options={"yield_per": STREAM})


def check_link(
    row: sa.Row[Any], expected: int, previous: str, checking: Checking, result: Verification
) -> Break | None:
    """The problems of one link: a missing position, a broken or unkeyed link, an entry not authentic."""
    position, entry_id = row.position, row.entry_id
    if position != expected:
        return Break(
            f"Position {expected} absente de la chaîne : une entrée scellée a été supprimée "
            f"(la chaîne reprend à la position {position}).",
            expected,
        )
    key_id = row.link_key
    if key_id is None and result.keyed_from is not None:
        return Break(
            f"Position {position} (entrée n° {entry_id}) chaînée sans clé, après la position {result.keyed_from} "
            "qui l'était : la chaîne a été refaite hors de l'application.",
            position,
            entry_id,
        )
    if key_id is not None and result.keyed_from is None:
        result.keyed_from = position
    usable = True if key_id is None else checking.usable(key_id, f"Le chaînage de la position {position}")
    if isinstance(usable, Break):
        return replace(usable, position=position, entry_id=entry_id)
    if not usable:
        result.unverifiable += 1
    elif not link_holds(checking.keys, key_id, previous, row):
        return Break(
            f"Chaînage rompu à la position {position} (entrée n° {entry_id}) : une entrée a été insérée, "
            "déplacée ou retirée de la chaîne, ou son sceau a été modifié.",
            position,
            entry_id,
        )
    if row.found is None:
        return check_tombstone(row, checking)
    if entry_digest(row._mapping) != row.sealed_digest or row.stored_digest != row.sealed_digest:
        return Break(
            f"Entrée n° {entry_id} (position {position}) modifiée : son contenu ne correspond plus à son empreinte.",
            position,
            entry_id,
        )
    if key_id is None:
        result.unauthenticated += 1
    elif (problem := check_entry_mac(row, checking, result)) is not None:
        return problem
    return check_order(row, checking, result)


def link_holds(keys: MacKeys, key_id: str | None, previous: str, row: sa.Row[Any]) -> bool:
    try:
        computed = link(keys, key_id, previous, row.position, row.entry_id, row.sealed_digest)
    except ValueError:  # a hash that is not hexadecimal
        return False
    return hmac.compare_digest(computed, row.chain_hash)


def check_entry_mac(row: sa.Row[Any], checking: Checking, result: Verification) -> Break | None:
    """An entry sealed with a key must carry the HMAC of the application."""
    where = f"Entrée n° {row.entry_id} (position {row.position})"
    if row.nonce is None or row.mac_key is None:
        return Break(
            f"{where} sans authentifiant : elle n'a pas été écrite par l'application.", row.position, row.entry_id
        )
    usable = checking.usable(row.mac_key, where)
    if isinstance(usable, Break):
        return replace(usable, position=row.position, entry_id=row.entry_id)
    if not usable:
        result.unverifiable += 1
    elif not authentic(checking.keys, row, row.stored_digest):
        return Break(
            f"{where} : son authentifiant ne correspond pas à son contenu, elle n'a pas été écrite par l'application.",
            row.position,
            row.entry_id,
        )
    return None


def check_tombstone(row: sa.Row[Any], checking: Checking) -> Break | None:
    """A sealed entry may be missing only if a purge left an authentic tombstone in its place.

    A tombstone without HMAC is accepted only on an unkeyed link: a purge of
    before the keys.
    """
    position, entry_id = row.position, row.entry_id
    if row.tombstone is None:
        return Break(f"Entrée n° {entry_id} (position {position}) supprimée du journal sans purge.", position, entry_id)
    if row.tombstone_key is None and row.link_key is None:
        return None
    forged = Break(
        f"Entrée n° {entry_id} (position {position}) supprimée du journal : sa trace de purge n'est pas "
        "authentique, ce n'est pas une purge.",
        position,
        entry_id,
    )
    if row.tombstone_key is None:
        return forged
    usable = checking.usable(row.tombstone_key, f"La trace de purge de la position {position}")
    if isinstance(usable, Break):
        return replace(usable, position=position, entry_id=entry_id)
    if usable and not checking.keys.check(
        tombstone_message(position, row.purge_id), row.tombstone_key, row.tombstone_mac
    ):
        return forged
    return None


def check_order(row: sa.Row[Any], checking: Checking, result: Verification) -> Break | None:
    """Entries are sealed in about the order they were written: one dated far back was backdated."""
    instant: datetime.datetime = row.occurred_at
    if result.latest is not None:
        latest, latest_id = result.latest
        if instant < latest - checking.tolerance:
            minutes = int(checking.tolerance.total_seconds() // 60)
            return Break(
                f"Entrée n° {row.entry_id} (position {row.position}) datée du {instant_text(instant)}, plus de "
                f"{minutes} minutes avant l'entrée n° {latest_id} scellée avant elle "
                f"({instant_text(latest)}) : elle a été antidatée.",
                row.position,
                row.entry_id,
            )
        if instant <= latest:
            return None
    result.latest = (instant, row.entry_id)
    return None


def check_against(signed: SignedCheckpoint, position: int, chain_hash: str) -> Break | None:
    """A link the checkpoint vouches for must hash as it said."""
    if chain_hash == signed.checkpoint.chain_hash:
        return None
    return Break(
        f"La position {position} ne correspond pas au point de contrôle signé {signed.label} : "
        "le journal a été réécrit depuis.",
        position,
    )


def checking_for(registry: Registry, lost: frozenset[str] = frozenset()) -> Checking:
    minutes = int(registry.settings["cagou.audit.order_tolerance_minutes"])
    return Checking(get_audit_keys(registry), lost, datetime.timedelta(minutes=minutes))


def verify(
    registry: Registry,
    public_key: Ed25519PublicKey | None = None,
    folder: Path | None = None,
    lost_keys: frozenset[str] = frozenset(),
) -> Verification:
    """Seal, then check the whole chain (and the signed checkpoints when a public key is given).

    ``lost_keys`` are fingerprints of keys declared lost: what they
    authenticated is counted as unverifiable instead of stopping the check.
    """
    seal(registry)
    engine = get_engine(registry)
    checking = checking_for(registry, lost_keys)
    result = Verification()
    signed = read_checkpoints(folder, public_key) if public_key is not None and folder is not None else []
    with engine.connect() as connection:
        if is_postgresql(connection):
            # One snapshot for the whole walk, while requests and the sealer go on.
            connection.execution_options(isolation_level="REPEATABLE READ")
        result.start = chain_start(connection)
        result.head = chain_head(connection)
        result.broken = (
            check_signatures(signed)
            or check_purges(connection, checking)
            or walk(connection, result, signed, checking)
            or check_start(connection, result)
            or check_copies(connection)
            or check_unsealed(connection, result, checking)
        )
        if result.broken is None and signed:
            result.broken = check_checkpoint_state(connection, result, signed)
    if public_key is None:
        result.checkpoint_note = "points de contrôle non vérifiés (aucune clé publique : option --public-key)"
    elif not signed:
        result.checkpoint_note = "aucun point de contrôle signé à comparer"
    result.checkpoints = len(signed)
    return result


def check_signatures(signed: list[SignedCheckpoint]) -> Break | None:
    for one in signed:
        if not one.valid:
            return Break(f"Le point de contrôle {one.label} porte une signature invalide (ou une autre clé).")
    return None


def walk(
    connection: sa.Connection, result: Verification, signed: list[SignedCheckpoint], checking: Checking
) -> Break | None:
    """Walk the chain from its start; the first broken link, or None."""
    start = result.start
    by_position: dict[int, list[SignedCheckpoint]] = {}
    for one in signed:
        by_position.setdefault(one.checkpoint.position, []).append(one)
    for one in by_position.get(start.kept_from - 1, []):
        if (problem := check_against(one, start.kept_from - 1, start.previous_hash)) is not None:
            return problem
    expected, previous = start.kept_from, start.previous_hash
    for row in stream_chain(connection, start.kept_from):
        if (problem := check_link(row, expected, previous, checking, result)) is not None:
            return problem
        for one in by_position.get(row.position, []):
            if (problem := check_against(one, row.position, row.chain_hash)) is not None:
                return problem
        if row.found is None:
            result.purged += 1
        else:
            result.checked += 1
        expected, previous = row.position + 1, row.chain_hash
    beyond = [one for one in signed if one.checkpoint.position >= expected]
    if beyond:
        last = beyond[-1]
        return Break(
            f"La chaîne s'arrête à la position {expected - 1} alors que le point de contrôle signé "
            f"{last.label} atteste la position {last.checkpoint.position} : des entrées ont été supprimées.",
            expected,
        )
    return None


def check_purges(connection: sa.Connection, checking: Checking) -> Break | None:
    """Every purge recorded since the keys carries the application's HMAC."""
    for row in connection.execute(sa.select(PURGE_TABLE).where(PURGE_TABLE.c.mac_key.is_not(None))).mappings():
        usable = checking.usable(row["mac_key"], f"La purge n° {row['id']}")
        if isinstance(usable, Break):
            return usable
        if usable and not checking.keys.check(purge_message(row), row["mac_key"], row["mac"]):
            return Break(
                f"La purge n° {row['id']} n'est pas authentique : elle n'a pas été faite par l'application "
                f"(début de chaîne annoncé : position {row['kept_from']})."
            )
    return None


def check_start(connection: sa.Connection, result: Verification) -> Break | None:
    """A chain whose kept part starts with a keyed link starts where an authentic purge said."""
    start = result.start
    if start.kept_from <= 1 or result.keyed_from != start.kept_from:
        return None
    latest = connection.execute(
        sa.select(PURGE_TABLE.c.id, PURGE_TABLE.c.mac).order_by(PURGE_TABLE.c.id.desc()).limit(1)
    ).one()
    if latest.mac is None:
        return Break(
            f"La chaîne conservée commence à la position {start.kept_from} selon la purge n° {latest.id}, "
            "qui n'est pas authentifiée : des entrées ont été retirées sans purge.",
            start.kept_from,
        )
    return None


def check_copies(connection: sa.Connection) -> Break | None:
    """Two rows with one nonce: the later is a copy of the earlier under a new number."""
    copy = connection.execute(
        sa.select(sa.func.min(ENTRY.c.id).label("original"), sa.func.max(ENTRY.c.id).label("copy"))
        .where(ENTRY.c.nonce.is_not(None))
        .group_by(ENTRY.c.nonce)
        .having(sa.func.count() > 1)
        .order_by(sa.func.min(ENTRY.c.id))
        .limit(1)
    ).first()
    if copy is None:
        return None
    return Break(f"Entrée n° {copy.copy} : copie de l'entrée n° {copy.original} sous un autre numéro.", None, copy.copy)


def check_unsealed(connection: sa.Connection, result: Verification, checking: Checking) -> Break | None:
    """Unsealed entries are recent authentic ones awaiting the sealer; any other was slipped in."""
    head = result.head
    unsealed = ~sa.exists().where(SEAL.c.entry_id == ENTRY.c.id)
    if is_postgresql(connection):
        # Every transaction below the last run's horizon was sealed: an entry there was slipped in.
        out_of_chain = sa.or_(ENTRY.c.xid.is_(None), ENTRY.c.xid < head.horizon)
    else:
        out_of_chain = ENTRY.c.id < head.entry_id
    intruder = connection.execute(
        sa.select(ENTRY.c.id).where(unsealed, out_of_chain).order_by(ENTRY.c.id).limit(1)
    ).scalar()
    if intruder is not None:
        return Break(f"Entrée n° {intruder} insérée hors de la chaîne : elle n'a jamais été scellée.", None, intruder)
    query = sa.select(ENTRY.c.id, ENTRY.c.digest, ENTRY.c.nonce, ENTRY.c.mac_key, ENTRY.c.mac)
    pending: list[sa.Row[Any]] = list(connection.execute(query.where(unsealed).order_by(ENTRY.c.id)))
    for row in pending:
        if row.mac_key is not None and not checking.keys.knows(row.mac_key):
            usable = checking.usable(row.mac_key, f"L'entrée n° {row.id}, en attente de scellement,")
            if isinstance(usable, Break):
                return replace(usable, entry_id=row.id)
            result.unverifiable += 1
            continue
        if not authentic(checking.keys, row):
            return Break(
                f"Entrée n° {row.id} en attente de scellement sans authentifiant valable : elle n'a pas été "
                "écrite par l'application.",
                None,
                row.id,
            )
    result.pending = len(pending)
    return None


def tombstone_state(connection: sa.Connection, kept_from: int) -> tuple[int, str]:
    positions = list(connection.scalars(sa.select(TOMBSTONE.c.position).where(TOMBSTONE.c.position >= kept_from)))
    return len(positions), positions_digest(positions)


def check_checkpoint_state(
    connection: sa.Connection, result: Verification, signed: list[SignedCheckpoint]
) -> Break | None:
    """The kept part's start and the purged positions must be those the checkpoints signed."""
    start = result.start
    if start.kept_from > 1 and not any(
        (one.checkpoint.kept_from, one.checkpoint.previous_hash) == (start.kept_from, start.previous_hash)
        for one in signed
    ):
        return Break(
            f"Le début de la chaîne conservée (position {start.kept_from}) n'est attesté par aucun point de "
            "contrôle signé : des entrées ont été retirées sans purge.",
            start.kept_from,
        )
    latest = max(signed, key=lambda one: (one.checkpoint.position, one.checkpoint.created_at))
    count, digest = tombstone_state(connection, start.kept_from)
    if latest.checkpoint.kept_from == start.kept_from and (count, digest) != (
        latest.checkpoint.tombstones,
        latest.checkpoint.tombstones_digest,
    ):
        return Break(
            f"Les positions purgées ne sont plus celles du point de contrôle signé {latest.label} "
            f"({count} au lieu de {latest.checkpoint.tombstones}) : des entrées ont été retirées sans purge."
        )
    return None


# -- checkpoints and purges -----------------------------------------------------


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
