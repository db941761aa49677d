"""The aids module's JSON APIs.

For instructors, under ``/intranet/api/v1/demarches/`` (the intranet's
document): their procedures, each one's form as JSON Schema, the
applications. For the public, under ``/api/v1/`` (the public extension's
document): the open procedures and their forms for anyone; submitting and
following one's applications with a resident's or a company's token. The
core authenticates (personal token or session) and answers every refusal in
the API's one error format.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.kit import INTRANET, PUBLIC
from cagou_aids.api.schemas import (
    APPLICATION,
    APPLICATION_PAGE,
    IDEMPOTENCY_PARAMETER,
    LIST_PARAMETERS,
    OPEN_PROCEDURE_LIST,
    OWN_APPLICATION,
    OWN_LIST,
    PROCEDURE_LIST,
    SCHEMA,
    SUBMISSION,
)

READ = "aids:application:read"
TAGS = ("démarches",)
PROCEDURES, SCHEMA_ROUTE = "aids.api.procedures", "aids.api.schema"
APPLICATIONS, ONE_APPLICATION = "aids.api.applications", "aids.api.application"
APPLY = "aids:apply"
OPEN_PROCEDURES, PUBLIC_SCHEMA, SUBMIT = "aids.api.open_procedures", "aids.api.public_schema", "aids.api.submit"
OWN_APPLICATIONS, OWN_APPLICATION_ROUTE = "aids.api.own_applications", "aids.api.own_application"


def includeme(config: Configurator) -> None:
    from cagou_aids.api.annotations import includeme as annotation_operations
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
    config.include(annotation_operations)  # a callable: the dotted name would meet __future__'s ``annotations``
    config.include("cagou_aids.api.instruction")  # one application's transitions and messages
    add_public_api(config)


def add_public_api(config: Configurator) -> None:
    config.add_site_route(PUBLIC, OPEN_PROCEDURES, "/api/v1/demarches")
    config.add_site_route(PUBLIC, PUBLIC_SCHEMA, "/api/v1/demarches/{slug}/schema")
    config.add_site_route(PUBLIC, SUBMIT, "/api/v1/demarches/{slug}/demandes")
    config.add_site_route(PUBLIC, OWN_APPLICATIONS, "/api/v1/demandes")
    config.add_site_route(PUBLIC, OWN_APPLICATION_ROUTE, "/api/v1/demandes/{receipt}")
    config.add_api_operation(
        OPEN_PROCEDURES, "GET", summary="Les démarches ouvertes aux dépôts", permission=None,
        response=OPEN_PROCEDURE_LIST, tags=TAGS,
    )  # fmt: skip
    config.add_api_operation(
        PUBLIC_SCHEMA, "GET", summary="Le formulaire de la démarche, en JSON Schema (la version à remplir)",
        permission=None, response=SCHEMA, tags=TAGS,
    )  # fmt: skip
    config.add_api_operation(
        SUBMIT, "POST", summary="Déposer une demande (idempotent : la même clé redonne la même demande)",
        description="Les réponses suivent le JSON Schema de la démarche ; chaque fichier est envoyé dans « files » "
        "(son champ, son nom, son contenu en base64), et la réponse d'un champ de fichier est la liste des SHA-256 "
        "de ses fichiers, ou s'omet. Une clé déjà servie redonne la demande déposée, avec Idempotent-Replayed: true.",
        permission=APPLY, request_body=SUBMISSION, response=OWN_APPLICATION, status=201,
        parameters=(IDEMPOTENCY_PARAMETER,), tags=TAGS,
        errors={409: "La démarche n'est pas ouverte aux dépôts, ou la clé a servi à une autre demande.",
                429: "Trop de dépôts depuis cette connexion ou ce compte : réessayez plus tard."},
    )  # fmt: skip
    config.add_api_operation(
        OWN_APPLICATIONS, "GET", summary="Vos demandes déposées, les plus récentes d'abord", permission=APPLY,
        response=OWN_LIST, tags=TAGS,
    )  # fmt: skip
    config.add_api_operation(
        OWN_APPLICATION_ROUTE, "GET", summary="L'état d'une de vos demandes et son historique", permission=APPLY,
        response=OWN_APPLICATION, tags=TAGS,
    )  # fmt: skip
    config.scan("cagou_aids.api.public")
