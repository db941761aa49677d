"""The OpenAPI 3 document of every JSON endpoint, built from what modules declare.

A module describes each operation of its JSON API with the
``config.add_api_operation`` directive next to the view. Each site has its
document: ``/intranet/api/openapi.json`` lists the intranet's operations,
``/api/openapi.json`` the public extension's, each with the permission it
needs (``x-permission``): a personal token must carry it in its scopes. An
operation declared without a permission is open to anyone, without a token.

Every operation's answers are listed: its success, the refusals every
operation can give (:data:`COMMON_ERRORS`; 404 too when its path has
parameters), and those it declares itself (``errors``, such as a 409). Every
refusal has the one body :data:`ERROR_SCHEMA`. ``tests/test_api_contract.py``
holds the application to the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from pyramid.config import Configurator
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry

from cagou.contributions import INTRANET, PUBLIC
from cagou.sites import route_site

PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
JSON = "application/json"
#: The body of every error answer of the API, whatever its status or module (see cagou.web.views.json_error).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "Ce qui est refusé et pourquoi, en français"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Saisie refusée champ par champ : champ → message",
        },
        "request_id": {"type": "string", "description": "Erreur du serveur : l'identifiant à donner au support"},
    },
    "required": ["error"],
}
ERROR_SCHEMA_NAME = "Erreur"
ERROR_REFERENCE = f"#/components/schemas/{ERROR_SCHEMA_NAME}"
#: What any operation may answer besides its success: status → description.
COMMON_ERRORS: dict[int, str] = {
    400: "Requête refusée : paramètres, corps ou caractères invalides ; le message dit pourquoi.",
    401: "Jeton absent, expiré ou révoqué.",
    403: "La permission n'est pas dans la portée du jeton, la personne ne l'a pas, "
    "ou (intranet) ce n'est pas un agent.",
    500: "Erreur inattendue du serveur ; rien n'a été enregistré (request_id pour le support).",
    503: "Service momentanément indisponible (base de données) ; réessayez.",
}
NOT_FOUND = "Ressource introuvable, ou que vous ne pouvez pas voir."


@dataclass(frozen=True)
class ApiOperation:
    route_name: str
    method: str
    summary: str
    #: What a token must carry; None for an operation open to anyone (the public catalogue, say).
    permission: str | None
    response: dict[str, Any]
    request_body: dict[str, Any] | None = None
    #: The same body in other media types (``multipart/form-data`` with files): media type → schema.
    other_request_bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What a success answers: JSON, or a file's own type (``*/*`` when it varies).
    response_media_type: str = JSON
    description: str = ""
    tags: tuple[str, ...] = ()
    status: int = 200
    parameters: tuple[dict[str, Any], ...] = field(default=())
    #: The refusals of this operation beyond :data:`COMMON_ERRORS` and 404: status → when (409: "…").
    errors: dict[int, str] = field(default_factory=dict)


def add_api_operation(config: Configurator, route_name: str, method: str, **description: Any) -> None:
    """Directive: document one operation of the JSON API (see :class:`ApiOperation`)."""
    operation = ApiOperation(route_name=route_name, method=method.upper(), **description)
    operations: list[ApiOperation] = config.registry["cagou.api_operations"]
    config.action(("cagou.api_operation", route_name, operation.method), lambda: operations.append(operation))


def operations_of(registry: Registry) -> list[ApiOperation]:
    operations: list[ApiOperation] = registry["cagou.api_operations"]
    return operations


def openapi_path(pattern: str) -> tuple[str, list[str]]:
    """``/api/v1/notes/{id:\\d+}`` → ``/api/v1/notes/{id}`` and its parameter names."""
    names = PLACEHOLDER.findall(pattern)
    return PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", pattern), names


#: Each site's API, as its document presents it.
TITLES = {INTRANET: "API de l'intranet de la plateforme Cagou", PUBLIC: "API des services en ligne de la province Sud"}


def document(registry: Registry, server_url: str, site: str = INTRANET) -> dict[str, Any]:
    """The OpenAPI document of ``site``'s operations."""
    mapper = registry.getUtility(IRoutesMapper)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations_of(registry):
        route = mapper.get_route(operation.route_name)
        if route is None or route_site(route) != site:  # another site's, or a site this process does not serve
            continue
        path, names = openapi_path(route.pattern)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names
        ] + list(operation.parameters)
        entry: dict[str, Any] = {
            "operationId": f"{operation.route_name}.{operation.method.lower()}",
            "summary": operation.summary,
            "tags": list(operation.tags),
            "responses": {
                str(operation.status): {
                    "description": operation.summary,
                    "content": {operation.response_media_type: {"schema": operation.response}},
                },
                **{str(status): error_response(text) for status, text in sorted(errors_of(operation, names).items())},
            },
        }
        if operation.permission is None:
            entry["security"] = []  # open to anyone, no token needed
        else:
            entry["x-permission"] = operation.permission
        if operation.description:
            entry["description"] = operation.description
        if parameters:
            entry["parameters"] = parameters
        if operation.request_body is not None:
            bodies = {JSON: operation.request_body, **operation.other_request_bodies}
            entry["requestBody"] = {
                "required": True,
                "content": {media_type: {"schema": schema} for media_type, schema in bodies.items()},
            }
        paths.setdefault(path, {})[operation.method.lower()] = entry
    return {
        "openapi": "3.0.3",
        "info": {
            "title": TITLES[site],
            "version": version("cagou"),
            "description": "Authentification par jeton personnel : Authorization: Bearer cagou_…. "
            'Toute erreur est du JSON de la forme Erreur ({"error": "message"}). '
            "Une méthode que le chemin ne prend pas reçoit 405, avec l'en-tête Allow.",
        },
        "servers": [{"url": server_url}],
        "components": {
            "securitySchemes": {"jeton": {"type": "http", "scheme": "bearer"}},
            "schemas": {ERROR_SCHEMA_NAME: ERROR_SCHEMA},
        },
        "security": [{"jeton": []}],
        "paths": dict(sorted(paths.items())),
    }


def errors_of(operation: ApiOperation, path_parameters: list[str]) -> dict[int, str]:
    """Every refusal ``operation`` can answer: the common ones, 404 when its path names something, its own."""
    found = dict(COMMON_ERRORS)
    if operation.permission is None:  # nobody is asked who they are
        del found[401], found[403]
    if path_parameters:
        found[404] = NOT_FOUND
    return {**found, **operation.errors}


def error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": {"$ref": ERROR_REFERENCE}}}}
