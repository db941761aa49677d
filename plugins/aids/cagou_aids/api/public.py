"""The public extension's API: the open procedures and their forms for anyone, and for a resident's or a
company's program (a personal token), submitting and following its applications.

Submitting is idempotent: the ``Idempotency-Key`` header names the submission, and the same key sent again
(a retry after a network error, two processes sending the same file) answers the application it first gave,
with ``Idempotent-Replayed: true``; the rate limits and the audience rules are the web form's.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from typing import Any

from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from cagou.kit import ApiError, FormErrors, IClock, Upload, invalid, json_object, local, refusals
from cagou_aids.abuse import SUBMISSIONS_PER_ADDRESS, SUBMISSIONS_PER_EMAIL, count_or_refuse
from cagou_aids.api import APPLY, OPEN_PROCEDURES, OWN_APPLICATION_ROUTE, OWN_APPLICATIONS, PUBLIC_SCHEMA, SUBMIT
from cagou_aids.api.schemas import IDEMPOTENCY_HEADER, MAX_FILES_SENT, definition_schema
from cagou_aids.interfaces import IApplications, IDrafts
from cagou_aids.mails import duplicate_notice
from cagou_aids.models import Application, Procedure, ProcedureVersion
from cagou_aids.queries import (
    applications_of,
    history_for_applicant,
    open_procedures,
    own_application,
    procedure_by_slug,
)
from cagou_aids.states import state_for_applicant


def moment(request: Request, instant: datetime.datetime | None) -> str | None:
    return local(request.registry, instant).isoformat() if instant is not None else None


@view_config(route_name=OPEN_PROCEDURES, request_method="GET", renderer="json", permission=NO_PERMISSION_REQUIRED)
def api_open_procedures(request: Request) -> list[dict[str, Any]]:
    now = request.find_service(IClock).now()
    return [
        {"slug": procedure.slug, "title": procedure.title, "summary": procedure.summary,
         "audience": procedure.audience, "category": procedure.category,
         "opens_at": moment(request, procedure.opens_at), "closes_at": moment(request, procedure.closes_at),
         "contact_email": procedure.contact_email}
        for procedure in open_procedures(request.db, now)
    ]  # fmt: skip


def reachable(request: Request) -> Procedure:
    """The procedure the path names, published or in test (reachable by its link): 404 otherwise."""
    procedure = procedure_by_slug(request.db, request.matchdict["slug"])
    if procedure is None or procedure.public_version is None:
        raise ApiError(404, "Cette démarche n'existe pas, ou n'est pas publiée.")
    return procedure


def filled_version(procedure: Procedure) -> ProcedureVersion:
    version = procedure.public_version
    assert version is not None  # reachable() let only these through
    return version


@view_config(route_name=PUBLIC_SCHEMA, request_method="GET", renderer="json", permission=NO_PERMISSION_REQUIRED)
def api_public_schema(request: Request) -> dict[str, Any]:
    procedure = reachable(request)
    return definition_schema(filled_version(procedure).parsed, procedure.title)


def idempotency_key(request: Request) -> str:
    key = str(request.headers.get(IDEMPOTENCY_HEADER, "")).strip()
    if not key or len(key) > 64:
        message = (
            "Donnez à chaque demande une clé unique (un UUID) dans l'en-tête Idempotency-Key, 64 caractères au plus."
        )
        raise invalid({IDEMPOTENCY_HEADER: message})
    return key


def uploads_in(body: dict[str, Any]) -> dict[str, list[Upload]]:
    """The files of a submission's body, by field; ``ApiError`` 400 naming each one that cannot be read."""
    sent = body.get("files", [])
    if not isinstance(sent, list) or len(sent) > MAX_FILES_SENT:
        raise invalid({"files": f"« files » est une liste de {MAX_FILES_SENT} fichiers au plus."})
    uploads: dict[str, list[Upload]] = {}
    errors = FormErrors()
    for index, item in enumerate(sent):
        name = f"files.{index}"
        if not isinstance(item, dict) or set(item) != {"field", "filename", "content"}:
            errors.add(name, "Chaque fichier est un objet {field, filename, content}.")
            continue
        field, filename, content = item["field"], item["filename"], item["content"]
        if not all(isinstance(value, str) for value in (field, filename, content)) or not 0 < len(filename) <= 255:
            errors.add(name, "« field », « filename » (255 caractères au plus) et « content » sont des textes.")
            continue
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            errors.add(name, f"Le contenu de « {filename[:60]} » n'est pas du base64.")
            continue
        uploads.setdefault(field, []).append(Upload(filename, data))
    if errors:
        raise invalid(errors)
    return uploads


