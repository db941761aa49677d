"""The pages every site has: home, "Mon espace", search, health, and errors."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken, PredicateMismatch
from pyramid.httpexceptions import HTTPClientError, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config, view_config

from cagou.api.clients import allowed_methods, wants_json
from cagou.audit.services import record_refused_access
from cagou.contributions import INTRANET, PUBLIC, SearchResult, Widget
from cagou.db import get_engine
from cagou.identity.policy import kept_out_of_the_api
from cagou.identity.second_factor import awaits_second_factor
from cagou.identity.views import signed_out_submission
from cagou.plugins import call_enabled, enabled_modules, flatten, get_plugins

log = logging.getLogger(__name__)

SEARCH_LIMIT = 20
MAX_QUERY_LENGTH = 200


def widgets_of(request: Request, site: str) -> list[Widget]:
    """The enabled modules' widgets for ``site``'s home, those the person may see, in their order."""
    if request.identity is None:
        return []
    widgets: list[Widget] = flatten(call_enabled(request, "cagou_dashboard_widgets"))
    allowed = [w for w in widgets if w.site == site and (w.permission is None or request.can(w.permission))]
    return sorted(allowed, key=lambda widget: (widget.order, widget.title))


@view_config(route_name="home", renderer="cagou:web/templates/home.jinja2", permission=NO_PERMISSION_REQUIRED)
def home(request: Request) -> dict[str, Any]:
    return {"widgets": widgets_of(request, PUBLIC)}


@view_config(route_name="space", renderer="cagou:web/templates/space.jinja2", permission="core:space:view")
def space(request: Request) -> dict[str, Any]:
    return {"widgets": widgets_of(request, INTRANET)}


@view_config(route_name="search", renderer="cagou:web/templates/search.jinja2", permission="core:search:use")
def search(request: Request) -> dict[str, Any]:
    query = " ".join(request.params.get("q", "").split())
    if len(query) > MAX_QUERY_LENGTH:
        request.response.status_int = 400
        error = f"La recherche est trop longue ({MAX_QUERY_LENGTH} caractères au plus)."
        return {"query": query[:MAX_QUERY_LENGTH], "groups": [], "error": error}
    groups: list[tuple[str, list[SearchResult]]] = []
    if query:
        plugins = get_plugins(request.registry)
        answers = plugins.call_each(
            "cagou_search", enabled_modules(request), request=request, query=query, limit=SEARCH_LIMIT
        )
        groups = [(plugins.modules[module].title, results[:SEARCH_LIMIT]) for module, results in answers if results]
    return {"query": query, "groups": groups, "error": None}


def json_error(
    request: Request,
    status: int,
    message: str,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error of the JSON API, in its one format (``ERROR_SCHEMA`` of :mod:`cagou.api.openapi`)."""
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    if status >= 500:
        body["request_id"] = request.environ.get("cagou.request_id", "")
    response = Response(json_body=body, status=status, charset="utf-8")
    response.headers.update(headers or {})
    return response


@view_config(route_name="health", renderer="json", permission=NO_PERMISSION_REQUIRED)
def health(request: Request) -> dict[str, Any]:
    """A light check for load balancers: the process answers and the database too.

    It runs outside any transaction and ORM session (see ``cagou.db.needs_transaction``),
    on a pooled connection: load balancers call it often.
    """
    try:
        with get_engine(request.registry).connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError:
        request.response.status_int = 503
        return {"status": "error", "database": "unreachable"}
    return {"status": "ok", "database": "ok"}


@notfound_view_config(append_slash=True, renderer="cagou:web/templates/error.jinja2")
def not_found(error: HTTPNotFound, request: Request) -> Any:
    if wants_json(request):
        refused = refused_method(error, request)
        if refused is not None:
            return refused
        return json_error(request, 404, "Ressource introuvable.")
    request.response.status_int = 404
    return {
        "status": 404,
        "title": "Page introuvable",
        "message": "La page demandée n'existe pas, ou n'est plus disponible.",
    }


