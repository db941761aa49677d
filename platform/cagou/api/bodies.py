"""Reading what an API client sends: a JSON object, or a clear 400 in the API's error format."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from cagou.api.errors import ApiError


def json_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object; ``ApiError`` 400 for anything else (not JSON, not UTF-8, a list)."""
    try:
        body = request.json_body
    except ValueError as error:
        raise ApiError(400, "Le corps de la requête n'est pas du JSON valide (UTF-8).") from error
    if not isinstance(body, dict):
        raise ApiError(400, 'Envoyez un objet JSON : {"champ": valeur, …}.')
    return body
