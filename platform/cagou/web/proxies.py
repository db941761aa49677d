"""The client's address behind a reverse proxy, believed only from the proxies named in the settings.

gunicorn gives the proxy's address as ``REMOTE_ADDR`` and passes
``X-Forwarded-For`` on as the client sent it; WebOb's ``client_addr`` would
read that header first, so anyone could choose the address that the audit
log records and the rate limits count. This tween, the first to run, keeps the
header only from an address of ``cagou.proxies.trusted``, takes its last entry
(the address the proxy saw) as ``REMOTE_ADDR``, and removes it otherwise. The
scheme (``X-Forwarded-Proto``) is gunicorn's to check (``forwarded_allow_ips``
in gunicorn.conf.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.tweens import INGRESS

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def forwarded_for_tween_factory(handler: Callable[[Request], Any], registry: Registry) -> Callable[[Request], Any]:
    trusted = frozenset(registry.settings["cagou.proxies.trusted"])

    def forwarded_for_tween(request: Request) -> Any:
        environ = request.environ
        forwarded = environ.pop(FORWARDED_FOR, "")
        if forwarded and environ.get("REMOTE_ADDR") in trusted:
            client = forwarded.split(",")[-1].strip()
            if client:
                environ["REMOTE_ADDR"] = client
        return handler(request)

    return forwarded_for_tween


def includeme(config: Configurator) -> None:
    config.add_tween("cagou.web.proxies.forwarded_for_tween_factory", under=INGRESS)
