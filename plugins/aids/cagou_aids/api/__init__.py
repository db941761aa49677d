"""The aids module's JSON API for instructors: their procedures, each one's form as JSON Schema, the applications.

Under ``/intranet/api/v1/demarches/``, documented in the platform's OpenAPI
document; the core authenticates (personal token or session), keeps
citizens out, and answers every refusal in the API's one error format.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.kit import INTRANET
from cagou_aids.api.schemas import (
    APPLICATION,
    APPLICATION_PAGE,
    LIST_PARAMETERS,
    PROCEDURE_LIST,
    SCHEMA,
)

READ = "aids:application:read"
TAGS = ("démarches",)
PROCEDURES, SCHEMA_ROUTE = "aids.api.procedures", "aids.api.schema"
APPLICATIONS, ONE_APPLICATION = "aids.api.applications", "aids.api.application"


def includeme(config: Configurator) -> None:
    from cagou_aids.views.instruction import procedure_context

    procedure = {"factory": procedure_context}
    config.add_site_route(INTRANET, PROCEDURES, "/api/v1/demarches")
    config.add_site_route(INTRANET, SCHEMA_ROUTE, r"/api/v1/demarches/{id:\d+}/schema", **procedure)
    config.add_site_route(INTRANET, APPLICATIONS, r"/api/v1/demarches/{id:\d+}/demandes", **procedure)
    config.add_site_route(INTRANET, ONE_APPLICATION, r"/api/v1/demarches/{id:\d+}/demandes/{receipt}", **procedure)
    config.add_api_operation(
        PROCEDURES, "GET", summary="Les démarches de vos directions", permission=READ, response=PROCEDURE_LIST,
        tags=TAGS,
    )  # fmt: skip
    config.add_api_operation(
        SCHEMA_ROUTE, "GET", summary="Le formulaire de la démarche, en JSON Schema (sa dernière version)",
        permission=READ, response=SCHEMA, tags=TAGS,
    )  # fmt: skip
    config.add_api_operation(
        APPLICATIONS, "GET", summary="Les demandes déposées, les plus récentes d'abord, page par page",
        description="Pagination par curseur : passez « next » en ?after= jusqu'à ce qu'il soit null.",
        permission=READ, response=APPLICATION_PAGE, parameters=LIST_PARAMETERS, tags=TAGS,
    )  # fmt: skip
    config.add_api_operation(
        ONE_APPLICATION, "GET", summary="Une demande et toutes ses réponses (lecture de données personnelles, "
        "tracée au journal d'audit)", permission=READ, response=APPLICATION, tags=TAGS,
    )  # fmt: skip
    config.scan("cagou_aids.api.views")
