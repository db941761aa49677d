"""The designer's pages on the intranet: a new procedure (blank, a model, a clone, an import), its settings, its
state (test, publication, closing), its export.

Who designs a procedure: the holders of ``aids:procedure:design`` on its
directorate (the procedure is a resource with its directorate's ACL, as on
the instructors' pages). The form's own pages (fields, pages, the preview)
are in :mod:`cagou_aids.views.designer_form`. Every POST goes through the
kit's ``submit``: refused, the page comes back with each message next to
its field, a 4xx, and nothing the service wrote is kept.
"""

from __future__ import annotations

import json
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from cagou.kit import Directorate, Form, FormErrors, Invalid, Root, directorate_acl, submit, uploads_of
from cagou_aids.design_forms import (
    ConfirmForm,
    NewProcedureForm,
    SettingsForm,
    notice_errors,
    settings_of,
    typed_instant,
)
from cagou_aids.interfaces import IProcedures
from cagou_aids.models import AUDIENCES, CLOSED, DRAFT, PROCEDURE_STATES, PUBLISHED, TEST, Procedure
from cagou_aids.queries import procedures_all
from cagou_aids.services.procedures import (
    DATA_NOTICE_PARTS,
    MODELS,
    ProcedureSettings,
    changes_to_publish,
    notice_problems,
)
from cagou_aids.transfer import file_data
from cagou_aids.views.instruction import DESIGN, ProcedureContext

NEW = "cagou_aids:templates/designer_new.jinja2"
SETTINGS = "cagou_aids:templates/designer_settings.jinja2"
DESIGNER = "cagou_aids:templates/designer.jinja2"
BLANK = "vide"


class DirectorateContext:
    """A directorate as a resource: whether one may design its procedures."""

    def __init__(self, request: Request, directorate: Directorate | None) -> None:
        self.__parent__ = Root(request)
        self.__acl__ = directorate_acl(request.registry, directorate)


def designable_directorates(request: Request) -> list[Directorate]:
    """The directorates (and the services below them) where the signed-in agent designs procedures."""
    found: dict[int, Directorate] = {}
    pending = [grant.directorate for grant in request.identity.grants if grant.directorate is not None]
    while pending:
        directorate = pending.pop()
        if directorate.id not in found:
            found[directorate.id] = directorate
            pending.extend(directorate.children)
    allowed = [d for d in found.values() if request.has_permission(DESIGN, DirectorateContext(request, d))]
    return sorted(allowed, key=lambda directorate: directorate.name)


def may_design_without_directorate(request: Request) -> bool:
    return bool(request.has_permission(DESIGN, DirectorateContext(request, None)))


def designable_procedures(request: Request) -> list[Procedure]:
    return [p for p in procedures_all(request.db) if request.has_permission(DESIGN, ProcedureContext(request, p))]


def chosen_directorate(request: Request, directorate_id: int | None) -> int | None:
    """``directorate_id`` if the agent may design there; ``Invalid`` next to the list otherwise."""
    if directorate_id is None and may_design_without_directorate(request):
        return None
    if directorate_id in {directorate.id for directorate in designable_directorates(request)}:
        return directorate_id
    raise Invalid(FormErrors(directorate="Choisissez une direction dont vous concevez les démarches."))


def design_path(request: Request, procedure: Procedure) -> str:
    return str(request.route_path("aids.design", id=procedure.id))


# --- a new procedure ---------------------------------------------------------------------------------------


def new_values(
    request: Request, form: NewProcedureForm, errors: FormErrors, import_errors: FormErrors
) -> dict[str, Any]:
    return {
        "form": form, "errors": errors, "import_errors": import_errors, "models": MODELS,
        "procedures": designable_procedures(request), "audiences": AUDIENCES,
        "directorates": designable_directorates(request),
        "without_directorate": may_design_without_directorate(request),
    }  # fmt: skip


@view_config(route_name="aids.design_new", request_method="GET", renderer=NEW, permission=DESIGN)
def new_procedure(request: Request) -> dict[str, Any]:
    form = NewProcedureForm(data={"source": BLANK, "audience": "particuliers"})
    return new_values(request, form, FormErrors(), FormErrors())


