"""Walking the audit chain in segments, one process per core.

Verifying is Python from end to end (canonical JSON, HMACs, links), one
entry after the other, so a long chain is cut into contiguous segments of
positions walked by as many processes. A segment needs nothing walked before
it: what the walk carries from row to row is read back by a query at the
segment's start (:func:`start_state`): the stored hash of the link before
it, the first keyed position before it and the latest instant before it.
The segment before checks that link itself, so a boundary tampered with is
still named by one of the two, and the first break in position order wins.

On PostgreSQL every walker reads the snapshot of the parent's transaction
(``pg_export_snapshot()`` then ``SET TRANSACTION SNAPSHOT``, as ``pg_dump -j``
does), which stays open until the last walker is done.
"""

from __future__ import annotations

import datetime
import itertools
import multiprocessing
import os
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cagou.audit.sealer import ENTRY, SEAL, is_postgresql

#: Below this many positions, one process walks the whole chain: forking would cost more than it saves.
PARALLEL_FROM = 100_000
#: At most this many walkers by default, each with its own database connection.
MAX_WALKERS = 4

Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class Segment:
    """Positions ``start`` to ``stop - 1`` of the chain; to its head when ``stop`` is None."""

    start: int
    stop: int | None = None


@dataclass(frozen=True)
class StartState:
    """What the walk carries across rows, as it stands just before a segment."""

    #: The stored hash of the link before the segment; "" when that link is missing (the segment before names it).
    previous_hash: str
    #: The first position sealed with a key, before the segment.
    keyed_from: int | None
    #: The latest instant of the entries before the segment, and the first entry dated so.
    latest: tuple[datetime.datetime, int] | None


def default_walkers() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_WALKERS))


def plan(kept_from: int, head: int, walkers: int, parallel_from: int = PARALLEL_FROM) -> list[Segment]:
    """The segments of positions ``kept_from`` to ``head``: one, unless the chain is longer than ``parallel_from``."""
    count = head - kept_from + 1
    if walkers <= 1 or count <= parallel_from:
        return [Segment(kept_from)]
    walkers = min(walkers, count)
    starts = [kept_from + count * index // walkers for index in range(walkers)]
    return [Segment(start, stop) for start, stop in itertools.pairwise(starts)] + [Segment(starts[-1])]


def start_state(connection: sa.Connection, kept_from: int, start: int) -> StartState:
    """The walk's state before position ``start``, as a walk from ``kept_from`` reaching it intact would hold it.

    If something before ``start`` is broken, the segment holding it names it
    first, so what is read here only needs to be right for an intact prefix.
    """
    before = SEAL.c.position.between(kept_from, start - 1)
    previous = connection.scalar(sa.select(SEAL.c.chain_hash).where(SEAL.c.position == start - 1))
    keyed_from = connection.scalar(
        sa.select(SEAL.c.position).where(before, SEAL.c.mac_key.is_not(None)).order_by(SEAL.c.position).limit(1)
    )
    # The walk keeps the first entry that reached the latest instant: ties go to the lowest position.
    # (SQLite compares the instants as the text SQLAlchemy writes, one format, so in time order.)
    latest = connection.execute(
        sa.select(ENTRY.c.occurred_at, ENTRY.c.id)
        .select_from(SEAL.join(ENTRY, ENTRY.c.id == SEAL.c.entry_id))
        .where(before)
        .order_by(ENTRY.c.occurred_at.desc(), SEAL.c.position)
        .limit(1)
    ).first()
    return StartState(previous or "", keyed_from, None if latest is None else (latest.occurred_at, latest.id))


def next_position(connection: sa.Connection, position: int) -> int | None:
    """The first position of the chain from ``position`` on (where it resumes after a gap)."""
    found: int | None = connection.scalar(sa.select(sa.func.min(SEAL.c.position)).where(SEAL.c.position >= position))
    return found


# -- the walkers ------------------------------------------------------------------


def export_snapshot(connection: sa.Connection) -> str | None:
    """PostgreSQL: the id of the connection's snapshot, for other sessions to read the same data."""
    if not is_postgresql(connection):
        return None
    snapshot: str = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
    return snapshot


def enter_snapshot(connection: sa.Connection, snapshot: str | None) -> None:
    """Make ``snapshot`` the one of the transaction ``connection`` is about to begin.

    Without a snapshot (SQLite), the walker reads the file as it is: the
    verification sealed just before, and the sealer only ever appends
    links after the head, so the part of the chain being walked does not
    change under the walkers.
    """
    if snapshot is None:
        return
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # it is quoted into the statement below
        raise ValueError(f"Not a snapshot id: {snapshot!r}")
    connection.execution_options(isolation_level="REPEATABLE READ")
    # Must be the transaction's first statement; no parameter can be bound to SET.
    connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")


def walk_segments(
    connection: sa.Connection,
    segments: list[Segment],
    walk_one: Callable[[sa.Connection, Segment], Outcome],
    broken: Callable[[Outcome], bool],
) -> list[Outcome]:
    """Each segment walked by ``walk_one``, the first here, the others in forked processes; in position order.

    The outcomes stop at the first one ``broken`` says broke: whatever comes
    after it does not count, and its walkers are stopped. ``connection``
    is the parent's, in the transaction whose snapshot the others share.
    """
    if len(segments) == 1:
        return [walk_one(connection, segments[0])]
    snapshot = export_snapshot(connection)
    engine = connection.engine
    context = multiprocessing.get_context("fork")  # the walkers get the keys and checkpoints without pickling
    walkers: list[tuple[multiprocessing.process.BaseProcess, Pipe]] = []
    try:
        for segment in segments[1:]:
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(
                target=walker, args=(engine, snapshot, segment, walk_one, sender), name=f"audit-verify-{segment.start}"
            )
            child.start()
            sender.close()
            walkers.append((child, receiver))
        outcomes = [walk_one(connection, segments[0])]
        answers = received(walkers)
        while len(outcomes) < len(segments) and not broken(outcomes[-1]):
            outcomes.append(next(answers))
        return outcomes
    finally:
        for process, receiver in walkers:
            if process.is_alive():
                process.terminate()
            process.join()
            receiver.close()


def received(walkers: list[tuple[multiprocessing.process.BaseProcess, Pipe]]) -> Iterator[Any]:
    """The outcome of each walker, in order, as it arrives."""
    for process, receiver in walkers:
        try:
            done, value = receiver.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"{process.name} stopped without an answer (exit code {process.exitcode}).") from None
        if not done:
            raise RuntimeError(f"{process.name} failed:\n{value}")
        yield value


def walker(
    engine: Engine,
    snapshot: str | None,
    segment: Segment,
    walk_one: Callable[[sa.Connection, Segment], Any],
    sender: Pipe,
) -> None:
    """A forked walker: its own connection in the shared snapshot, its segment, its outcome sent back."""
    # The pooled connections are the parent's: drop them without closing them (SQLAlchemy's pattern for fork).
    engine.dispose(close=False)
    try:
        with engine.connect() as connection:
            enter_snapshot(connection, snapshot)
            outcome = walk_one(connection, segment)
        sender.send((True, outcome))
    except BaseException:  # the parent re-raises it
        sender.send((False, traceback.format_exc()))
    finally:
        sender.close()
