"""Amounts and the budget envelope: what a proposal grants, and the ceiling the validations never pass.

A transition that ``requires`` an ``amount`` (the business aid's proposal)
reads it in whole F CFP, 0 included (an ineligible proposal), and stores it
on the transition taken and on the application. The last validation level
of an application takes its procedure's row lock (``SELECT … FOR UPDATE``)
before it sums what is validated already: two validators at once, in two
processes, are served one after the other, and the second sees the first's
amount, so the sum never exceeds the envelope. What counts as validated is
read from the workflow: the states a final validation reaches and those
that follow it, up to payment, short of a return to instruction.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, IAuditLog, IClock, Invalid, Refused
from cagou_aids.answers import AMOUNT_SUFFIX, NUMBER_SPACES, WHOLE
from cagou_aids.interfaces import IEnvelopes
from cagou_aids.models import Application, Procedure
from cagou_aids.models.acts import SIGNED, UNSIGNED, Act, ActLine, Envelope
from cagou_aids.services.acts import act_guard, workflow_of
from cagou_aids.services.locks import locked_by_bulk
from cagou_aids.workflow import AMOUNT, PROPOSAL, VALIDATION, Transition, Workflow

#: A proposal's amount, at most (a billion times ten: no aid comes near, a typing slip is caught).
MAX_AMOUNT = 10_000_000_000


def cfp(amount: int) -> str:
    """150000 → « 150 000 F CFP », as the pages' ``francs`` filter writes it."""
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0F\u00a0CFP"


def read_amount(errors: FormErrors, name: str, text: str, label: str) -> int | None:
    """Whole francs typed in ``name`` (spaces and a trailing « F CFP » allowed); an error next to it otherwise."""
    compact = AMOUNT_SUFFIX.sub("", NUMBER_SPACES.sub("", text).casefold()).strip()
    if not compact:
        errors.add(name, f"{label} est obligatoire.")
        return None
    if not WHOLE.match(compact) or int(compact) < 0 or int(compact) > MAX_AMOUNT:
        errors.add(name, f"{label} est un nombre entier de francs CFP, de 0 à {cfp(MAX_AMOUNT)} "
                         "(par exemple 150 000).")  # fmt: skip
        return None
    return int(compact)


def proposed_states(spec: Workflow) -> set[str]:
    """Where a proposal waits for its validation."""
    return {transition.target for transition in spec.transitions if transition.step == PROPOSAL}


def committed_states(spec: Workflow) -> set[str]:
    """The states a final validation reaches and those that follow, short of going back before the proposal."""
    before = {source for transition in spec.transitions if transition.step == PROPOSAL for source in transition.sources}
    before |= proposed_states(spec)
    found = {transition.target for transition in spec.transitions if transition.step == VALIDATION} - before
    frontier = list(found)
    while frontier:
        for transition in spec.leaving(frontier.pop()):
            if transition.target not in before and transition.target not in found:
                found.add(transition.target)
                frontier.append(transition.target)
    return found


def envelope_of(request: Request, procedure: Procedure) -> int | None:
    amount: int | None = request.db.scalar(sa.select(Envelope.amount).where(Envelope.procedure_id == procedure.id))
    return amount


def chain_check(
    request: Request, application: Application, transition: Transition, inputs: dict[str, str], target: str
) -> int | None:  # fmt: skip
    """What the processing chain asks of a transition being taken (``IWorkflows.take`` calls it under the
    application's lock, before writing): the amount it requires, an act's transitions left to the acts
    service, and the envelope at the last validation level. Returns the amount given, stored on the
    application; raises ``Invalid`` (under ``montant``) or ``Refused`` (409) before anything is written."""
    act_guard(request, application, transition)
    amount = None
    if transition.needs(AMOUNT):
        errors = FormErrors()
        label = next((r.label for r in transition.requires if r.kind == AMOUNT and r.label), "Le montant")
        amount = read_amount(errors, "montant", inputs.get("montant", ""), label)
        if errors:
            raise Invalid(errors)
        application.amount = amount
    if transition.step == VALIDATION and target != application.state:
        check_envelope(request, application)
    return amount


#: Under a bulk action, the procedures whose row this transaction locked, with their envelope and validated total.
BULK_TOTALS = "cagou_aids.envelope_totals"


