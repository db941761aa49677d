"""Bulk actions: what an instructor does to many applications of the queue at once, and their registry.

An action is offered for a procedure by an *offer*, a function of the request
and the procedure returning the :class:`BulkAction` it makes possible there
(the workflow's transitions differ from one procedure to the next). The
module's own offers are the request for documents and each transition of the
procedure's workflow; another part adds its own with :func:`register_offer`
(assigning to an agent, adding to an act) and nothing else changes: the queue's
form lists every action offered, :class:`~cagou_aids.services.bulk.BulkActionService`
runs any of them.

An action's ``run`` acts on one application through the service that owns the
change, so that each file gets its own history line, mail and audit entry, and
raises that service's ``Refused`` or ``Invalid`` before anything is kept for
that file: the file is then reported refused, with the reason, and the others
go on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.request import Request

from cagou.kit import FormErrors, Invalid, check_text
from cagou_aids.interfaces import IDocumentRequests, IWorkflows
from cagou_aids.models import MAX_MESSAGE, Application, Procedure
from cagou_aids.services.envelopes import read_amount
from cagou_aids.services.requests import askable_fields
from cagou_aids.states import state_labels
from cagou_aids.workflow import AMOUNT, MAX_MOTIVATION, MOTIVATION, Transition

#: At most this many applications at once (the instructors asked for 800).
MAX_BULK = 1000
#: The shared inputs an action's form may show.
MOTIVATION_INPUT, REQUEST_INPUT, AMOUNT_INPUT = "motivation", "complements", "montant"

Inputs = Mapping[str, Any]


@dataclass(frozen=True)
class BulkAction:
    code: str
    label: str
    #: The shared inputs it reads (:data:`MOTIVATION_INPUT`, :data:`REQUEST_INPUT`), shown by the queue's form.
    inputs: tuple[str, ...]
    #: The shared inputs checked once, before any file: raises ``Invalid``.
    check: Callable[[Request, Procedure, Inputs], None]
    #: One file: done (the French result) or ``Refused``/``Invalid`` raised before anything is kept for it.
    run: Callable[[Request, Application, Inputs], str]


@dataclass(frozen=True)
class FileResult:
    receipt: str
    done: bool
    text: str


@dataclass(frozen=True)
class BulkReport:
    label: str
    results: list[FileResult] = field(default_factory=list)

    @property
    def done(self) -> list[FileResult]:
        return [result for result in self.results if result.done]

    @property
    def refused(self) -> list[FileResult]:
        return [result for result in self.results if not result.done]


Offer = Callable[[Request, Procedure], list[BulkAction]]
OFFERS: list[Offer] = []


def register_offer(offer: Offer) -> Offer:
    """Add the actions ``offer`` makes possible on a procedure to the queue's (usable as a decorator)."""
    OFFERS.append(offer)
    return offer


def offered(request: Request, procedure: Procedure) -> list[BulkAction]:
    """The actions possible on ``procedure``'s applications, in the offers' order."""
    return [action for offer in OFFERS for action in offer(request, procedure)]


# -- the request for documents ---------------------------------------------------------------------


def check_request(request: Request, procedure: Procedure, inputs: Inputs) -> None:
    errors = FormErrors()
    check_text(errors, "demande", str(inputs.get("demande", "")), "La demande", MAX_MESSAGE)
    known = {spec.name for spec in askable_fields(procedure.latest.parsed)}
    names = list(inputs.get("champs", []))
    if not names:
        errors.add("champs", "Cochez au moins un champ à rouvrir.")
    elif any(name not in known for name in names):
        errors.add("champs", "Ce formulaire n'a pas l'un des champs cochés : cochez les champs à rouvrir.")
    if errors:
        raise Invalid(errors)


def ask(request: Request, application: Application, inputs: Inputs) -> str:
    requests = request.find_service(IDocumentRequests)
    requests.ask(application, list(inputs.get("champs", [])), str(inputs.get("demande", "")), request.identity)
    return "Compléments demandés."


@register_offer
def document_requests(request: Request, procedure: Procedure) -> list[BulkAction]:
    return [BulkAction("complements", "Demander des compléments", (REQUEST_INPUT,), check_request, ask)]


# -- the workflow's transitions --------------------------------------------------------------------


def check_transition(transition: Transition) -> Callable[[Request, Procedure, Inputs], None]:
    def check(request: Request, procedure: Procedure, inputs: Inputs) -> None:
        errors = FormErrors()
        if transition.needs(MOTIVATION):
            check_text(errors, "motivation", str(inputs.get("motivation", "")), "La motivation", MAX_MOTIVATION)
        if transition.needs(AMOUNT):
            read_amount(errors, "montant", str(inputs.get("montant", "")), "Le montant")
        if errors:
            raise Invalid(errors)

    return check


def take(transition: Transition, labels: dict[str, str]) -> Callable[[Request, Application, Inputs], str]:
    def run(request: Request, application: Application, inputs: Inputs) -> str:
        workflows = request.find_service(IWorkflows)
        shared = {"motivation": str(inputs.get("motivation", "")), "montant": str(inputs.get("montant", ""))}
        reached = workflows.take(application, transition.code, shared)
        return f"Maintenant « {labels.get(reached, reached)} »."

    return run


@register_offer
def transitions(request: Request, procedure: Procedure) -> list[BulkAction]:
    version = procedure.workflow_version
    if version is None:
        return []
    spec = version.parsed
    labels = state_labels(spec)
    return [
        BulkAction(f"transition:{transition.code}", transition.label,
                   shared_inputs(transition), check_transition(transition), take(transition, labels))
        for transition in spec.transitions if not transition.by_act  # an act's own, taken by its creation or signature
    ]  # fmt: skip


def shared_inputs(transition: Transition) -> tuple[str, ...]:
    """The shared inputs a transition's bulk form reads: its motivation, its amount (one for every file)."""
    return ((MOTIVATION_INPUT,) if transition.needs(MOTIVATION) else ()) + (
        (AMOUNT_INPUT,) if transition.needs(AMOUNT) else ()
    )
