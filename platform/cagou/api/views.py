"""The core's JSON API: the OpenAPI document and the person behind a token."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from cagou.api.openapi import document
from cagou.sites import request_site

PROFILE_SCHEMA = {
    "type": "object",
    "properties": {
        "login": {"type": "string"},
        "display_name": {"type": "string"},
        "kind": {"type": "string", "enum": ["agent", "citizen", "company", "admin"]},
        "scopes": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["login", "display_name", "kind"],
}


@view_config(route_name="api.openapi", request_method="GET", renderer="json", permission=NO_PERMISSION_REQUIRED)
@view_config(route_name="api.public_openapi", request_method="GET", renderer="json", permission=NO_PERMISSION_REQUIRED)
def openapi(request: Request) -> dict[str, Any]:
    return document(request.registry, request.application_url, request_site(request))


@view_config(route_name="api.profile", request_method="GET", renderer="json", permission="core:profile:read")
@view_config(route_name="api.public_profile", request_method="GET", renderer="json", permission="core:profile:read")
def profile(request: Request) -> dict[str, Any]:
    account = request.identity
    token = request.api_token
    return {
        "login": account.login,
        "display_name": account.display_name,
        "kind": account.kind,
        "scopes": token.scopes if token is not None else [],
    }
