"""The instructors' API of private annotations: ``GET`` and ``PUT …/demandes/<numéro>/annotations``.

Only under the intranet's document (``/intranet/api/v1/``): the public API
never names them. ``PUT`` takes ``{"values": {code: value}}``, each value as
its kind stores it (a text, a whole number of F CFP, true/false, one of the
options, or null to clear it); a file annotation is sent from the
application's page, and reads here as its file's name and SHA-256.
"""

from __future__ import annotations

import sys
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import INTRANET, ApiError, IAuditLog, json_object, refusals
from cagou_aids.annotations import FILE, KINDS, shown_value
from cagou_aids.interfaces import IAnnotations
from cagou_aids.models import Application
from cagou_aids.queries import application_by_receipt
from cagou_aids.services.annotations import annotation_files, specs_for, suggestion_for, values_of

READ, INSTRUCT = "aids:application:read", "aids:application:instruct"
ROUTE = "aids.api.annotations"
TAGS = ("démarches",)
ANNOTATION_JSON = {
    "type": "object",
    "properties": {
        "code": {"type": "string"}, "label": {"type": "string"}, "kind": {"type": "string", "enum": list(KINDS)},
        "options": {"type": "array", "items": {"type": "string"}},
        "value": {"description": "texte : string ; montant : integer (F CFP) ; oui_non : boolean ; choix : string ; "
                                 "fichier : {name, sha256} ; null quand elle est vide"},
        "shown": {"type": "string", "description": "La valeur telle que la page l'écrit (« 150 000 F CFP »)"},
    },
    "required": ["code", "label", "kind", "options", "value", "shown"],
}  # fmt: skip
ANNOTATIONS = {
    "type": "object",
    "properties": {
        "receipt": {"type": "string"},
        "annotations": {"type": "array", "items": ANNOTATION_JSON},
        "suggestion": {"type": ["object", "null"], "properties": {
            "eligible": {"type": ["boolean", "null"]}, "text": {"type": "string"},
            "amount": {"type": ["integer", "null"]}}},
    },
    "required": ["receipt", "annotations", "suggestion"],
}  # fmt: skip
VALUES = {
    "type": "object",
    "properties": {"values": {"type": "object", "description": "code de l'annotation → sa valeur (null : la vider)"}},
    "required": ["values"],
}


def includeme(config: Configurator) -> None:
    from cagou_aids.views.instruction import procedure_context

    config.add_site_route(INTRANET, ROUTE, r"/api/v1/demarches/{id:\d+}/demandes/{receipt}/annotations",
                          factory=procedure_context)  # fmt: skip
    config.add_api_operation(
        ROUTE, "GET", summary="Les annotations privées d'une demande et la suggestion d'éligibilité",
        permission=READ, response=ANNOTATIONS, tags=TAGS,
    )  # fmt: skip
    config.add_api_operation(
        ROUTE, "PUT", summary="Remplir des annotations privées d'une demande (celles nommées ; null les vide)",
        description="Chaque changement est tracé au journal d'audit (aids:annotation:set, avant et après). Une "
        "annotation de type fichier s'envoie depuis la page de la demande.",
        permission=INSTRUCT, request_body=VALUES, response=ANNOTATIONS, tags=TAGS,
        errors={409: "La demande est anonymisée (fin de sa durée de conservation)."},
    )  # fmt: skip
    config.scan(sys.modules[__name__])


def found(request: Request) -> Application:
    application = application_by_receipt(request.db, request.context.procedure, request.matchdict["receipt"])
    if application is None:
        raise ApiError(404, "Cette demande n'existe pas.")
    return application


def annotations_json(request: Request, application: Application) -> dict[str, Any]:
    values, files = values_of(request.db, application), annotation_files(request.db, application)
    items = []
    for spec in specs_for(request.db, application.version.procedure):
        value = values.get(spec.code)
        if spec.kind == FILE:
            stored = files.get(spec.code)
            value = {"name": stored.filename, "sha256": stored.sha256} if stored is not None else None
            shown = stored.filename if stored is not None else ""
        else:
            shown = shown_value(spec, value)
        items.append({"code": spec.code, "label": spec.label, "kind": spec.kind, "options": list(spec.options),
                      "value": value, "shown": shown})  # fmt: skip
    suggestion = suggestion_for(request.db, application)
    return {
        "receipt": application.receipt, "annotations": items,
        "suggestion": None if suggestion is None else {"eligible": suggestion.eligible, "text": suggestion.text,
                                                       "amount": suggestion.amount},
    }  # fmt: skip


@view_config(route_name=ROUTE, request_method="GET", renderer="json", permission=READ)
def api_annotations(request: Request) -> dict[str, Any]:
    application = found(request)
    request.find_service(IAuditLog).record_read(
        "aids:application:read", f"Annotations privées de la demande {application.receipt} consultées (API).",
        "aids", "aids_application", str(application.id),
    )  # fmt: skip
    return annotations_json(request, application)


@view_config(route_name=ROUTE, request_method="PUT", renderer="json", permission=INSTRUCT)
def api_set_annotations(request: Request) -> dict[str, Any]:
    application = found(request)
    values = json_object(request).get("values")
    if not isinstance(values, dict):
        raise ApiError(400, "« values » est un objet : code de l'annotation → sa valeur.", {"values": "Un objet."})
    inputs = {str(code): ("" if value is None else value) for code, value in values.items()}
    with refusals():
        request.find_service(IAnnotations).set_values(application, inputs, {}, request.identity)
    return annotations_json(request, application)
