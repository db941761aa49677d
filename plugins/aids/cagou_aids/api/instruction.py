"""The instructors' API on one application: its workflow's transitions (listed, taken) and messages to the applicant.

Under ``/intranet/api/v1/demarches/{id}/demandes/{receipt}/`` as the
instructors' other operations; the same services as the application's page
(``IWorkflows``, ``IMessages``), so the same rules, audit entries and mails:
a refusal of the service is answered in the API's one format (400 with the
fields, 403, 404 or 409 with the reason).
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import INTRANET, ApiError, invalid, json_object, local, refusals
from cagou_aids.api import READ, TAGS
from cagou_aids.api.public import uploads_in
from cagou_aids.api.schemas import MAX_FILES_SENT
from cagou_aids.interfaces import IMessages, IWorkflows
from cagou_aids.models import APPLICATION_STATES, INSTRUCTORS, MAX_MESSAGE, Application
from cagou_aids.queries import application_by_receipt
from cagou_aids.views.instruction import ProcedureContext
from cagou_aids.workflow import MAX_MOTIVATION

TRANSITIONS, MESSAGES = "aids.api.transitions", "aids.api.messages"
#: The field a message's files are checked under by ``IMessages`` (its page's), and the body's names of its fields.
MESSAGE_FILES = "pieces"
BODY_NAMES = {MESSAGE_FILES: "files", "texte": "text"}

STATE: dict[str, Any] = {
    "state": {"type": "string", "description": "Le code de l'état de la demande"},
    "state_label": {"type": "string"},
}
REQUIREMENT = {
    "type": "object",
    "properties": {"kind": {"type": "string"}, "label": {"type": "string"}},
    "required": ["kind", "label"],
}
TRANSITION = {
    "type": "object",
    "properties": {
        "code": {"type": "string"}, "label": {"type": "string"}, "to": {"type": "string"},
        "role": {"type": "string"}, "requires": {"type": "array", "items": REQUIREMENT},
        "refusal": {"type": ["string", "null"], "description": "Pourquoi la règle des quatre yeux vous la refuse"},
    },
    "required": ["code", "label", "to", "role", "requires", "refusal"],
}  # fmt: skip
AVAILABLE = {
    "type": "object",
    "properties": {**STATE, "transitions": {"type": "array", "items": TRANSITION}},
    "required": [*STATE, "transitions"],
}
TAKE = {
    "type": "object",
    "properties": {
        "transition": {"type": "string", "minLength": 1, "maxLength": 32},
        "motivation": {"type": "string", "maxLength": MAX_MOTIVATION},
        "amount": {"type": "integer", "minimum": 0,
                   "description": "Le montant proposé en F CFP, pour une transition qui le demande"},
        "seen_state": {"type": "string", "maxLength": 16,
                       "description": "L'état que vous avez lu : s'il a changé depuis, la transition est refusée"},
    },
    "required": ["transition"],
    "additionalProperties": False,
}  # fmt: skip
TAKEN = {"type": "object", "properties": STATE, "required": list(STATE)}
MESSAGE = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE},
        "files": {
            "type": "array", "maxItems": MAX_FILES_SENT,
            "description": "Les fichiers joints (PDF, JPEG ou PNG, 10 Mo chacun, 5 au plus), en base64",
            "items": {
                "type": "object",
                "properties": {"filename": {"type": "string", "minLength": 1, "maxLength": 255},
                               "content": {"type": "string", "format": "byte"}},
                "required": ["filename", "content"], "additionalProperties": False,
            },
        },
    },
    "required": ["text"],
    "additionalProperties": False,
}  # fmt: skip
SENT = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                   "files": {"type": "integer"}},
    "required": ["id", "at", "files"],
}  # fmt: skip


def includeme(config: Configurator) -> None:
    procedure = {"factory": "cagou_aids.views.instruction.procedure_context"}
    application = r"/api/v1/demarches/{id:\d+}/demandes/{receipt}"
    config.add_site_route(INTRANET, TRANSITIONS, application + "/transitions", **procedure)
    config.add_site_route(INTRANET, MESSAGES, application + "/messages", **procedure)
    config.add_api_operation(
        TRANSITIONS, "GET", summary="L'état de la demande et les transitions de son circuit que vous pouvez faire",
        permission=READ, response=AVAILABLE, tags=TAGS,
        errors={409: "La démarche ne suit pas de circuit d'instruction."},
    )  # fmt: skip
    config.add_api_operation(
        TRANSITIONS, "POST", summary="Faire une transition du circuit (motivée quand elle le demande)",
        description="Les mêmes règles que la page de la demande : votre rôle dans la direction de la démarche, la "
        "règle des quatre yeux (403), l'état de la demande (409, et avec « seen_state » s'il a changé depuis votre "
        "lecture) ; le demandeur reçoit le courriel de la transition, le journal d'audit la garde.",
        permission=READ, request_body=TAKE, response=TAKEN, tags=TAGS,
        errors={409: "La demande n'est pas, ou plus, dans un état que cette transition quitte."},
    )  # fmt: skip
    config.add_api_operation(
        MESSAGES, "POST", summary="Écrire au demandeur (il le reçoit par courriel et le lit sur sa demande)",
        permission=READ, request_body=MESSAGE, response=SENT, status=201, tags=TAGS,
        errors={409: "La demande est anonymisée : elle ne reçoit plus de message."},
    )  # fmt: skip
    config.scan("cagou_aids.api.instruction")


def read_application(context: ProcedureContext, request: Request) -> Application:
    application = application_by_receipt(request.db, context.procedure, request.matchdict["receipt"])
    if application is None:
        raise ApiError(404, "Cette demande n'existe pas.")
    return application


def state_json(application: Application) -> dict[str, str]:
    version = application.version.procedure.workflow_version
    state = version.parsed.state(application.state) if version is not None else None
    label = state.label if state is not None else APPLICATION_STATES.get(application.state, application.state)
    return {"state": application.state, "state_label": label}


@view_config(route_name=TRANSITIONS, request_method="GET", renderer="json", permission=READ)
def api_transitions(context: ProcedureContext, request: Request) -> dict[str, Any]:
    application = read_application(context, request)
    if context.procedure.workflow_version is None:
        raise ApiError(409, "Cette démarche ne suit pas de circuit d'instruction.")
    available = request.find_service(IWorkflows).available(application)
    transitions = [
        {"code": transition.code, "label": transition.label, "to": transition.target, "role": transition.role,
         "requires": [{"kind": need.kind, "label": need.label} for need in transition.requires], "refusal": refusal}
        for transition, refusal in available
    ]  # fmt: skip
    return {**state_json(application), "transitions": transitions}


def text_of(body: dict[str, Any], name: str, required: bool = False) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or (required and not value):
        raise invalid({name: f"« {name} » est un texte{' non vide' if required else ''}."})
    return value


@view_config(route_name=TRANSITIONS, request_method="POST", renderer="json", permission=READ)
def api_take(context: ProcedureContext, request: Request) -> dict[str, Any]:
    body = json_object(request)
    unknown = sorted(set(body) - {"transition", "motivation", "amount", "seen_state"})
    if unknown:
        raise invalid({name[:40]: f"« {name[:40]} » n'est pas un champ de ce corps." for name in unknown[:20]})
    code, motivation = text_of(body, "transition", required=True), text_of(body, "motivation")
    seen = body.get("seen_state")
    if seen is not None and not isinstance(seen, str):
        raise invalid({"seen_state": "« seen_state » est le code d'un état."})
    inputs = {"motivation": motivation}
    if "amount" in body:
        amount = body["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise invalid({"amount": "« amount » est un nombre entier de F CFP."})
        inputs["montant"] = str(amount)
    application = read_application(context, request)
    try:
        with refusals():
            request.find_service(IWorkflows).take(application, code, inputs, seen_state=seen)
    except ApiError as error:
        # The service names the amount as the page's field does; the API's body calls it ``amount``.
        if error.errors and "montant" in error.errors:
            error.errors["amount"] = error.errors.pop("montant")
        raise
    return state_json(application)


@view_config(route_name=MESSAGES, request_method="POST", renderer="json", permission=READ)
def api_message(context: ProcedureContext, request: Request) -> dict[str, Any]:
    body = json_object(request)
    unknown = sorted(set(body) - {"text", "files"})
    if unknown:
        raise invalid({name[:40]: f"« {name[:40]} » n'est pas un champ de ce corps." for name in unknown[:20]})
    text = text_of(body, "text")
    sent = body.get("files", [])
    if not isinstance(sent, list):
        raise invalid({"files": "« files » est une liste de fichiers {filename, content}."})
    # The public API's reading of base64 files, each under the message's one field.
    files = [{"field": MESSAGE_FILES, **item} if isinstance(item, dict) and "field" not in item else item
             for item in sent]  # fmt: skip
    uploads = uploads_in({"files": files}).get(MESSAGE_FILES, [])
    application = read_application(context, request)
    try:
        with refusals():
            message = request.find_service(IMessages).write(application, INSTRUCTORS, text, uploads, request.identity)
    except ApiError as error:  # the page's field names are the body's here
        if error.status != 400:
            raise
        raise invalid({BODY_NAMES.get(name, name): why for name, why in error.errors.items()}) from error
    request.response.status_int = 201
    return {"id": message.id, "at": local(request.registry, message.at).isoformat(), "files": len(uploads)}