def created(request: Request, form: NewProcedureForm) -> Procedure:
    errors = FormErrors()
    directorate = form.directorate.data.strip()
    if directorate and not directorate.isdigit():
        errors.add("directorate", "Choisissez une direction dans la liste.")
        raise Invalid(errors)
    directorate_id = chosen_directorate(request, int(directorate) if directorate else None)
    prefix = form.receipt_prefix.data.strip().upper()
    settings = ProcedureSettings(title=form.title.data, audience=form.audience.data, receipt_prefix=prefix,
                                 directorate_id=directorate_id)  # fmt: skip
    procedures = request.find_service(IProcedures)
    source = form.source.data
    if source == BLANK:
        return procedures.create_blank(settings)  # type: ignore[no-any-return]
    if source.startswith("modele:"):
        return procedures.create_from_model(source.removeprefix("modele:"), settings)  # type: ignore[no-any-return]
    original = next((p for p in designable_procedures(request) if f"clone:{p.id}" == source), None)
    if original is None:
        raise Invalid(FormErrors(source="Choisissez un point de départ dans la liste."))
    clone: Procedure = procedures.clone(original, settings)
    clone.summary, clone.help_text, clone.category = original.summary, original.help_text, original.category
    clone.contact_email, clone.data_notice = original.contact_email, dict(original.data_notice)
    return clone


@view_config(route_name="aids.design_new", request_method="POST", renderer=NEW, permission=DESIGN)
def new_procedure_post(request: Request) -> Any:
    form = NewProcedureForm(request.POST)
    return submit(
        request, form, lambda form: created(request, form),
        message=lambda procedure: f"Démarche « {procedure.title} » créée en brouillon.",
        redirect_to=lambda procedure: design_path(request, procedure),
        render=lambda form: new_values(request, form, form.field_errors(), FormErrors()),
    )  # fmt: skip


@view_config(route_name="aids.design_import", request_method="POST", renderer=NEW, permission=DESIGN)
def import_post(request: Request) -> Any:
    form = Form(request.POST)
    blank = NewProcedureForm(data={"source": BLANK, "audience": "particuliers"})

    def imported(form: Form) -> Procedure:
        files = uploads_of(request, "file")
        if len(files) != 1:
            raise Invalid(FormErrors(file="Choisissez le fichier d'une démarche exportée (.json)."))
        default = designable_directorates(request)
        procedure: Procedure = request.find_service(IProcedures).import_file(
            files[0].data, default[0].id if default else None)  # fmt: skip
        chosen_directorate(request, procedure.directorate_id)
        return procedure

    return submit(
        request, form, imported, message=lambda procedure: f"Démarche « {procedure.title} » importée en brouillon.",
        redirect_to=lambda procedure: design_path(request, procedure),
        render=lambda form: new_values(request, blank, FormErrors(), import_errors(form)),
    )  # fmt: skip


def import_errors(form: Form) -> FormErrors:
    errors = form.field_errors()
    if "directorate" in errors:
        errors.add("file", "Ce fichier est celui d'une direction dont vous ne concevez pas les démarches.")
    return FormErrors(file=errors["file"]) if "file" in errors else FormErrors(file=errors.get("form", ""))


# --- settings ----------------------------------------------------------------------------------------------


def settings_values(request: Request, procedure: Procedure, form: SettingsForm, errors: FormErrors) -> dict[str, Any]:
    directorates = designable_directorates(request)
    if procedure.directorate is not None and procedure.directorate not in directorates:
        directorates.append(procedure.directorate)
    return {
        "procedure": procedure, "form": form, "errors": errors, "audiences": AUDIENCES, "directorates": directorates,
        "without_directorate": may_design_without_directorate(request), "notice_parts": DATA_NOTICE_PARTS,
    }  # fmt: skip


