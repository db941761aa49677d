"""Personal API tokens: made and revoked by their owner, shown once."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from cagou.contributions import INTRANET, PUBLIC, Permission
from cagou.identity import tokens
from cagou.identity.models import ApiToken
from cagou.interfaces import IAuditLog, IClock
from cagou.plugins import flatten, get_plugins
from cagou.sites import request_site
from cagou.web.forms import FormErrors

TEMPLATE = "cagou:identity/templates/tokens.jinja2"
DURATIONS = {"30": "30 jours", "90": "90 jours", "365": "un an"}
#: Permissions a token may never carry: it cannot make tokens, nor stand for a second factor.
NEVER_IN_SCOPE = {"core:tokens:manage", "core:second-factor:give"}
MAX_NAME_LENGTH = 100
#: The token pages of each site (page, revocation) and the API document the tokens are for.
ROUTES = {
    INTRANET: {"page": "tokens", "revoke": "tokens.revoke", "openapi": "api.openapi"},
    PUBLIC: {"page": "account.tokens", "revoke": "account.tokens.revoke", "openapi": "api.public_openapi"},
}


def grantable(request: Request) -> list[Permission]:
    """The permissions the person holds now, which a new token may carry."""
    declared = flatten(get_plugins(request.registry).call("cagou_permissions"))
    return [p for p in declared if p.name not in NEVER_IN_SCOPE and request.can(p.name)]


def page_values(
    request: Request, errors: FormErrors, values: dict[str, Any], created: str | None = None
) -> dict[str, Any]:
    return {
        "tokens": tokens.tokens_of(request, request.identity),
        "grantable": grantable(request),
        "durations": DURATIONS,
        "errors": errors,
        "values": values,
        "created": created,
        "now": request.find_service(IClock).now(),
        "routes": ROUTES[request_site(request)],
    }


@view_config(route_name="tokens", renderer=TEMPLATE, permission="core:tokens:manage")
@view_config(route_name="account.tokens", renderer=TEMPLATE, permission="core:tokens:manage")
def tokens_page(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {"name": "", "days": "90", "scopes": []}
    errors = FormErrors()
    if request.method != "POST":
        return page_values(request, errors, values)
    values = {
        "name": request.POST.get("name", "").strip(),
        "days": request.POST.get("days", ""),
        "scopes": request.POST.getall("scopes"),
    }
    allowed = {permission.name for permission in grantable(request)}
    if not values["name"] or len(values["name"]) > MAX_NAME_LENGTH:
        errors.add("name", f"Nommez le jeton (à quoi il sert), en {MAX_NAME_LENGTH} caractères au plus.")
    if values["days"] not in DURATIONS:
        errors.add("days", "Choisissez une durée de la liste.")
    if not values["scopes"] or not set(values["scopes"]) <= allowed:
        errors.add("scopes", "Cochez au moins une permission, parmi celles que vous avez.")
    if errors:
        request.response.status_int = 400
        return page_values(request, errors, values)
    token, clear = tokens.issue(request, request.identity, values["name"], values["scopes"], int(values["days"]))
    request.find_service(IAuditLog).record(
        "core:token:create",
        f"Jeton d'API « {token.name} » créé ({', '.join(token.scopes)}).",
        object_type="api_token",
        object_id=str(token.id),
    )
    return page_values(request, FormErrors(), {"name": "", "days": "90", "scopes": []}, created=clear)


@view_config(route_name="tokens.revoke", request_method="POST", permission="core:tokens:manage")
@view_config(route_name="account.tokens.revoke", request_method="POST", permission="core:tokens:manage")
def token_revoke(request: Request) -> HTTPSeeOther:
    token = request.db.get(ApiToken, int(request.matchdict["id"]))
    if token is None or token.account_id != request.identity.id:
        raise HTTPNotFound()
    if token.revoked_at is None:
        token.revoked_at = request.find_service(IClock).now()
        request.find_service(IAuditLog).record(
            "core:token:revoke",
            f"Jeton d'API « {token.name} » révoqué.",
            object_type="api_token",
            object_id=str(token.id),
        )
    request.session.flash(f"Jeton « {token.name} » révoqué : il ne fonctionne plus.")
    return HTTPSeeOther(request.route_path(ROUTES[request_site(request)]["page"]))
