"""Applying without an account: the guest gives an address, proves it with a mailed code, and follows their file
through the private link mailed with it (the draft's token, which only they hold): its page, its files, the
receipt and the ZIP, and the withdrawal, as a signed-in applicant has them in "Mes démarches"."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from cagou.kit import FormErrors, Invalid, Refused
from cagou_aids.abuse import before_guest_code, before_start
from cagou_aids.interfaces import IDrafts
from cagou_aids.models import Application
from cagou_aids.queries import procedure_by_slug
from cagou_aids.views import refuse
from cagou_aids.views.applying import PROCEDURE, current_draft, step_path
from cagou_aids.views.catalogue import procedure_values
from cagou_aids.views.following import PAGE as FOLLOWED
from cagou_aids.views.following import (
    Paths,
    answer,
    archive_download,
    file_download,
    page_values,
    receipt_download,
    withdrawal,
)  # fmt: skip

CONFIRM = "cagou_aids:templates/guest_confirm.jinja2"


@view_config(
    route_name="aids.guest_start", request_method="POST", renderer=PROCEDURE, permission=NO_PERMISSION_REQUIRED
)
def guest_start(request: Request) -> Any:
    procedure = procedure_by_slug(request.db, request.matchdict["slug"])
    if procedure is None or procedure.public_version is None:
        raise HTTPNotFound("Cette démarche n'existe pas.")
    try:
        before_start(request)
        draft = request.find_service(IDrafts).start_as_guest(procedure, request.POST.get("email", ""))
    except Invalid as refused:
        refuse(request, 400)
        return procedure_values(
            request, procedure, guest_errors=refused.errors, guest_email=request.POST.get("email", "")
        )
    except Refused as refused:
        refuse(request, refused.status)
        return procedure_values(request, procedure, refused.message)
    return HTTPSeeOther(request.route_path("aids.guest_confirm", slug=procedure.slug, token=draft.token))


@view_config(route_name="aids.guest_confirm", request_method="GET", renderer=CONFIRM, permission=NO_PERMISSION_REQUIRED)
def guest_confirm(request: Request) -> Any:
    draft = current_draft(request, confirmed=False)
    if draft.confirmed_at is not None:
        return HTTPSeeOther(step_path(request, draft, 1))
    return {"draft": draft, "procedure": draft.procedure, "errors": FormErrors()}


@view_config(
    route_name="aids.guest_confirm", request_method="POST", renderer=CONFIRM, permission=NO_PERMISSION_REQUIRED
)
def guest_confirm_post(request: Request) -> Any:
    draft = current_draft(request, confirmed=False)
    try:
        before_guest_code(request, draft)
        request.find_service(IDrafts).confirm_guest(draft, request.POST.get("code", ""))
    except Invalid as refused:
        request.response.status_int = 400  # the attempt is counted: kept, not doomed
        return {"draft": draft, "procedure": draft.procedure, "errors": refused.errors}
    except Refused as refused:
        request.response.status_int = refused.status
        return {"draft": draft, "procedure": draft.procedure, "errors": FormErrors(code=refused.message)}
    request.session.flash("Adresse confirmée : remplissez votre demande. Le lien reçu par courriel vous y ramène.")
    return HTTPSeeOther(step_path(request, draft, 1))


@view_config(route_name="aids.guest_follow", request_method="GET", renderer=FOLLOWED, permission=NO_PERMISSION_REQUIRED)
def guest_follow(request: Request) -> Any:
    draft = current_draft(request)
    if draft.application is None:
        return HTTPSeeOther(step_path(request, draft, 1))
    return page_values(request, draft.application, FormErrors(), Paths(request, draft.application, draft.token))


def guest_application(request: Request) -> Application:
    """The application the guest's link leads to; any other token, or a draft not submitted, is not found."""
    application = current_draft(request).application
    if application is None:
        raise HTTPNotFound("Cette demande n'existe pas.")
    return application


@view_config(
    route_name="aids.guest_withdraw", request_method="POST", renderer=FOLLOWED, permission=NO_PERMISSION_REQUIRED
)
def guest_withdraw(request: Request) -> Any:
    application = guest_application(request)
    return withdrawal(request, application, Paths(request, application, request.matchdict["token"]))


@view_config(
    route_name="aids.guest_message", request_method="POST", renderer=FOLLOWED, permission=NO_PERMISSION_REQUIRED
)
def guest_message(request: Request) -> Any:
    application = guest_application(request)
    return answer(request, application, Paths(request, application, request.matchdict["token"]))


@view_config(route_name="aids.guest_file", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def guest_file(request: Request) -> Response:
    return file_download(request, guest_application(request))


@view_config(route_name="aids.guest_receipt", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def guest_receipt(request: Request) -> Response:
    return receipt_download(request, guest_application(request))


@view_config(route_name="aids.guest_archive", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def guest_archive(request: Request) -> Response:
    return archive_download(request, guest_application(request))
