"""The applicant follows their applications on the public site: its state explained, history, answers, files,
the PDF receipt and everything sent as one ZIP, and withdrawal before a decision."""

from __future__ import annotations

import io
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from cagou.kit import FormErrors, Invalid, Refused, attachment_response, local, uploads_of
from cagou_aids.annotations import FILE_FIELD_PREFIX
from cagou_aids.answers import answer_rows
from cagou_aids.interfaces import IApplications, IMessages, IReceipts
from cagou_aids.models import (
    APPLICANT,
    MESSAGE_AUTHORS,
    SCAN_STATES,
    WITHDRAWABLE,
    Application,
    StoredFile,
)  # fmt: skip
from cagou_aids.queries import files_sent, history_for_applicant, messages_of, own_application
from cagou_aids.services.receipts import archive_name, receipt_name
from cagou_aids.services.requests import open_request
from cagou_aids.states import state_for_applicant
from cagou_aids.views import file_response, refuse

PAGE = "cagou_aids:templates/my_application.jinja2"


def current_application(request: Request) -> Application:
    application = own_application(request.db, request.matchdict["receipt"], request.identity.id)
    if application is None:
        raise HTTPNotFound("Cette demande n'existe pas, ou elle n'est pas la vôtre.")
    return application


#: The routes of an application's page and its actions: in "Mes démarches", and through a guest's private link.
SIGNED_IN = {"page": "aids.my_application", "withdraw": "aids.withdraw", "file": "aids.my_file",
             "receipt": "aids.my_receipt", "archive": "aids.my_archive", "message": "aids.my_message",
             "complement": "aids.my_complement"}  # fmt: skip
GUEST = {"page": "aids.guest_follow", "withdraw": "aids.guest_withdraw", "file": "aids.guest_file",
         "receipt": "aids.guest_receipt", "archive": "aids.guest_archive", "message": "aids.guest_message",
         "complement": "aids.guest_complement"}  # fmt: skip


class Paths:
    """Where the application's page sends its forms and downloads: "Mes démarches" for a signed-in applicant, the
    private link for a guest (whose token is their key)."""

    def __init__(self, request: Request, application: Application, token: str | None = None) -> None:
        self.request, self.application, self.token = request, application, token

    def __call__(self, action: str, **parts: Any) -> str:
        if self.token is None:
            return str(self.request.route_path(SIGNED_IN[action], receipt=self.application.receipt, **parts))
        slug = self.application.version.procedure.slug
        return str(self.request.route_path(GUEST[action], slug=slug, token=self.token, **parts))


def page_values(
    request: Request, application: Application, errors: FormErrors, paths: Paths | None = None
) -> dict[str, Any]:
    registry = request.registry
    definition = application.version.parsed
    paths = paths or Paths(request, application)
    state, explanation = state_for_applicant(application)
    return {
        "application": application, "procedure": application.version.procedure,
        "state": state, "explanation": explanation, "may_withdraw": application.state in WITHDRAWABLE,
        "history": [(local(registry, event.at), event.text)
                    for event in history_for_applicant(request.db, application)],
        "rows": answer_rows(definition, application.answers), "files": files_sent(request.db, application),
        "errors": errors, "guest": paths.token is not None, "paths": paths, "scan_states": SCAN_STATES,
        "messages": messages_of(request.db, application), "authors": MESSAGE_AUTHORS,
        "message_text": request.POST.get("texte", "") if errors else "",
        "file_url": lambda stored: paths("file", file=stored.id), "local": lambda instant: local(registry, instant),
        "open_request": open_request(request, application),
    }  # fmt: skip


@view_config(route_name="aids.my_application", request_method="GET", renderer=PAGE, permission="aids:apply")
def my_application(request: Request) -> dict[str, Any]:
    return page_values(request, current_application(request), FormErrors())


def withdrawal(request: Request, application: Application, paths: Paths) -> Any:
    """The withdrawal form's answer, for an account (``paths`` of "Mes démarches") or a guest (their link)."""
    if request.POST.get("confirmer") != "oui":
        request.response.status_int = 400
        errors = FormErrors(confirmer="Cochez la case pour confirmer le retrait.")
        return page_values(request, application, errors, paths)
    try:
        request.find_service(IApplications).withdraw(application, request.identity if paths.token is None else None)
    except Refused as refused:
        refuse(request, refused.status)
        return page_values(request, application, FormErrors(form=refused.message), paths)
    request.session.flash(f"Votre demande {application.receipt} est retirée.")
    return HTTPSeeOther(paths("page"))


def answer(request: Request, application: Application, paths: Paths) -> Any:
    """The applicant's message to the instructors, from their page (signed in, or through their link)."""
    try:
        author = request.identity if paths.token is None else None
        request.find_service(IMessages).write(application, APPLICANT, request.POST.get("texte", ""),
                                              uploads_of(request, "pieces"), author)  # fmt: skip
    except Invalid as refused:
        refuse(request, 400)
        return page_values(request, application, refused.errors, paths)
    except Refused as refused:
        refuse(request, refused.status)
        return page_values(request, application, FormErrors(form=refused.message), paths)
    request.session.flash("Votre message est envoyé au service instructeur.")
    return HTTPSeeOther(paths("page") + "#messages")


@view_config(route_name="aids.my_message", request_method="POST", renderer=PAGE, permission="aids:apply")
def my_message(request: Request) -> Any:
    application = current_application(request)
    return answer(request, application, Paths(request, application))


@view_config(route_name="aids.withdraw", request_method="POST", renderer=PAGE, permission="aids:apply")
def withdraw(request: Request) -> Any:
    application = current_application(request)
    return withdrawal(request, application, Paths(request, application))


def file_download(request: Request, application: Application) -> Response:
    """One of the files the applicant sent, as an attachment (their own: not audited)."""
    stored = request.db.get(StoredFile, int(request.matchdict["file"]))
    if stored is None or stored.application_id != application.id or stored.field.startswith(FILE_FIELD_PREFIX):
        raise HTTPNotFound("Ce fichier n'existe pas.")
    return file_response(request, stored)


def receipt_download(request: Request, application: Application) -> Response:
    pdf = request.find_service(IReceipts).pdf(application)
    return attachment_response(io.BytesIO(pdf), receipt_name(application), "application/pdf")


def archive_download(request: Request, application: Application) -> Response:
    """Everything the applicant sent, as one ZIP streamed from a temporary file (the applicant's copy of their
    data)."""
    return attachment_response(request.find_service(IReceipts).archive(application), archive_name(application),
                               "application/zip")  # fmt: skip


@view_config(route_name="aids.my_file", request_method="GET", permission="aids:apply")
def my_file(request: Request) -> Response:
    return file_download(request, current_application(request))


@view_config(route_name="aids.my_receipt", request_method="GET", permission="aids:apply")
def my_receipt(request: Request) -> Response:
    return receipt_download(request, current_application(request))


@view_config(route_name="aids.my_archive", request_method="GET", permission="aids:apply")
def my_archive(request: Request) -> Response:
    return archive_download(request, current_application(request))