def refused_method(error: HTTPNotFound, request: Request) -> Response | None:
    """405 with ``Allow`` for a method the matched route has no view for (Pyramid sees a 404)."""
    route = request.matched_route
    if not isinstance(error, PredicateMismatch) or route is None:
        return None
    methods = allowed_methods(request.registry, route.name)
    if not methods or request.method in methods:
        return None
    message = f"La méthode {request.method[:20]} n'est pas acceptée ici : {', '.join(methods)}."
    return json_error(request, 405, message, headers={"Allow": ", ".join(methods)})


@forbidden_view_config(renderer="cagou:web/templates/error.jinja2")
def forbidden(error: HTTPForbidden, request: Request) -> Any:
    if wants_json(request):
        if request.identity is None:
            # RFC 9110: a 401 names the scheme that would do.
            return json_error(request, 401, "Jeton absent, expiré ou révoqué.", headers={"WWW-Authenticate": "Bearer"})
        record_refused_access(request, error)
        if kept_out_of_the_api(request, request.identity):
            return json_error(request, 403, "L'API de l'intranet est réservée aux agents.")
        return json_error(request, 403, "La permission n'est pas dans la portée du jeton, ou la personne ne l'a pas.")
    if awaits_second_factor(request):
        return HTTPSeeOther(request.route_url("second_factor", _query={"next": request.path_qs}))
    if request.identity is None and request.method == "GET" and not request.is_htmx:
        login = "intranet.login" if request.site == INTRANET else "login"
        query = {"next": request.path_qs}
        if request.environ.get("cagou.session_expired"):
            query["expiree"] = "1"
        return HTTPSeeOther(request.route_url(login, _query=query))
    if request.identity is None and request.method == "POST" and not request.is_htmx:
        return signed_out_submission(request)
    record_refused_access(request, error)
    request.response.status_int = 403
    return {
        "status": 403,
        "title": "Accès refusé",
        "message": "Vous n'avez pas les droits nécessaires pour voir cette page. "
        "Si vous pensez qu'il s'agit d'une erreur, contactez le service informatique.",
    }


CLIENT_ERROR_TITLES = {
    400: "Requête invalide",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Envoi trop volumineux",
    429: "Trop de tentatives",
}


EXPIRED_FORM = (
    "Le formulaire a expiré ou ne provient pas de cette page : rechargez la page, puis recommencez. "
    "Rien n'a été enregistré."
)


FORGED_API_REQUEST = (
    "Requête refusée : avec le cookie de session, il faut aussi le jeton CSRF (en-tête X-CSRF-Token) ; "
    "un programme utilise un jeton personnel (Authorization: Bearer …), sans cookie."
)


@exception_view_config(HTTPClientError, renderer="cagou:web/templates/error.jinja2")
def client_error(error: HTTPClientError, request: Request) -> Any:
    """Other 4xx raised by views: their French explanation, in the layout (or as JSON)."""
    if isinstance(error, BadCSRFToken | BadCSRFOrigin):
        message = FORGED_API_REQUEST if wants_json(request) else EXPIRED_FORM
    elif isinstance(error.detail, str) and error.detail:
        message = error.detail
    else:
        message = "La demande n'a pas pu être traitée : vérifiez les informations envoyées."
    if wants_json(request):
        return json_error(request, error.code, message)
    request.response.status_int = error.code
    return {"status": error.code, "title": CLIENT_ERROR_TITLES.get(error.code, "Demande refusée"), "message": message}


SERVER_ERROR = (
    "Une erreur inattendue s'est produite ; l'équipe informatique en a été avertie. "
    "Vos données n'ont pas été modifiées : réessayez dans quelques instants."
)


@exception_view_config(Exception, renderer="cagou:web/templates/error.jinja2")
def server_error(error: Exception, request: Request) -> Any:
    log.error("Request %s failed", request.environ.get("cagou.request_id"), exc_info=error)
    if wants_json(request):
        return json_error(request, 500, SERVER_ERROR)
    request.response.status_int = 500
    return {
        "status": 500,
        "title": "Erreur du serveur",
        "message": SERVER_ERROR,
        "request_id": request.environ.get("cagou.request_id"),
        "minimal": True,
    }
