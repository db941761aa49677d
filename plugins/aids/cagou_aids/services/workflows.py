"""Workflows: stored and versioned, followed by procedures, and their transitions taken on applications.

Taking a transition locks the application's row first (``SELECT … FOR
UPDATE``): two agents acting on one application at once are served one after
the other, and the second finds the state the first left, which its
transition may no longer leave (a 409). The four-eyes rule reads the
transitions taken since the latest proposal: its author may not validate it,
nor may anyone validate it twice; each validation counts one of the
procedure's levels, and only the last moves the application on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, IAuditLog, IClock, IMailer, Invalid, Refused, Root, check_text, directorate_acl
from cagou_aids.interfaces import IAssignments, IWorkflows
from cagou_aids.models import (
    Application,
    ApplicationEvent,
    Procedure,
    TransitionTaken,
    Workflow,
    WorkflowVersion,
)  # fmt: skip
from cagou_aids.services.annotations import check_annotations, keep_suggestion
from cagou_aids.services.envelopes import chain_check
from cagou_aids.services.locks import PRELOADED_TRANSITIONS, locked_by_bulk
from cagou_aids.services.transition_effects import after_transition
from cagou_aids.workflow import (
    MAX_MOTIVATION,
    MOTIVATION,
    PROPOSAL,
    ROLE_PERMISSIONS,
    VALIDATION,
    Transition,
    filled,
    parse_workflow,
    workflow_data,
)  # fmt: skip
from cagou_aids.workflow import Workflow as WorkflowSpec

#: The shipped workflows, and the shipped procedures' (services/procedures.py MODELS) that follow them.
SHIPPED = {"aide_paiement": "Aide avec paiement", "recensement_tri": "Recensement et tri"}
MODEL_WORKFLOWS = {"business_aid": "aide_paiement", "repatriation": "recensement_tri"}
ROLE_NAMES = {"aids:instructor": "instructeur", "aids:validator": "validateur", "aids:signer": "signataire"}
MAX_LEVELS = 3


def shipped_workflow(code: str) -> Any:
    path = resources.files("cagou_aids").joinpath("shipped", "workflows", f"{code}.json")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class ProcedureResource:
    """A procedure as the ACL sees it: its directorate's (as the instructors' pages do)."""

    __acl__: Any
    __parent__: Root


def resource_of(request: Request, procedure: Procedure) -> ProcedureResource:
    return ProcedureResource(directorate_acl(request.registry, procedure.directorate), Root(request))


def current_round(request: Request, application: Application) -> list[TransitionTaken]:
    """The transitions taken since the latest proposal, that proposal first; empty before any."""
    taken = request.environ.get(PRELOADED_TRANSITIONS, {}).get(application.id)
    if taken is None:
        taken = list(request.db.scalars(
            sa.select(TransitionTaken).where(TransitionTaken.application_id == application.id)
            .order_by(TransitionTaken.id)
        ))  # fmt: skip
    starts = [index for index, row in enumerate(taken) if row.step == PROPOSAL]
    return taken[starts[-1] :] if starts else []


@implementer(IWorkflows)
class WorkflowService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def install(self, data: Any) -> WorkflowVersion:
        request = self.request
        parsed = parse_workflow(data)
        definition = workflow_data(parsed)
        instant = request.find_service(IClock).now()
        workflow: Workflow | None = request.db.scalar(sa.select(Workflow).where(Workflow.code == parsed.code))
        if workflow is not None and workflow.latest.definition == definition:
            return workflow.latest
        if workflow is None:
            workflow = Workflow(code=parsed.code, title=parsed.title, created_at=instant, updated_at=instant)
            request.db.add(workflow)
        workflow.title, workflow.updated_at = parsed.title, instant
        number = workflow.versions[-1].number + 1 if workflow.versions else 1
        version = WorkflowVersion(number=number, definition=definition, created_at=instant)
        workflow.versions.append(version)
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:workflow:import", f"Circuit « {parsed.title} » enregistré (version {number}).", module="aids",
            object_type="aids_workflow", object_id=str(workflow.id),
            changes={"after": {"code": parsed.code, "version": number, "states": len(parsed.states),
                               "transitions": len(parsed.transitions)}},
        )  # fmt: skip
        return version

    def shipped(self, code: str) -> WorkflowVersion:
        if code not in SHIPPED:
            raise Invalid(FormErrors(circuit=f"Circuit livré inconnu : « {code[:40]} »."))
        workflow: Workflow | None = self.request.db.scalar(sa.select(Workflow).where(Workflow.code == code))
        return workflow.latest if workflow is not None else self.install(shipped_workflow(code))

    def attach(self, procedure: Procedure, version: WorkflowVersion, levels: int = 1) -> Procedure:
        request = self.request
        errors = FormErrors()
        if not 1 <= levels <= MAX_LEVELS:
            errors.add("niveaux", f"Le nombre de niveaux de validation va de 1 à {MAX_LEVELS}.")
        states = {state.code for state in version.parsed.states}
        used = set(request.db.scalars(
            sa.select(Application.state).where(Application.procedure_id == procedure.id).distinct()
        ))  # fmt: skip
        unknown = sorted(used - states)
        if unknown:
            errors.add("circuit", f"Des demandes de cette démarche sont dans l'état « {unknown[0]} », que ce circuit "
                                  "n'a pas : choisissez un circuit qui le prévoit.")  # fmt: skip
        if errors:
            raise Invalid(errors)
        before = procedure.workflow_version_id
        procedure.workflow_version, procedure.validation_levels = version, levels
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:procedure:workflow",
            f"La démarche « {procedure.title} » suit le circuit « {version.workflow.title} » "
            f"(version {version.number}, {levels} niveau(x) de validation).", module="aids",
            object_type="aids_procedure", object_id=str(procedure.id),
            changes={"before": {"workflow_version": before}, "after": {"workflow_version": version.id,
                                                                       "levels": levels}},
        )  # fmt: skip
        return procedure

    def spec_of(self, application: Application) -> tuple[WorkflowVersion, WorkflowSpec]:
        procedure = application.version.procedure
        version = procedure.workflow_version
        if version is None:
            raise Refused("Cette démarche ne suit pas de circuit d'instruction.", 409)
        return version, version.parsed

    def may(self, application: Application, transition: Transition) -> bool:
        procedure = application.version.procedure
        return bool(
            self.request.has_permission(ROLE_PERMISSIONS[transition.role], resource_of(self.request, procedure))
        )

    def four_eyes(self, application: Application, transition: Transition) -> str | None:
        """Why the four-eyes rule refuses ``transition`` to the signed-in agent, or None."""
        if transition.step != VALIDATION:
            return None
        me = self.request.identity.id
        taken = current_round(self.request, application)
        if taken and taken[0].account_id == me:
            return "Vous avez proposé cette décision : un autre agent doit la valider (règle des quatre yeux)."
        if any(row.step == VALIDATION and row.account_id == me for row in taken):
            return "Vous avez déjà validé cette proposition : le niveau suivant revient à un autre validateur."
        return None

    def available(self, application: Application) -> list[tuple[Transition, str | None]]:
        procedure = application.version.procedure
        if procedure.workflow_version is None or application.anonymised_at is not None:
            return []
        spec = procedure.workflow_version.parsed
        return [(transition, self.four_eyes(application, transition)) for transition in spec.leaving(application.state)
                if self.may(application, transition) and not transition.by_act]  # fmt: skip

    def take(
        self, application: Application, code: str, inputs: dict[str, str], seen_state: str | None = None
    ) -> str:  # fmt: skip
        request = self.request
        version, spec = self.spec_of(application)
        transition = spec.transition(code)
        if transition is None:
            raise Refused("Ce circuit n'a pas cette transition.", 404)
        if not self.may(application, transition):
            role = ROLE_NAMES.get(transition.role, transition.role)
            raise Refused(f"« {transition.label} » revient à un {role} de la direction de cette démarche.", 403)
        errors = FormErrors()
        motivation = ""
        if transition.needs(MOTIVATION):
            motivation = check_text(errors, "motivation", inputs.get("motivation", ""), "La motivation", MAX_MOTIVATION)
        if errors:
            raise Invalid(errors)
        # Two agents at once on this application: the second waits for the first, then reads the state it left.
        if not locked_by_bulk(request, application):
            request.db.refresh(application, with_for_update=True)
        before = application.state
        if (
            application.anonymised_at is not None
            or before not in transition.sources
            or (seen_state is not None and seen_state != before)
        ):
            state = spec.state(before)
            now = state.label if state else before
            raise Refused(f"Cette demande est maintenant « {now} » : « {transition.label} » n'est plus possible. "
                          "Rechargez la page pour voir ce qui a changé.", 409)  # fmt: skip
        refusal = self.four_eyes(application, transition)
        if refusal is not None:
            raise Refused(refusal, 403)
        check_annotations(request, application, transition)
        target, note = self.target(application, transition)
        amount = chain_check(request, application, transition, inputs, target)
        instant = request.find_service(IClock).now()
        request.db.add(taken := TransitionTaken(
            application_id=application.id, workflow_version_id=version.id, transition=transition.code,
            step=transition.step, from_state=before, to_state=target, account_id=request.identity.id, at=instant,
            motivation=motivation, amount=amount,
        ))  # fmt: skip
        application.state = target
        reached = spec.state(target)
        values = {"numero": application.receipt, "demarche": application.version.procedure.title,
                  "etat": reached.label if reached else target, "motivation": motivation}  # fmt: skip
        history = transition.history
        text = (filled(history.text, values) if history else transition.label) + note
        request.db.add(ApplicationEvent(application_id=application.id, at=instant, state=target, text=text[:500],
                                        public=history.public if history else False))  # fmt: skip
        if not locked_by_bulk(request, application) or transition.step == PROPOSAL:  # the suggestion needs its id
            request.db.flush()
        keep_suggestion(request, application, taken)
        partial = transition.step == VALIDATION and target == before  # a level validated, the next to come
        if transition.mail is not None and application.email and not partial and not transition.document:
            request.find_service(IMailer).send(
                application.email, filled(transition.mail.subject, values), filled(transition.mail.body, values)
            )
        request.find_service(IAuditLog).record(
            "aids:application:transition", f"Demande {application.receipt} : « {transition.label} »{note}.",
            module="aids", object_type="aids_application", object_id=str(application.id),
            changes={"before": {"state": before}, "after": {"state": target, "transition": transition.code,
                                                            "motivation": motivation}},
        )  # fmt: skip
        request.find_service(IAssignments).transition_taken(application, transition.label, before, values["etat"])
        after_transition(request, application, transition, before, motivation)
        return target

    def target(self, application: Application, transition: Transition) -> tuple[str, str]:
        """Where the transition leads, and a note for a validation that is not the last of the levels."""
        if transition.step != VALIDATION:
            return transition.target, ""
        levels = application.version.procedure.validation_levels
        done = sum(1 for row in current_round(self.request, application) if row.step == VALIDATION) + 1
        if done >= levels:
            return transition.target, f" (niveau {done} sur {levels})" if levels > 1 else ""
        return application.state, f" (niveau {done} sur {levels} : la validation suivante revient à un autre agent)"
