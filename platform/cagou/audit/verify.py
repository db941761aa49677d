"""Verifying the audit chain: every digest, HMAC and link, and the signed checkpoints.

**Verifying** (:func:`verify`) walks the chain in position order, recomputes
each entry's digest and each link, and stops at the first broken place,
named in French: an entry modified (digest), deleted (a sealed entry missing
without a tombstone), a position missing, a link altered (an entry inserted,
removed or moved in the chain), an entry written outside the chain (older
than the sealing horizon yet unsealed). With the public key, it also checks
the signed checkpoints (:mod:`cagou.audit.checkpoints`): a table rewritten
with fresh hashes disagrees with them. A long chain is walked in segments, one
process per core (:mod:`cagou.audit.segments`).
"""

from __future__ import annotations

import datetime
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyramid.registry import Registry

from cagou.audit.chain import DIGEST_FIELDS, GENESIS, entry_digest, instant_text
from cagou.audit.checkpoints import SignedCheckpoint, read_checkpoints
from cagou.audit.keys import (
    PURPOSE,
    MacKeys,
    get_audit_keys,
    purge_message,
    tombstone_message,
)
from cagou.audit.sealer import (
    ENTRY,
    PURGE_TABLE,
    SEAL,
    STREAM,
    TOMBSTONE,
    Head,
    Start,
    authentic,
    chain_head,
    chain_start,
    is_postgresql,
    link,
    seal,
    tombstone_state,
)
from cagou.audit.segments import (
    PARALLEL_FROM,
    Segment,
    StartState,
    default_walkers,
    next_position,
    plan,
    start_state,
    walk_segments,
)
from cagou.db import get_engine


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


def stream_chain(connection: sa.Connection, start: int, stop: int | None = None) -> Iterator[sa.Row[Any]]:
    """Every link from ``start`` on (to ``stop`` excluded), with its entry (or None) and its tombstone (or None)."""
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
    if stop is not None:
        query = query.where(SEAL.c.position < stop)
    yield from connection.execute(query, execution_options={"yield_per": STREAM})


def check_link(
    row: sa.Row[Any], expected: int, previous: str, checking: Checking, result: Verification
) -> Break | None:
    """The problems of one link: a missing position, a broken or unkeyed link, an entry not authentic."""
    position, entry_id = row.position, row.entry_id
    if position != expected:
        return missing(expected, position)
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


def missing(expected: int, resumed: int) -> Break:
    return Break(
        f"Position {expected} absente de la chaîne : une entrée scellée a été supprimée "
        f"(la chaîne reprend à la position {resumed}).",
        expected,
    )


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
    walkers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> Verification:
    """Seal, then check the whole chain (and the signed checkpoints when a public key is given).

    ``lost_keys`` are fingerprints of keys declared lost: what they
    authenticated is counted as unverifiable instead of stopping the check.
    A chain of more than ``parallel_from`` positions is walked by ``walkers``
    processes (by default one per core, at most four).
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
        segments = plan(result.start.kept_from, result.head.position, walkers or default_walkers(), parallel_from)
        result.broken = (
            check_signatures(signed)
            or check_purges(connection, checking)
            or walk(connection, result, signed, checking, segments)
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


@dataclass(frozen=True)
class Walked:
    """What the walk of one segment found, and the position after the last link it walked."""

    segment: Segment
    tally: Verification
    reached: int

    @property
    def last(self) -> bool:
        """Whether the walk ends here: a break, or a chain that stops before the segment's end."""
        return self.tally.broken is not None or (self.segment.stop is not None and self.reached < self.segment.stop)


def walk(
    connection: sa.Connection,
    result: Verification,
    signed: list[SignedCheckpoint],
    checking: Checking,
    segments: list[Segment],
) -> Break | None:
    """Walk the chain from its start, segment by segment; the first broken link, or None."""
    start = result.start
    by_position: dict[int, list[SignedCheckpoint]] = {}
    for one in signed:
        by_position.setdefault(one.checkpoint.position, []).append(one)
    if (problem := vouched(by_position, start.kept_from - 1, start.previous_hash)) is not None:
        return problem
    walk_one = partial(walk_segment, start=start, by_position=by_position, checking=checking)
    expected = start.kept_from
    # In position order: the first break of the chain is in the first segment that has one.
    for walked in walk_segments(connection, segments, walk_one, lambda walked: walked.last):
        tally = walked.tally
        result.checked += tally.checked
        result.purged += tally.purged
        result.unauthenticated += tally.unauthenticated
        result.unverifiable += tally.unverifiable
        result.keyed_from = tally.keyed_from if result.keyed_from is None else result.keyed_from
        result.latest, expected = tally.latest, walked.reached
        if tally.broken is not None:
            return tally.broken
    beyond = [one for one in signed if one.checkpoint.position >= expected]
    if beyond:
        last = beyond[-1]
        return Break(
            f"La chaîne s'arrête à la position {expected - 1} alors que le point de contrôle signé "
            f"{last.label} atteste la position {last.checkpoint.position} : des entrées ont été supprimées.",
            expected,
        )
    return None


def walk_segment(
    connection: sa.Connection,
    segment: Segment,
    start: Start,
    by_position: dict[int, list[SignedCheckpoint]],
    checking: Checking,
) -> Walked:
    """Walk one segment from the state the walk holds before it, up to its first broken link."""
    if segment.start == start.kept_from:
        state = StartState(start.previous_hash, None, None)
    else:
        state = start_state(connection, start.kept_from, segment.start)
    tally = Verification(keyed_from=state.keyed_from, latest=state.latest)
    expected, previous = segment.start, state.previous_hash
    for row in stream_chain(connection, segment.start, segment.stop):
        tally.broken = check_link(row, expected, previous, checking, tally) or vouched(
            by_position, row.position, row.chain_hash
        )
        if tally.broken is not None:
            return Walked(segment, tally, expected)
        if row.found is None:
            tally.purged += 1
        else:
            tally.checked += 1
        expected, previous = row.position + 1, row.chain_hash
    if segment.stop is not None and expected < segment.stop:
        # The segment's last links are missing: the walk would have named the first at the next link.
        resumed = next_position(connection, expected)
        tally.broken = None if resumed is None else missing(expected, resumed)
    return Walked(segment, tally, expected)


def vouched(by_position: dict[int, list[SignedCheckpoint]], position: int, chain_hash: str) -> Break | None:
    """The first checkpoint signed at ``position`` that disagrees with its link's hash."""
    for one in by_position.get(position, []):
        if (problem := check_against(one, position, chain_hash)) is not None:
            return problem
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
        return Break(
            f"Entrée n° {intruder} insérée hors de la chaîne : elle n'a jamais été scellée, elle n'a pas été "
            "écrite par l'application.",
            None,
            intruder,
        )
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
