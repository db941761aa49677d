"""The instructing directorate's pages on the intranet: the procedures, their applications, one application, exports.

Each procedure is a resource whose ACL is its directorate's
(:func:`~cagou.kit.directorate_acl`): an instructor or a designer of the
Service des aides aux entreprises reads the business aid's applications, and
nobody else's. Opening an application is a read of personal data: audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from cagou.kit import (
    FormErrors,
    IAuditLog,
    Invalid,
    Refused,
    Root,
    csv_response,
    directorate_acl,
    get_engine,
    local,
    uploads_of,
    xlsx_file,
    xlsx_response,
)  # fmt: skip
from cagou_aids.answers import answer_rows, shown
from cagou_aids.definition import AMOUNT, INTEGER, REPEAT, FieldSpec
from cagou_aids.interfaces import IAssignments, IDocumentRequests, IMessages
from cagou_aids.models import (
    APPLICATION_STATES,
    AUDIENCES,
    INSTRUCTORS,
    MESSAGE_AUTHORS,
    PROCEDURE_STATES,
    SCAN_STATES,
    Application,
    Procedure,
    StoredFile,
)  # fmt: skip
from cagou_aids.queries import (
    all_applications,
    application_by_receipt,
    files_sent,
    history_of,
    messages_of,
    procedures_all,
)
from cagou_aids.services.requests import askable_fields, open_request
from cagou_aids.states import state_labels
from cagou_aids.views import file_response, refuse
from cagou_aids.views.annotation_panel import annotation_panel
from cagou_aids.views.assignment_panel import assignment_panel
from cagou_aids.views.diagram import workflow_panel
from cagou_aids.views.opinion_panel import opinion_panel

READ = "aids:application:read"
DESIGN = "aids:procedure:design"
NUMBERS = (INTEGER, AMOUNT)


class ProcedureContext:
    """A procedure as a resource: who may read its applications, by its directorate."""

    def __init__(self, request: Request, procedure: Procedure) -> None:
        self.procedure = procedure
        self.__parent__ = Root(request)
        self.__acl__ = directorate_acl(request.registry, procedure.directorate)


def procedure_context(request: Request) -> ProcedureContext:
    try:
        procedure = request.db.get(Procedure, int(request.matchdict["id"]))
    except ValueError:
        procedure = None
    if procedure is None:
        raise HTTPNotFound("Cette démarche n'existe pas.")
    return ProcedureContext(request, procedure)


def readable_procedures(request: Request) -> list[Procedure]:
    """The procedures whose applications the signed-in agent may read (their directorates')."""
    return [p for p in procedures_all(request.db) if request.has_permission(READ, ProcedureContext(request, p))]


@view_config(route_name="aids.procedures", renderer="cagou_aids:templates/procedures.jinja2", permission=READ)
def procedures(request: Request) -> dict[str, Any]:
    procedures = readable_procedures(request)
    designable = {p.id for p in procedures if request.has_permission(DESIGN, ProcedureContext(request, p))}
    return {"procedures": procedures, "states": PROCEDURE_STATES, "audiences": AUDIENCES, "designable": designable,
            "may_design": bool(request.has_permission(DESIGN))}  # fmt: skip


APPLICATION_PAGE = "cagou_aids:templates/application.jinja2"


def read_application(context: ProcedureContext, request: Request) -> Application:
    application = application_by_receipt(request.db, context.procedure, request.matchdict["receipt"])
    if application is None:
        raise HTTPNotFound("Cette demande n'existe pas.")
    return application


def application_values(request: Request, application: Application, errors: FormErrors) -> dict[str, Any]:
    definition = application.version.parsed
    return {
        "procedure": application.version.procedure, "application": application,
        "rows": answer_rows(definition, application.answers), "files": files_sent(request.db, application),
        "scan_states": SCAN_STATES,
        "submitted": local(request.registry, application.submitted_at), "states": APPLICATION_STATES,
        "version": application.version.number, "messages": messages_of(request.db, application),
        "authors": MESSAGE_AUTHORS, "errors": errors, "message_text": request.POST.get("texte", "") if errors else "",
        "local": lambda instant: local(request.registry, instant),
        "askable": askable_fields(definition), "open_request": open_request(request, application),
        "history": [(local(request.registry, event.at), event.text) for event in history_of(request.db, application)],
        "asked_names": request.POST.getall("champs") if errors else [],
        "request_text": request.POST.get("demande", "") if errors else "",
        "workflow": workflow_panel(request, application), "annotations": annotation_panel(request, application, errors),
        "assignment": assignment_panel(request, application),
        "opinion_panel": opinion_panel(request, application, errors),
        "file_url": lambda stored: request.route_path(
            "aids.application_file", id=application.procedure_id, receipt=application.receipt, file=stored.id
        ),
    }  # fmt: skip


@view_config(route_name="aids.application", request_method="GET", renderer=APPLICATION_PAGE, permission=READ)
def application_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    application = read_application(context, request)
    request.find_service(IAuditLog).record_read(
        "aids:application:read", f"Demande {application.receipt} consultée.", "aids", "aids_application",
        str(application.id),
    )  # fmt: skip
    request.find_service(IAssignments).seen(application)  # its badges cleared for this agent
    return application_values(request, application, FormErrors())


def instructor_action(
    context: ProcedureContext, request: Request, act: Callable[[Application], object], done: str, anchor: str
) -> Any:
    """An instructor's form on the application's page: done, said and back to its section; refused, the page
    again with each message next to its field, nothing kept."""
    application = read_application(context, request)
    try:
        act(application)
    except Invalid as refused:
        refuse(request, 400)
        return application_values(request, application, refused.errors)
    except Refused as refused:
        refuse(request, refused.status)
        return application_values(request, application, FormErrors(form=refused.message))
    request.session.flash(done)
    path = request.route_path("aids.application", id=context.procedure.id, receipt=application.receipt)
    return HTTPSeeOther(f"{path}#{anchor}")


@view_config(route_name="aids.application_message", request_method="POST", renderer=APPLICATION_PAGE, permission=READ)
def application_message(context: ProcedureContext, request: Request) -> Any:
    """An instructor writes to the applicant: mailed to them, read and answered on their page."""
    messages = request.find_service(IMessages)
    text, uploads = request.POST.get("texte", ""), uploads_of(request, "pieces")
    return instructor_action(
        context, request, lambda application: messages.write(application, INSTRUCTORS, text, uploads, request.identity),
        "Message envoyé au demandeur.", "messages",
    )  # fmt: skip


@view_config(route_name="aids.application_file", request_method="GET", permission=READ)
def application_file(context: ProcedureContext, request: Request) -> Response:
    application = application_by_receipt(request.db, context.procedure, request.matchdict["receipt"])
    stored = None if application is None else request.db.get(StoredFile, int(request.matchdict["file"]))
    if application is None or stored is None or stored.application_id != application.id:
        raise HTTPNotFound("Ce fichier n'existe pas.")
    response = file_response(request, stored)
    if response.status_int == 200:
        request.find_service(IAuditLog).record_read(
            "aids:file:read", f"Fichier « {stored.filename} » de la demande {application.receipt} téléchargé.",
            "aids", "aids_application", str(application.id),
        )  # fmt: skip
    return response


@view_config(route_name="aids.application_request", request_method="POST", renderer=APPLICATION_PAGE, permission=READ)
def application_request(context: ProcedureContext, request: Request) -> Any:
    """An instructor asks the applicant for documents: the fields to reopen, and why."""
    requests = request.find_service(IDocumentRequests)
    names, text = request.POST.getall("champs"), request.POST.get("demande", "")
    return instructor_action(
        context, request, lambda application: requests.ask(application, names, text, request.identity),
        "Compléments demandés au demandeur.", "complements",
    )  # fmt: skip


def export_rows(request: Request, procedure: Procedure, fields: list[FieldSpec]) -> Iterator[list[Any]]:
    """Numbers stay numbers (a spreadsheet sums them); every other answer as the pages show it."""
    registry = request.registry
    version = procedure.workflow_version
    labels = state_labels(version.parsed if version else None)
    for row in all_applications(get_engine(registry), procedure.id):
        answers = row.answers
        values = [answers.get(spec.name) if spec.type in NUMBERS else shown(spec, answers.get(spec.name))
                  for spec in fields]  # fmt: skip
        state = labels.get(row.state, row.state)
        yield [row.receipt, local(registry, row.submitted_at), state, row.email, *values]


def export_fields(procedure: Procedure) -> list[FieldSpec]:
    definition = procedure.latest.parsed
    return [spec for spec in definition.fields() if spec.has_answer and spec.type != REPEAT]


EXPORT_HEADER = ["Numéro", "Déposée le", "État", "Adresse électronique"]


@view_config(route_name="aids.export_csv", request_method="GET", permission=READ)
@view_config(route_name="aids.export_xlsx", request_method="GET", permission=READ)
def export(context: ProcedureContext, request: Request) -> Response:
    procedure = context.procedure
    fields = export_fields(procedure)
    header = EXPORT_HEADER + [spec.label for spec in fields]
    name = f"demandes-{procedure.receipt_prefix.lower()}"
    request.find_service(IAuditLog).record_read(
        "aids:application:export", f"Demandes de « {procedure.title} » exportées.", "aids", "aids_procedure",
        str(procedure.id),
    )  # fmt: skip
    rows = export_rows(request, procedure, fields)
    if request.matched_route.name == "aids.export_xlsx":
        widths = [18, 17, 12, 30] + [24] * len(fields)
        return xlsx_response(f"{name}.xlsx", xlsx_file("Demandes", header, rows, widths))
    return csv_response(f"{name}.csv", header, rows)
