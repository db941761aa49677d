"""The workflow on the intranet: the transitions an agent may take on an application, and the diagram.

The service (:class:`~cagou_aids.interfaces.IWorkflows`) decides; these
views read the form, show each refusal next to its field with the status it
deserves (400 for a missing motivation, 403 without the role, 409 when the
application moved meanwhile), and keep nothing then.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import FormErrors, Invalid, Refused
from cagou_aids.interfaces import IWorkflows
from cagou_aids.models import Application
from cagou_aids.queries import application_by_receipt, state_counts
from cagou_aids.views import refuse
from cagou_aids.views.diagram import diagram, workflow_panel
from cagou_aids.views.instruction import READ, ProcedureContext

TRANSITION_PAGE = "cagou_aids:templates/transition.jinja2"


def form_values(request: Request, application: Application, errors: FormErrors, chosen: str) -> dict[str, Any]:
    return {"procedure": application.version.procedure, "application": application,
            "panel": workflow_panel(request, application), "errors": errors, "chosen": chosen,
            "typed": request.POST.get("motivation", "")}  # fmt: skip


@view_config(route_name="aids.transition", request_method="POST", renderer=TRANSITION_PAGE, permission=READ)
def take_transition(context: ProcedureContext, request: Request) -> Any:
    application = application_by_receipt(request.db, context.procedure, request.matchdict["receipt"])
    if application is None:
        raise HTTPNotFound("Cette demande n'existe pas.")
    code = request.POST.get("transition", "")[:32]
    inputs = {"motivation": request.POST.get("motivation", ""), "montant": request.POST.get("montant", "")[:40]}
    try:
        reached = request.find_service(IWorkflows).take(
            application, code, inputs, request.POST.get("etat", "")[:16] or None
        )
    except Invalid as invalid:
        refuse(request, 400)
        return form_values(request, application, invalid.errors, code)
    except Refused as refused:
        refuse(request, refused.status)
        return form_values(request, application, FormErrors(form=refused.message), code)
    state = application.version.procedure.workflow_version.parsed.state(reached)  # type: ignore[union-attr]
    request.session.flash(f"Demande {application.receipt} : {state.label if state else reached}.")
    return HTTPSeeOther(request.route_path("aids.application", id=context.procedure.id, receipt=application.receipt))


@view_config(route_name="aids.workflow", request_method="GET", renderer="cagou_aids:templates/workflow.jinja2",
             permission=READ)  # fmt: skip
def workflow_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    procedure = context.procedure
    version = procedure.workflow_version
    if version is None:
        raise HTTPNotFound("Cette démarche ne suit pas de circuit d'instruction.")
    counts = state_counts(request.db, procedure)
    return {"procedure": procedure, "version": version, "spec": version.parsed, "counts": counts,
            "diagram": diagram(version.parsed, None), "levels": procedure.validation_levels}  # fmt: skip