@view_config(route_name="aids.design_settings", request_method="GET", renderer=SETTINGS, permission=DESIGN)
def settings_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    procedure = context.procedure
    registry = request.registry
    notice = procedure.data_notice
    form = SettingsForm(data={
        "title": procedure.title, "summary": procedure.summary, "help_text": procedure.help_text,
        "audience": procedure.audience, "category": procedure.category, "contact_email": procedure.contact_email,
        "opens_at": typed_instant(procedure.opens_at, registry),
        "closes_at": typed_instant(procedure.closes_at, registry),
        "directorate": str(procedure.directorate_id or ""), "receipt_prefix": procedure.receipt_prefix,
        **{part: str(notice.get(part, "")) for part in DATA_NOTICE_PARTS},
    })  # fmt: skip
    return settings_values(request, procedure, form, FormErrors())


@view_config(route_name="aids.design_settings", request_method="POST", renderer=SETTINGS, permission=DESIGN)
def settings_post(context: ProcedureContext, request: Request) -> Any:
    procedure = context.procedure
    form = SettingsForm(request.POST)

    def save(form: SettingsForm) -> Procedure:
        settings = settings_of(form, request.registry)
        if settings.directorate_id != procedure.directorate_id:
            chosen_directorate(request, settings.directorate_id)
        try:
            return request.find_service(IProcedures).update_settings(procedure, settings)  # type: ignore[no-any-return]
        except Invalid as error:
            raise Invalid(notice_errors(error.errors)) from None

    return submit(
        request, form, save, message="Réglages enregistrés.", redirect_to=design_path(request, procedure),
        render=lambda form: settings_values(request, procedure, form, form.field_errors()),
    )  # fmt: skip


# --- state: test, publication, closing ---------------------------------------------------------------------

STATE_ACTIONS = {"tester": "put_in_test", "brouillon": "back_to_draft", "fermer": "close"}
STATE_MESSAGES = {
    "tester": "Démarche en test : essayez-la par son lien ; ces dépôts seront supprimés à la publication.",
    "brouillon": "Démarche revenue en brouillon ; ses dépôts de test sont supprimés.",
    "fermer": "Démarche fermée : elle ne reçoit plus de demandes.",
    "publier": "Démarche publiée.",
}


@view_config(route_name="aids.design_state", request_method="POST", renderer=DESIGNER, permission=DESIGN)
def state_post(context: ProcedureContext, request: Request) -> Any:
    from cagou_aids.views.designer_form import designer_values  # the form's page, which imports this module

    procedure = context.procedure
    action = request.matchdict["action"]
    if action not in (*STATE_ACTIONS, "publier"):
        raise HTTPNotFound("Cette action n'existe pas.")
    form = ConfirmForm(request.POST)
    procedures = request.find_service(IProcedures)

    def save(form: ConfirmForm) -> Procedure:
        if action == "publier":
            return procedures.publish(procedure, confirmed=bool(form.confirm.data))  # type: ignore[no-any-return]
        return getattr(procedures, STATE_ACTIONS[action])(procedure)  # type: ignore[no-any-return]

    return submit(
        request, form, save, message=STATE_MESSAGES[action], redirect_to=design_path(request, procedure),
        render=lambda form: designer_values(request, procedure, state_errors=form.field_errors()),
    )  # fmt: skip


def state_facts(request: Request, procedure: Procedure) -> dict[str, Any]:
    """What the designer's page says of the procedure's state, and the actions it offers."""
    return {
        "state": PROCEDURE_STATES[procedure.state], "may_test": procedure.state in (DRAFT,),
        "may_draft": procedure.state == TEST, "may_close": procedure.state == PUBLISHED,
        "may_publish": procedure.state != CLOSED
        and not (procedure.state == PUBLISHED and procedure.latest.published_at is not None),
        "breaking": changes_to_publish(procedure),
        "notice_missing": list(notice_problems(procedure.data_notice).values()),
        "public_link": request.route_url("aids.procedure", slug=procedure.slug) if procedure.state != DRAFT else "",
    }  # fmt: skip


# --- export ------------------------------------------------------------------------------------------------


@view_config(route_name="aids.design_export", request_method="GET", permission=DESIGN)
def export_definition(context: ProcedureContext, request: Request) -> Response:
    procedure = context.procedure
    body = json.dumps(file_data(procedure), ensure_ascii=False, indent=2).encode()
    response = Response(body=body, content_type="application/json", charset="utf-8")
    response.content_disposition = f'attachment; filename="demarche-{procedure.slug}.json"'
    return response
