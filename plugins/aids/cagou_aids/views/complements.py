"""The applicant answers a request for documents: only the fields the instructor reopened are editable, the others
shown as they were; signed in ("Mes démarches") or through a guest's private link."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from webob.multidict import MultiDict

from cagou.kit import FormErrors, IClock, Invalid, Refused, local, uploads_of
from cagou_aids.answers import COMMUNES, answer_rows, countries
from cagou_aids.definition import FILE
from cagou_aids.forms import PageForm, formdata_of
from cagou_aids.interfaces import IDocumentRequests
from cagou_aids.models import Application, DocumentRequest
from cagou_aids.services.requests import complement_form, open_request
from cagou_aids.views import refuse
from cagou_aids.views.following import Paths, current_application
from cagou_aids.views.guests import guest_application

PAGE = "cagou_aids:templates/complement.jinja2"


def asked(request: Request, application: Application) -> DocumentRequest:
    document_request = open_request(request, application)
    if document_request is None:
        raise HTTPNotFound("Aucun complément n'est demandé pour cette demande.")
    return document_request


def complement_values(
    request: Request, application: Application, document_request: DocumentRequest, form: PageForm, errors: FormErrors,
    paths: Paths,
) -> dict[str, Any]:  # fmt: skip
    definition = application.version.parsed
    names = set(document_request.fields)
    return {
        "application": application, "procedure": application.version.procedure, "asked": document_request,
        "form": form, "errors": errors, "paths": paths, "communes": COMMUNES, "countries": countries(),
        "others": [row for row in answer_rows(definition, application.answers) if row[2].name not in names],
        "at": local(request.registry, document_request.at),
        "multipart": any(field.spec.type == FILE for field in form.answer_fields()),
    }  # fmt: skip


def asked_form(
    request: Request, application: Application, document_request: DocumentRequest, values: MultiDict[str, str] | None
) -> PageForm:
    """The form of the asked fields: with ``values`` as sent, or else filled with the answers they have (files
    excepted: they are sent again)."""
    definition = application.version.parsed
    specs = [definition.by_name[name] for name in document_request.fields if name in definition.by_name]
    page = complement_form(definition, specs)
    if values is None:
        files = {spec.name for spec in specs if spec.type == FILE}
        values = formdata_of(
            page.page, {name: value for name, value in application.answers.items() if name not in files}
        )
    today = local(request.registry, request.find_service(IClock).now()).date()
    return page(values, known=application.answers, today=today)


def show(request: Request, application: Application, paths: Paths) -> dict[str, Any]:
    document_request = asked(request, application)
    form = asked_form(request, application, document_request, None)
    return complement_values(request, application, document_request, form, FormErrors(), paths)


def send(request: Request, application: Application, paths: Paths) -> Any:
    document_request = asked(request, application)
    values: MultiDict[str, str] = MultiDict(
        (key, value) for key, value in request.POST.items() if isinstance(value, str)
    )
    uploads = {name: uploads_of(request, name) for name in document_request.fields}
    try:
        request.find_service(IDocumentRequests).answer(document_request, values, uploads,
                                                       request.identity if paths.token is None else None)  # fmt: skip
    except Invalid as refused:
        refuse(request, 400)
        form = asked_form(request, application, document_request, values)
        return complement_values(request, application, document_request, form, refused.errors, paths)
    except Refused as refused:
        refuse(request, refused.status)
        form = asked_form(request, application, document_request, None)
        return complement_values(request, application, document_request, form, FormErrors(form=refused.message), paths)
    request.session.flash("Vos compléments sont envoyés au service instructeur.")
    return HTTPSeeOther(paths("page"))


@view_config(route_name="aids.my_complement", request_method="GET", renderer=PAGE, permission="aids:apply")
def my_complement(request: Request) -> dict[str, Any]:
    application = current_application(request)
    return show(request, application, Paths(request, application))


@view_config(route_name="aids.my_complement", request_method="POST", renderer=PAGE, permission="aids:apply")
def my_complement_post(request: Request) -> Any:
    application = current_application(request)
    return send(request, application, Paths(request, application))


@view_config(route_name="aids.guest_complement", request_method="GET", renderer=PAGE, permission=NO_PERMISSION_REQUIRED)
def guest_complement(request: Request) -> dict[str, Any]:
    application = guest_application(request)
    return show(request, application, Paths(request, application, request.matchdict["token"]))


@view_config(
    route_name="aids.guest_complement", request_method="POST", renderer=PAGE, permission=NO_PERMISSION_REQUIRED
)
def guest_complement_post(request: Request) -> Any:
    application = guest_application(request)
    return send(request, application, Paths(request, application, request.matchdict["token"]))
