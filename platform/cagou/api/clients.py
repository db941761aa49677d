"""Who is a client of the JSON API, and what the API's routes accept.

Every route under :data:`cagou.sites.API_PREFIX` is the intranet's JSON API, the core's
and every module's: its answers, errors included, are JSON (see
:func:`cagou.web.views.json_error`), it is for agents only (see
:meth:`cagou.identity.policy.SecurityPolicy.permits`), and a request without
any credential is answered 401 rather than refused by the CSRF check.
"""

from __future__ import annotations

from pyramid.registry import Registry
from pyramid.request import Request

from cagou.identity.tokens import bearer_token
from cagou.sites import is_api_request

#: The cookie of the signed session (CSRF token, flash messages, server-side session's token).
SESSION_COOKIE = "cagou_session"


def wants_json(request: Request) -> bool:
    """A client of the JSON API: it carries a token, or asks under :data:`cagou.sites.API_PREFIX`."""
    return bearer_token(request) is not None or is_api_request(request)


def csrf_applies(request: Request) -> bool:
    """Whether a state-changing request must carry the CSRF token (the CSRF options' callback).

    Not with a personal token: a browser cannot add that header to a forged
    cross-site request. Nor on the API without the session cookie: nothing
    rides along to be forged, so the request goes on to the permission check,
    which answers 401. Pages keep the check even without a cookie (the sign-in
    form, against forged sign-ins).
    """
    if bearer_token(request) is not None:
        return False
    return SESSION_COOKIE in request.cookies or not is_api_request(request)


def allowed_methods(registry: Registry, route_name: str) -> list[str]:
    """The methods the views of ``route_name`` answer, for a 405's ``Allow`` (HEAD with GET, as Pyramid does)."""
    methods: set[str] = set()
    for item in registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        if view["route_name"] != route_name:
            continue
        declared = view["request_methods"]
        if declared is None:
            return []  # a view for every method: no method is refused
        methods.update((declared,) if isinstance(declared, str) else declared)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
