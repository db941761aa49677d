"""The applicant follows their applications on the public site: its state explained, history, answers, files,
and withdrawal before a decision."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from cagou.kit import FormErrors, Refused, local
from cagou_aids.definition import parse_definition
from cagou_aids.interfaces import IApplications
from cagou_aids.models import SCAN_STATES, SUBMITTED, Application, StoredFile
from cagou_aids.queries import files_sent, history_for_applicant, own_application
from cagou_aids.states import state_for_applicant
from cagou_aids.views import file_response, refuse
from cagou_aids.views.instruction import answer_rows

PAGE = "cagou_aids:templates/my_application.jinja2"


def current_application(request: Request) -> Application:
    application = own_application(request.db, request.matchdict["receipt"], request.identity.id)
    if application is None:
        raise HTTPNotFound("Cette demande n'existe pas, ou elle n'est pas la vôtre.")
    return application


def page_values(request: Request, application: Application, errors: FormErrors) -> dict[str, Any]:
    registry = request.registry
    definition = parse_definition(application.version.definition)
    state, explanation = state_for_applicant(application)
    return {
        "application": application, "procedure": application.version.procedure,
        "state": state, "explanation": explanation, "may_withdraw": application.state == SUBMITTED,
        "history": [(local(registry, event.at), event.text)
                    for event in history_for_applicant(request.db, application)],
        "rows": answer_rows(definition, application.answers), "files": files_sent(request.db, application),
        "errors": errors, "guest": False, "scan_states": SCAN_STATES,
    }  # fmt: skip


@view_config(route_name="aids.my_application", request_method="GET", renderer=PAGE, permission="aids:apply")
def my_application(request: Request) -> dict[str, Any]:
    return page_values(request, current_application(request), FormErrors())


@view_config(route_name="aids.withdraw", request_method="POST", renderer=PAGE, permission="aids:apply")
def withdraw(request: Request) -> Any:
    application = current_application(request)
    if request.POST.get("confirmer") != "oui":
        request.response.status_int = 400
        return page_values(request, application, FormErrors(confirmer="Cochez la case pour confirmer le retrait."))
    try:
        request.find_service(IApplications).withdraw(application, request.identity)
    except Refused as refused:
        refuse(request, refused.status)
        return page_values(request, application, FormErrors(form=refused.message))
    request.session.flash(f"Votre demande {application.receipt} est retirée.")
    return HTTPSeeOther(request.route_path("aids.my_application", receipt=application.receipt))


@view_config(route_name="aids.my_file", request_method="GET", permission="aids:apply")
def my_file(request: Request) -> Response:
    application = current_application(request)
    stored = request.db.get(StoredFile, int(request.matchdict["file"]))
    if stored is None or stored.application_id != application.id:
        raise HTTPNotFound("Ce fichier n'existe pas.")
    return file_response(request, stored)