def own_json(request: Request, application: Application) -> dict[str, Any]:
    first = application.duplicate_of
    zone = local(request.registry, application.submitted_at).tzinfo
    return {
        **own_summary(request, application),
        "explanation": state_for_applicant(application)[1],
        "version": application.version.number,
        "duplicate_of": {"receipt": first.receipt, "submitted_at": moment(request, first.submitted_at)}
        if first is not None else None,
        "notice": duplicate_notice(first, zone) if first is not None else None,
        "history": [{"at": moment(request, event.at), "state": event.state, "text": event.text}
                    for event in history_for_applicant(request.db, application)],
    }  # fmt: skip


def own_summary(request: Request, application: Application) -> dict[str, Any]:
    return {
        "receipt": application.receipt, "procedure": application.version.procedure.slug, "state": application.state,
        "state_label": state_for_applicant(application)[0],
        "submitted_at": moment(request, application.submitted_at),
    }  # fmt: skip


@view_config(route_name=SUBMIT, request_method="POST", renderer="json", permission=APPLY)
def api_submit(request: Request) -> dict[str, Any]:
    procedure = reachable(request)
    key = idempotency_key(request)
    body = json_object(request)
    unknown = set(body) - {"answers", "files"}
    if unknown or not isinstance(body.get("answers"), dict):
        raise invalid({"answers": 'Envoyez {"answers": {…}, "files": […]} : les réponses sont un objet JSON.'})
    answers: dict[str, Any] = body["answers"]
    names = {spec.name for spec in filled_version(procedure).parsed.fields()}
    strangers = sorted(set(answers) - names)
    if strangers:
        raise invalid({name[:40]: f"« {name[:40]} » n'est pas un champ de ce formulaire." for name in strangers[:20]})
    uploads = uploads_in(body)
    account = request.identity
    application = request.find_service(IApplications).sent_with(procedure, key)
    replayed = application is not None
    if application is None:
        checks = {SUBMISSIONS_PER_ADDRESS.name: request.client_addr or ""}
        if account.email:
            checks[SUBMISSIONS_PER_EMAIL.name] = account.email.casefold()
        # Counted before the submission, in its transaction: a refused one rolls the count back, and the
        # statement stays out of the time the receipt counter's row is locked.
        with refusals():
            count_or_refuse(request, checks)
            application, _created = request.find_service(IDrafts).send(
                procedure, account, answers, uploads, key, checked=True
            )
    if application.applicant_id != account.id:
        # The key is another person's (found now, or stored meanwhile by another process): never show theirs.
        raise ApiError(409, "Cette clé Idempotency-Key a déjà servi à une autre demande : prenez-en une nouvelle.")
    if replayed:
        request.response.headers["Idempotent-Replayed"] = "true"
    request.response.status_int = 201
    return own_json(request, application)


@view_config(route_name=OWN_APPLICATIONS, request_method="GET", renderer="json", permission=APPLY)
def api_own_applications(request: Request) -> list[dict[str, Any]]:
    return [own_summary(request, application) for application in applications_of(request.db, request.identity.id)]


@view_config(route_name=OWN_APPLICATION_ROUTE, request_method="GET", renderer="json", permission=APPLY)
def api_own_application(request: Request) -> dict[str, Any]:
    application = own_application(request.db, request.matchdict["receipt"], request.identity.id)
    if application is None:
        raise ApiError(404, "Cette demande n'existe pas, ou n'est pas la vôtre.")
    return own_json(request, application)
