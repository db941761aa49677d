"""What a bulk action locked and read ahead in the request's transaction, for the services it calls per file.

The workflows' ``take`` and the envelope's check read it (services/workflows.py, services/envelopes.py); the bulk
actions and the acts write it (services/bulk.py, services/acts.py), through :func:`preloaded`: a module of its own,
so that none of them imports another for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import selectinload

from cagou_aids.models import Application, Procedure, ProcedureVersion, TransitionTaken

#: Where a bulk action (services/bulk.py) leaves the transitions of the applications it locked, read in one
#: query, by application id: each take reads them there rather than asking the database twice per file.
PRELOADED_TRANSITIONS = "cagou_aids.preloaded_transitions"

Preloaded = dict[int, list[TransitionTaken]]


def locked_by_bulk(request: Request, application: Application) -> bool:
    """Whether a bulk action locked ``application`` in this transaction and read its transitions: its take then
    neither locks nor flushes it again (the bulk action flushes every file's rows at once, in a few statements)."""
    return application.id in request.environ.get(PRELOADED_TRANSITIONS, {})


def locked_applications(request: Request, procedure: Procedure, ids: Iterable[int]) -> list[Application]:
    """``procedure``'s applications among ``ids``, with their version and procedure, locked in id order (two
    actions over the same files then wait for each other instead of deadlocking)."""
    query = (
        sa.select(Application)
        .where(Application.procedure_id == procedure.id, Application.id.in_(sorted(set(ids))))
        .options(selectinload(Application.version).selectinload(ProcedureVersion.procedure))
        .order_by(Application.id)
        .with_for_update(of=Application)
        .execution_options(populate_existing=True)  # the state as the lock found it, not as the session had it
    )
    return list(request.db.scalars(query))


def preload_transitions(request: Request, applications: Sequence[Application]) -> Preloaded:
    """Every transition taken on ``applications``, read once, for ``current_round`` to find."""
    taken: Preloaded = {application.id: [] for application in applications}
    query = sa.select(TransitionTaken).where(TransitionTaken.application_id.in_(list(taken)))
    for row in request.db.scalars(query.order_by(TransitionTaken.id)):
        taken[row.application_id].append(row)
    request.environ[PRELOADED_TRANSITIONS] = taken
    return taken


@contextmanager
def preloaded(request: Request, applications: Sequence[Application]) -> Iterator[Preloaded]:
    """Within it, ``IWorkflows.take`` on ``applications`` (locked by :func:`locked_applications`) neither locks
    nor flushes them one by one: their transitions, history lines and states are flushed together on leaving
    (a few multi-row statements instead of three per file). Yields the preloaded transitions by application id.

    The session does not autoflush meanwhile: each take's queries (the act's guard, the followers) would otherwise
    flush the files taken before it one by one. None of them reads what a take leaves pending: the transitions
    come from the preload, the act's lines are flushed before, the followers and the mails are Core statements."""
    taken = preload_transitions(request, applications)
    try:
        with request.db.no_autoflush:
            yield taken
        request.db.flush()
    finally:
        request.environ.pop(PRELOADED_TRANSITIONS, None)