def check_envelope(request: Request, application: Application) -> None:
    """Refuses (409) a final validation that would take the validated total past the procedure's envelope.

    A bulk validation locks the procedure's row once and keeps the total in the request as it validates file
    after file: the lock is held until its commit, so no other validation can change the total meanwhile."""
    procedure = application.version.procedure
    bulk = locked_by_bulk(request, application)
    totals: dict[int, tuple[int | None, int]] = request.environ.setdefault(BULK_TOTALS, {})
    if bulk and procedure.id in totals:
        envelope, validated = totals[procedure.id]
    else:
        # Every final validation of the procedure waits here for the one before it to commit, then sums what it left.
        request.db.execute(sa.select(Procedure.id).where(Procedure.id == procedure.id).with_for_update())
        envelope = envelope_of(request, procedure)
        validated = 0 if envelope is None else validated_total(request, procedure, application)
    total = validated + (application.amount or 0)
    if envelope is not None and total > envelope:
        raise Refused(f"L'enveloppe de {cfp(envelope)} serait dépassée de {cfp(total - envelope)} : "
                      f"{cfp(int(validated))} sont déjà validés, cette demande en propose "
                      f"{cfp(application.amount or 0)}. Rien n'a été changé.", 409)  # fmt: skip
    if bulk:
        totals[procedure.id] = (envelope, total)


def validated_total(request: Request, procedure: Procedure, application: Application) -> int:
    """The amounts of ``procedure``'s applications validated or further on, ``application``'s left out."""
    spec = workflow_of(procedure)
    validated = request.db.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Application.amount), 0)).where(
            Application.procedure_id == procedure.id, Application.state.in_(committed_states(spec)),
            Application.id != application.id,
        )
    )  # fmt: skip
    return int(validated)


@dataclass(frozen=True)
class EnvelopeUse:
    """What a procedure's envelope is used for, in F CFP; ``envelope`` None while no ceiling is set."""

    envelope: int | None
    proposed: int
    validated: int
    in_acts: int
    in_signed_acts: int
    paid: int

    @property
    def available(self) -> int | None:
        return None if self.envelope is None else self.envelope - self.validated


@implementer(IEnvelopes)
class EnvelopeService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def set(self, procedure: Procedure, amount: int) -> Envelope:
        request = self.request
        request.db.execute(sa.select(Procedure.id).where(Procedure.id == procedure.id).with_for_update())
        use = self.use(procedure)
        if amount < use.validated:
            raise Invalid(FormErrors(montant=f"Le montant est d'au moins {cfp(use.validated)}, ce qui est déjà "
                                             "validé sur cette démarche."))  # fmt: skip
        envelope: Envelope | None = request.db.get(Envelope, procedure.id)
        before = None if envelope is None else envelope.amount
        instant = request.find_service(IClock).now()
        if envelope is None:
            envelope = Envelope(procedure_id=procedure.id, amount=amount, updated_at=instant)
            request.db.add(envelope)
        envelope.amount, envelope.updated_at = amount, instant
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:procedure:envelope", f"Enveloppe de la démarche « {procedure.title} » : {cfp(amount)}.",
            module="aids", object_type="aids_procedure", object_id=str(procedure.id),
            changes={"before": {"envelope": before}, "after": {"envelope": amount}},
        )  # fmt: skip
        return envelope

    def use(self, procedure: Procedure) -> EnvelopeUse:
        db = self.request.db
        version = procedure.workflow_version
        spec = version.parsed if version is not None else None

        def total_in(states: set[str]) -> int:
            return int(db.scalar(sa.select(sa.func.coalesce(sa.func.sum(Application.amount), 0)).where(
                Application.procedure_id == procedure.id, Application.state.in_(states))))  # fmt: skip

        def in_acts(state: str) -> int:
            return int(db.scalar(sa.select(sa.func.coalesce(sa.func.sum(ActLine.amount), 0)).join(Act).where(
                Act.procedure_id == procedure.id, Act.state == state, ActLine.active)))  # fmt: skip

        committed = committed_states(spec) if spec else set()
        paid = {state.code for state in spec.states if state.final and state.code in committed} if spec else set()
        return EnvelopeUse(
            envelope_of(self.request, procedure), total_in(proposed_states(spec) if spec else set()),
            total_in(committed), in_acts(UNSIGNED), in_acts(SIGNED), total_in(paid),
        )  # fmt: skip
