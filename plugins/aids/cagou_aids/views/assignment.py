"""Groups of instructors, assignment, transfer and following on the intranet, and the agent's "Mes dossiers".

The services (:class:`~cagou_aids.interfaces.IAssignments`, :class:`~cagou_aids.interfaces.IInstructorGroups`)
decide and audit; these views read the forms (the kit's WTForms and ``submit``) and render, a refusal next to
its field with its status and nothing kept.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config
from wtforms import BooleanField, SelectMultipleField, TextAreaField

from cagou.kit import INTRANET, Form, FormErrors, TextField, local, submit
from cagou_aids.answers import applicant_name
from cagou_aids.assignment import badges_for, groups_of, instructors_of, my_files
from cagou_aids.interfaces import IAssignments, IInstructorGroups
from cagou_aids.models import InstructorGroup
from cagou_aids.services.groups import routing_fields
from cagou_aids.states import state_labels
from cagou_aids.views.instruction import (
    APPLICATION_PAGE,
    DESIGN,
    READ,
    ProcedureContext,
    application_values,
    procedure_context,
    read_application,
)  # fmt: skip

GROUPS_PAGE = "cagou_aids:templates/groups.jinja2"


def includeme(config: Configurator) -> None:
    procedure = {"factory": procedure_context}
    config.add_site_route(INTRANET, "aids.my_files", "/demarches/mes-dossiers")
    config.add_site_route(
        INTRANET, "aids.assignment", r"/demarches/{id:\d+}/demandes/{receipt}/attribution/{action}", **procedure
    )
    config.add_site_route(INTRANET, "aids.groups", r"/demarches/{id:\d+}/groupes", **procedure)
    config.add_site_route(INTRANET, "aids.group", r"/demarches/{id:\d+}/groupes/{group:\d+}/{action}", **procedure)


class AssignForm(Form):
    collegue = TextField("Instructeur")


class TransferForm(Form):
    collegue = TextField("Collègue")
    message = TextAreaField("Message à votre collègue")


def account_id_of(form: AssignForm | TransferForm) -> int:
    text = form.collegue.data
    return int(text) if text.isdigit() else 0


@view_config(route_name="aids.assignment", request_method="POST", renderer=APPLICATION_PAGE, permission=READ)
def assignment_action(context: ProcedureContext, request: Request) -> Any:
    """ "Me l'attribuer", "Attribuer à…", "Transmettre", "Suivre", "Ne plus suivre"."""
    application = read_application(context, request)
    service = request.find_service(IAssignments)
    action = request.matchdict["action"]
    form: Form
    if action == "moi":
        form, message = Form(request.POST), "La demande vous est attribuée."

        def save(form: Any) -> object:
            return service.assign(application, request.identity.id)
    elif action == "attribuer":
        form, message = AssignForm(request.POST), "Demande attribuée."

        def save(form: Any) -> object:
            return service.assign(application, account_id_of(form))
    elif action == "transmettre":
        form, message = TransferForm(request.POST), "Demande transmise : votre collègue en est prévenu."

        def save(form: Any) -> object:
            return service.transfer(application, account_id_of(form), form.message.data or "")
    elif action in ("suivre", "ne-plus-suivre"):
        following = action == "suivre"
        form = Form(request.POST)
        message = "Vous suivez cette demande." if following else "Vous ne suivez plus cette demande."

        def save(form: Any) -> object:
            return service.follow(application, following)
    else:
        raise HTTPNotFound("Cette action n'existe pas.")
    path = request.route_path("aids.application", id=context.procedure.id, receipt=application.receipt)
    return submit(request, form, save, message=message, redirect_to=f"{path}#attribution",
                  render=lambda form: application_values(request, application, form.field_errors()))  # fmt: skip


class GroupForm(Form):
    nom = TextField("Nom du groupe")
    champ = TextField("Champ du formulaire qui oriente")
    valeurs = TextAreaField("Réponses qui orientent vers ce groupe (une par ligne)")
    membres = SelectMultipleField("Membres", coerce=int, validate_choice=False)
    defaut = BooleanField("Groupe par défaut (les demandes qu'aucune règle n'oriente)")


def groups_values(request: Request, context: ProcedureContext, form: GroupForm, errors: FormErrors) -> dict[str, Any]:
    procedure = context.procedure
    instructors = instructors_of(request, procedure)
    names = {account.id: account.display_name for account in instructors}
    fields = {spec.name: spec.label for spec in routing_fields(procedure)}
    return {"procedure": procedure, "groups": groups_of(request.db, procedure.id), "instructors": instructors,
            "names": names, "fields": fields, "form": form, "errors": errors}  # fmt: skip


@view_config(route_name="aids.groups", request_method="GET", renderer=GROUPS_PAGE, permission=DESIGN)
def groups_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    return groups_values(request, context, GroupForm(), FormErrors())


@view_config(route_name="aids.groups", request_method="POST", renderer=GROUPS_PAGE, permission=DESIGN)
def group_create(context: ProcedureContext, request: Request) -> Any:
    form = GroupForm(request.POST)

    def save(form: GroupForm) -> InstructorGroup:
        group: InstructorGroup = request.find_service(IInstructorGroups).save(
            context.procedure, form.nom.data, form.champ.data, (form.valeurs.data or "").splitlines(),
            form.membres.data or [], bool(form.defaut.data),
        )  # fmt: skip
        return group

    return submit(request, form, save, message=lambda group: f"Groupe « {group.name} » enregistré.",
                  redirect_to=request.route_path("aids.groups", id=context.procedure.id),
                  render=lambda form: groups_values(request, context, form, form.field_errors()))  # fmt: skip


@view_config(route_name="aids.group", request_method="POST", renderer=GROUPS_PAGE, permission=DESIGN)
def group_remove(context: ProcedureContext, request: Request) -> Any:
    group = request.db.get(InstructorGroup, int(request.matchdict["group"]))
    if group is None or group.procedure_id != context.procedure.id or request.matchdict["action"] != "supprimer":
        raise HTTPNotFound("Ce groupe n'existe pas.")
    name = group.name
    return submit(request, Form(request.POST), lambda form: request.find_service(IInstructorGroups).remove(group),
                  message=f"Groupe « {name} » supprimé.",
                  redirect_to=request.route_path("aids.groups", id=context.procedure.id),
                  render=lambda form: groups_values(request, context, GroupForm(), form.field_errors()))  # fmt: skip


@view_config(route_name="aids.my_files", request_method="GET", renderer="cagou_aids:templates/my_files.jinja2",
             permission=READ)  # fmt: skip
def my_files_page(request: Request) -> dict[str, Any]:
    """The applications assigned to the agent or followed by them, with what changed since they last saw each."""
    me = request.identity.id
    rows = [(application, mine) for application, mine in my_files(request.db, me)
            if request.has_permission(READ, ProcedureContext(request, application.version.procedure))]  # fmt: skip
    labels = {}
    for application, _mine in rows:
        version = application.version.procedure.workflow_version
        labels[application.id] = state_labels(version.parsed if version else None).get(
            application.state, application.state
        )
    return {"rows": rows, "badges": badges_for(request.db, me, [row.id for row, _ in rows]), "labels": labels,
            "name_of": applicant_name, "local": lambda instant: local(request.registry, instant)}  # fmt: skip
