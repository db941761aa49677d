"""The JSON API: personal tokens, JSON errors, and the OpenAPI document (see :mod:`cagou.api.openapi`)."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.api.openapi import add_api_operation
from cagou.api.views import PROFILE_SCHEMA
from cagou.contributions import INTRANET, PUBLIC


def includeme(config: Configurator) -> None:
    config.registry["cagou.api_operations"] = []
    config.add_directive("add_api_operation", add_api_operation)
    config.add_site_route(INTRANET, "api.openapi", "/api/openapi.json")
    config.add_site_route(INTRANET, "api.profile", "/api/v1/moi")
    # The public extension's API: the same tokens and errors, for residents' and companies' programs.
    config.add_site_route(PUBLIC, "api.public_openapi", "/api/openapi.json")
    config.add_site_route(PUBLIC, "api.public_profile", "/api/v1/moi")
    for route_name in ("api.profile", "api.public_profile"):
        config.add_api_operation(
            route_name,
            "GET",
            summary="La personne à qui appartient le jeton, et sa portée",
            permission="core:profile:read",
            response=PROFILE_SCHEMA,
            tags=("profil",),
        )
    config.scan(".views")
    # Every module's ApiError is answered here, in the one error format.
    config.scan(".errors")
