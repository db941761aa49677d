"""The chain stays right when many requests write at once, and writers never wait for it.

On PostgreSQL transactions commit in any order: the sealer must never seal an
entry while an older transaction that could still add one before it runs.
The threads below write, abort and hold transactions open while two sealers
run, then the whole chain must verify, each committed entry sealed once.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
import sqlalchemy as sa

from cagou.audit.models import AuditEntry, AuditSeal
from cagou.audit.sealer import seal, sealer_lock
from cagou.audit.services import entry_values
from cagou.audit.verify import verify
from cagou.db import get_engine, transaction_scope
from cagou.interfaces import IAuditLog
from cagou.testing import is_postgresql

WRITERS = 8
ENTRIES_PER_WRITER = 25
THREAD_TIMEOUT_SECONDS = 120

postgresql_only = pytest.mark.skipif(
    not is_postgresql(), reason="transaction ids and concurrent commits are PostgreSQL's"
)


class RequestFailedError(Exception):
    """A request that fails after writing its entry."""


def writer(registry, number: int, errors: list[BaseException]) -> None:
    chance = random.Random(number)
    try:
        for index in range(ENTRIES_PER_WRITER):
            try:
                with transaction_scope(registry) as request:
                    request.find_service(IAuditLog).record(
                        "sample:note:test", f"Rédacteur {number}, note {index}.", module="sample", object_id=str(number)
                    )
                    # Hold some transactions open, so that commits come out of order.
                    time.sleep(chance.choice((0, 0, 0.001, 0.005)))
                    if index % 7 == 3:
                        raise RequestFailedError()
            except RequestFailedError:
                pass
    except BaseException as error:
        errors.append(error)


def sealer(registry, stop: threading.Event, errors: list[BaseException]) -> None:
    try:
        while not stop.is_set():
            seal(registry)
    except BaseException as error:
        errors.append(error)


def test_many_writers_and_two_sealers_at_once_then_verify(registry):
    errors: list[BaseException] = []
    stop = threading.Event()
    writers = [threading.Thread(target=writer, args=(registry, n, errors)) for n in range(WRITERS)]
    sealers = [threading.Thread(target=sealer, args=(registry, stop, errors)) for _ in range(2)]
    for thread in writers + sealers:
        thread.start()
    for thread in writers:
        thread.join(THREAD_TIMEOUT_SECONDS)
    stop.set()
    for thread in sealers:
        thread.join(THREAD_TIMEOUT_SECONDS)
    assert not errors, errors
    aborted_per_writer = sum(1 for index in range(ENTRIES_PER_WRITER) if index % 7 == 3)
    expected = WRITERS * (ENTRIES_PER_WRITER - aborted_per_writer)
    result = verify(registry)
    assert result.intact, result.broken
    assert (result.checked, result.head.position, result.pending) == (expected, expected, 0)
    with get_engine(registry).connect() as connection:
        entries = set(connection.scalars(sa.select(AuditEntry.id)))
        sealed = list(connection.scalars(sa.select(AuditSeal.entry_id).order_by(AuditSeal.position)))
    assert len(entries) == expected
    assert sorted(sealed) == sorted(entries)  # each committed entry exactly once


def uncommitted_entry(registry, connection: sa.Connection, summary: str) -> int:
    """An entry written by a transaction that has not committed yet."""
    with transaction_scope(registry) as request:
        values = entry_values(request, "sample:note:test", summary, "sample", "note", "1", None, "action")
    return int(connection.execute(sa.insert(AuditEntry).values(**values).returning(AuditEntry.id)).scalar_one())


@postgresql_only
def test_an_entry_committed_late_is_sealed_after_those_committed_before_it(registry):
    engine = get_engine(registry)
    with engine.connect() as slow:
        transaction = slow.begin()
        early = uncommitted_entry(registry, slow, "Écrite la première, validée la dernière.")
        with transaction_scope(registry) as request:
            late = request.find_service(IAuditLog).record("sample:note:test", "Écrite après, validée avant.").id
        # The transaction still open holds nothing back; its entry is not visible yet.
        assert seal(registry) == 1
        assert verify(registry).intact
        transaction.commit()
    # Below the last run's horizon, yet legitimately late: a later run still finds it.
    assert seal(registry) == 1
    with engine.connect() as connection:
        order = list(connection.scalars(sa.select(AuditSeal.entry_id).order_by(AuditSeal.position)))
    assert order == [late, early]
    assert verify(registry).intact


@postgresql_only
def test_an_entry_written_by_an_aborted_transaction_never_enters_the_chain(registry):
    engine = get_engine(registry)
    with engine.connect() as slow:
        transaction = slow.begin()
        uncommitted_entry(registry, slow, "Jamais validée.")
        with transaction_scope(registry) as request:
            request.find_service(IAuditLog).record("sample:note:test", "Validée.")
        transaction.rollback()
    assert seal(registry) == 1
    result = verify(registry)
    assert result.intact and (result.checked, result.pending) == (1, 0)


def test_writers_never_wait_for_the_sealer(registry):
    """While a sealer holds its lock (a long sealing run), requests still write and commit."""
    done = threading.Event()
    errors: list[BaseException] = []

    def write_some() -> None:
        try:
            for index in range(5):
                with transaction_scope(registry) as request:
                    request.find_service(IAuditLog).record("sample:note:test", f"Note {index}.", module="sample")
            done.set()
        except BaseException as error:
            errors.append(error)

    if not is_postgresql():
        pytest.skip("SQLite has one writer at a time: the sealer holds the database's write lock")
    with sealer_lock(get_engine(registry)):
        thread = threading.Thread(target=write_some)
        thread.start()
        thread.join(THREAD_TIMEOUT_SECONDS)
        assert done.is_set(), errors
    assert seal(registry) == 5
