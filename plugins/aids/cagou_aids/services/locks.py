"""What a bulk action locked and read ahead in the request's transaction, for the services it calls per file.

The workflows' ``take`` and the envelope's check read it (services/workflows.py, services/envelopes.py), the bulk
action writes it (services/bulk.py): a module of its own, so that none of them imports another for it.
"""

from __future__ import annotations

from pyramid.request import Request

from cagou_aids.models import Application

#: Where a bulk action (services/bulk.py) leaves the transitions of the applications it locked, read in one
#: query, by application id: each take reads them there rather than asking the database twice per file.
PRELOADED_TRANSITIONS = "cagou_aids.preloaded_transitions"


def locked_by_bulk(request: Request, application: Application) -> bool:
    """Whether a bulk action locked ``application`` in this transaction and read its transitions: its take then
    neither locks nor flushes it again (the bulk action flushes every file's rows at once, in a few statements)."""
    return application.id in request.environ.get(PRELOADED_TRANSITIONS, {})
