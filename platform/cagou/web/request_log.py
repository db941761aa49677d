"""One log line per request, in development (``cagou.log_requests = true`` in development.ini).

waitress logs no requests, and Paste's TransLogger would bring the whole of
Paste for one line; this tween writes it on the ``cagou.requests`` logger:
the client's address, the method, the path, the status and the time taken.
production.ini leaves it off, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.tweens import EXCVIEW

log = logging.getLogger("cagou.requests")


def request_log_tween_factory(handler: Callable[[Request], Any], registry: Registry) -> Callable[[Request], Any]:
    def request_log_tween(request: Request) -> Any:
        started = time.perf_counter()
        status = "500"  # what the server answers when the exception goes up to it
        try:
            response = handler(request)
            status = str(response.status_code)
            return response
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %s %.0f ms", request.client_addr, request.method, request.path_qs, status, milliseconds)

    return request_log_tween


def includeme(config: Configurator) -> None:
    if config.get_settings()["cagou.log_requests"]:
        # Under the tween that sets the client's address, over the transaction and the exception views:
        # the line shows the status the client gets and the time its request took, commit included.
        config.add_tween(
            "cagou.web.request_log.request_log_tween_factory",
            under="cagou.web.proxies.forwarded_for_tween_factory",
            over=("pyramid_tm.tm_tween_factory", EXCVIEW),
        )
