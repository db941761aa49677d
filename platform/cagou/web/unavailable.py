"""503 while the database is unreachable: a French page, or JSON on the API, never a stack trace.

A request that cannot reach the database (it is restarting, the network is
cut, the pool has no connection to give within ``cagou.database.pool_timeout``)
raises one of :data:`UNAVAILABLE`. Its transaction is rolled back, so nothing
of it is stored, and the person is told to try again a moment later
(``Retry-After``). The page is rendered without the layout: the layout asks who
is signed in, which needs the database. Once the database is back, pooled
connections it dropped are replaced at their next checkout (``pool_pre_ping``,
see :mod:`cagou.db`): the process serves again by itself.

A request is not replayed after such an error: its COMMIT may have reached the
database before the connection broke, and a replay would store it twice.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response

from cagou.api.clients import wants_json
from cagou.web.views import json_error

log = logging.getLogger(__name__)

#: What the database layer raises when the database cannot be reached or gives no connection in time.
UNAVAILABLE: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)
RETRY_AFTER_SECONDS = 5
MESSAGE = "Le service est momentanément indisponible. Réessayez dans quelques instants."
PAGE = "cagou:web/templates/unavailable.jinja2"


def unavailable(error: Exception, request: Request) -> Response:
    log.warning(
        "Request %s: the database is unavailable (%s)",
        request.environ.get("cagou.request_id"),
        str(error).splitlines()[0] if str(error) else type(error).__name__,
    )
    if wants_json(request):
        response = json_error(request, 503, MESSAGE)
    else:
        response = render_to_response(PAGE, {"message": MESSAGE}, request=request)
        response.status_int = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def includeme(config: Configurator) -> None:
    for error in UNAVAILABLE:
        config.add_exception_view(unavailable, context=error)
