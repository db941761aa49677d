"""Acts ("arrêtés attribuant l'aide"): created from validated applications, signed once, withdrawn or corrected.

Creating an act numbers it under its counter's row lock (no gap, whatever
the number of processes), writes its lines (the database keeps an
application in one act not withdrawn at most) and takes the workflow's
``act`` transition on each application through ``IWorkflows.take``, so that
the transitions, the history, the mails and the audit are those of any
transition; the applications are locked at once and their rows flushed
together, as a bulk action's (:func:`~cagou_aids.services.locks.preloaded`).
Signing renders the PDF once, keeps its bytes (``IFileStorage``)
and their SHA-256, and takes the ``signature`` transition on each
application; a signed act then never changes (409). Withdrawing an unsigned
act frees its applications (the ``act`` transition back to "validée"). The
workflow's ``act`` and ``signature`` transitions are refused to anything
else (:func:`act_guard`): a button would put an application "in an act" that
does not exist.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
import weasyprint
from num2words import num2words
from pyramid.renderers import render
from pyramid.request import Request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload
from weasyprint.urls import URLFetcher
from zope.interface import implementer

from cagou.kit import FormErrors, IAccounts, IAuditLog, IClock, IFileStorage, Invalid, Refused, check_text, local
from cagou_aids.answers import applicant_name
from cagou_aids.definition import RIDET
from cagou_aids.interfaces import IActs, IWorkflows
from cagou_aids.models import Application, Procedure
from cagou_aids.models.acts import (
    ACT_STATES,
    ATTRIBUTION,
    MAX_ACT_TEXT,
    MAX_ACT_TITLE,
    MAX_IMPUTATION,
    MAX_SIGNATORY,
    RECTIFICATION,
    SIGNED,
    UNSIGNED,
    WITHDRAWN_ACT,
    Act,
    ActCounter,
    ActLine,
    ActTemplate,
)  # fmt: skip
from cagou_aids.services.locks import locked_applications, preloaded
from cagou_aids.workflow import ACT, SIGNATURE, VALIDATION, Transition, Workflow

log = logging.getLogger(__name__)

TEMPLATE = "cagou_aids:templates/act_pdf.jinja2"
INSTRUCT, SIGN = "aids:application:instruct", "aids:act:sign"


@dataclass(frozen=True)
class ActTexts:
    """What an act says besides its table of beneficiaries (a procedure's template gives the first ones)."""

    title: str
    visas: str
    considerants: str
    articles: str
    imputation: str
    signatory: str


DEFAULT_TEXTS = ActTexts(
    title="Arrêté attribuant l'aide « {demarche} »",
    visas="Vu la loi organique n° 99-209 du 19 mars 1999 relative à la Nouvelle-Calédonie ;\n"
    "Vu la délibération de l'assemblée de la province Sud instituant l'aide « {demarche} » ;\n"
    "Vu les demandes déposées et leur instruction ;",
    considerants="Considérant que les demandeurs figurant à l'article 1 remplissent les conditions de l'aide ;",
    articles="Le présent arrêté sera transmis au payeur de la province Sud, notifié aux bénéficiaires et publié.",
    imputation="Budget propre de la province Sud, exercice en cours, chapitre 939, nature 6574",
    signatory="Le président de l'assemblée de la province Sud",
)
LIMITS = {
    "title": ("Le titre", MAX_ACT_TITLE), "visas": ("Les visas", MAX_ACT_TEXT),
    "considerants": ("Les considérants", MAX_ACT_TEXT), "articles": ("Les articles", MAX_ACT_TEXT),
    "imputation": ("L'imputation budgétaire", MAX_IMPUTATION), "signatory": ("Le signataire", MAX_SIGNATORY),
}  # fmt: skip


def checked_texts(errors: FormErrors, texts: ActTexts) -> ActTexts:
    values = {name: check_text(errors, name, getattr(texts, name), label, limit, required=name != "articles")
              for name, (label, limit) in LIMITS.items()}  # fmt: skip
    return ActTexts(**values)


def validation_targets(spec: Workflow) -> set[str]:
    return {transition.target for transition in spec.transitions if transition.step == VALIDATION}


def inscription(spec: Workflow) -> Transition | None:
    """The ``act`` transition that puts a validated application into an act."""
    targets = validation_targets(spec)
    return next((t for t in spec.transitions if t.step == ACT and targets & set(t.sources)), None)


def chain_transition(spec: Workflow, step: str) -> Transition:
    """The ``act`` transition out of an act (its withdrawal), or the ``signature`` one, leaving the inscribed
    state; Refused (409) when the workflow has none."""
    entered = inscription(spec)
    found = None if entered is None else next(
        (t for t in spec.leaving(entered.target) if t.step == step and t is not entered), None
    )  # fmt: skip
    if found is None:
        raise Refused("Le circuit de cette démarche ne prévoit pas d'arrêté (transitions « act » et « signature »).",
                      409)  # fmt: skip
    return found


def workflow_of(procedure: Procedure) -> Workflow:
    version = procedure.workflow_version
    if version is None:
        raise Refused("Cette démarche ne suit pas de circuit d'instruction.", 409)
    return version.parsed


def act_guard(request: Request, application: Application, transition: Transition) -> None:
    """Refuses (409) an act's transition taken otherwise than by its act: entering an act needs a line in an
    unsigned act, its signature a line in a signed act, leaving it no line left (the act withdrawn)."""
    if not transition.by_act:
        return
    act_state = request.db.scalar(
        sa.select(Act.state).join(ActLine).where(ActLine.application_id == application.id, ActLine.active)
    )
    spec = workflow_of(application.version.procedure)
    if transition.step == SIGNATURE:
        allowed = act_state == SIGNED
    elif validation_targets(spec) & set(transition.sources):
        allowed = act_state == UNSIGNED
    else:
        allowed = act_state is None
    if not allowed:
        raise Refused(f"« {transition.label} » se fait depuis les arrêtés de la démarche, en créant, signant "
                      "ou retirant un arrêté.", 409)  # fmt: skip


def next_act_number(db: Session, kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``, taken under the counter row's lock (as the receipts' counter):
    a concurrent creation waits for this one's commit, then reads its value; a rolled back one leaves no gap."""
    counter = cast(sa.Table, ActCounter.__table__)
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(counter).values(kind=kind, year=year, last=1)
        .on_conflict_do_update(index_elements=["kind", "year"], set_={"last": counter.c.last + 1})
        .returning(counter.c.last)
    )  # fmt: skip
    number: int = db.execute(statement).scalar_one()
    return number


def ridet_of(application: Application) -> str:
    names = (spec.name for spec in application.version.parsed.fields() if spec.type == RIDET)
    return next((str(application.answers[name]) for name in names if application.answers.get(name)), "")


def in_words(amount: int) -> str:
    """500000 → « cinq cent mille francs CFP »."""
    return f"{num2words(amount, lang='fr')} franc{'s' if amount > 1 else ''} CFP"


def filled_texts(texts: ActTexts, procedure: Procedure) -> ActTexts:
    """The template's texts with the procedure's title where they name ``{demarche}`` (nothing else is read)."""
    values = {name: getattr(texts, name).replace("{demarche}", procedure.title) for name in LIMITS}
    return ActTexts(**values)


@implementer(IActs)
class ActService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def require(self, procedure: Procedure, permission: str, message: str) -> None:
        # Imported here: the workflows' service imports this module (its take calls act_guard).
        from cagou_aids.services.workflows import resource_of

        if not self.request.has_permission(permission, resource_of(self.request, procedure)):
            raise Refused(message, 403)

    def template(self, procedure: Procedure) -> ActTexts:
        stored = self.request.db.get(ActTemplate, procedure.id)
        if stored is None:
            return filled_texts(DEFAULT_TEXTS, procedure)
        return ActTexts(stored.title, stored.visas, stored.considerants, stored.articles, stored.imputation,
                        stored.signatory)  # fmt: skip

    def save_template(self, procedure: Procedure, texts: ActTexts) -> ActTexts:
        request = self.request
        self.require(procedure, "aids:procedure:design", "Le modèle d'arrêté revient au concepteur de la démarche.")
        errors = FormErrors()
        texts = checked_texts(errors, texts)
        if errors:
            raise Invalid(errors)
        before = self.template(procedure)
        stored = request.db.get(ActTemplate, procedure.id)
        instant = request.find_service(IClock).now()
        if stored is None:
            stored = ActTemplate(procedure_id=procedure.id, updated_at=instant, **vars(texts))
            request.db.add(stored)
        for name, value in vars(texts).items():
            setattr(stored, name, value)
        stored.updated_at = instant
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:procedure:act_template", f"Modèle d'arrêté de la démarche « {procedure.title} » enregistré.",
            module="aids", object_type="aids_procedure", object_id=str(procedure.id),
            changes={"before": vars(before), "after": vars(texts)},
        )  # fmt: skip
        return texts

    def candidates(self, procedure: Procedure) -> list[Application]:
        """The validated applications an act may take, oldest first."""
        version = procedure.workflow_version
        entered = inscription(version.parsed) if version is not None else None
        if entered is None:
            return []
        return list(self.request.db.scalars(
            sa.select(Application).where(Application.procedure_id == procedure.id,
                                         Application.state.in_(entered.sources)).order_by(Application.id)
        ))  # fmt: skip

    def new_act(self, procedure: Procedure, kind: str, texts: ActTexts, refers_to: Act | None = None) -> Act:
        request = self.request
        instant = request.find_service(IClock).now()
        year = local(request.registry, instant).year
        act = Act(procedure_id=procedure.id, kind=kind, year=year, number=next_act_number(request.db, kind, year),
                  state=UNSIGNED, created_by_id=request.identity.id, created_at=instant,
                  refers_to_id=refers_to.id if refers_to else None, **vars(texts))  # fmt: skip
        request.db.add(act)
        request.db.flush()
        return act

    def create(self, procedure: Procedure, application_ids: Sequence[int], texts: ActTexts) -> Act:
        request = self.request
        self.require(procedure, INSTRUCT, "Créer un arrêté revient à un instructeur de la direction de cette démarche.")
        version = procedure.workflow_version
        entered = inscription(version.parsed) if version is not None else None
        if entered is None:
            raise Refused("Le circuit de cette démarche ne prévoit pas d'arrêté.", 409)
        errors = FormErrors()
        texts = checked_texts(errors, texts)
        wanted = set(application_ids)
        chosen = locked_applications(request, procedure, wanted) if wanted else []
        if not wanted:
            errors.add("demandes", "Choisissez au moins une demande validée.")
        elif len(chosen) != len(wanted):
            errors.add("demandes", "Une des demandes choisies n'est pas de cette démarche.")
        not_ready = [a.receipt for a in chosen if a.state not in entered.sources or not a.amount]
        if not_ready:
            errors.add("demandes", f"Ces demandes ne sont pas validées avec un montant : {', '.join(not_ready[:10])}"
                                   f"{' …' if len(not_ready) > 10 else ''}.")  # fmt: skip
        if errors:
            raise Invalid(errors)
        act = self.new_act(procedure, ATTRIBUTION, texts)
        request.db.add_all(ActLine(act_id=act.id, application_id=a.id, amount=a.amount) for a in chosen)
        request.db.flush()
        self.take_on_each(chosen, entered.code)
        request.db.refresh(act)
        self.audit(act, "aids:act:create", f"Arrêté n° {act.reference} créé : {len(chosen)} bénéficiaire(s).")
        return act

    def rectify(self, act: Act, texts: ActTexts) -> Act:
        """A rectificatif of the signed ``act``: its own texts, referring to it, numbered in its own series."""
        procedure = act.procedure
        self.require(procedure, INSTRUCT, "Créer un arrêté revient à un instructeur de la direction de cette démarche.")
        if act.state != SIGNED:
            raise Refused("Seul un arrêté signé se corrige par un rectificatif : celui-ci se modifie en le "
                          "retirant puis en en créant un autre.", 409)  # fmt: skip
        errors = FormErrors()
        texts = checked_texts(errors, texts)
        if errors:
            raise Invalid(errors)
        rectificatif = self.new_act(procedure, RECTIFICATION, texts, refers_to=act)
        self.audit(rectificatif, "aids:act:create",
                   f"Arrêté rectificatif n° {rectificatif.reference} de l'arrêté n° {act.reference} créé.")  # fmt: skip
        return rectificatif

    def locked_unsigned(self, act: Act) -> None:
        """Locks the act's row, and refuses (409) an act that is no longer in preparation."""
        self.request.db.refresh(act, with_for_update=True)
        if act.state == SIGNED:
            raise Refused(f"L'arrêté n° {act.reference} est signé : il ne change plus. Pour le corriger, créez un "
                          "arrêté rectificatif.", 409)  # fmt: skip
        if act.state == WITHDRAWN_ACT:
            raise Refused(f"L'arrêté n° {act.reference} est retiré : il ne change plus.", 409)

    def sign(self, act: Act) -> Act:
        request = self.request
        procedure = act.procedure
        self.require(procedure, SIGN, "Signer un arrêté revient à un signataire de la direction de cette démarche.")
        self.locked_unsigned(act)
        signature = chain_transition(workflow_of(procedure), SIGNATURE) if act.lines else None
        act.state, act.signed_by_id = SIGNED, request.identity.id
        act.signed_at = request.find_service(IClock).now()
        data = self.render(act)
        act.pdf_sha256 = hashlib.sha256(data).hexdigest()
        act.pdf_key = request.find_service(IFileStorage).store(data, pdf_name(act), "application/pdf")
        request.db.flush()
        if signature is not None:
            self.take_on_each(self.locked_lines(act), signature.code)
        self.audit(act, "aids:act:sign", f"Arrêté n° {act.reference} signé (SHA-256 {act.pdf_sha256}).",
                   sha256=act.pdf_sha256)  # fmt: skip
        return act

    def withdraw(self, act: Act) -> Act:
        request = self.request
        procedure = act.procedure
        self.require(procedure, INSTRUCT, "Retirer un arrêté revient à un instructeur de la direction de cette "
                                          "démarche.")  # fmt: skip
        self.locked_unsigned(act)
        release = chain_transition(workflow_of(procedure), ACT) if act.lines else None
        for line in act.lines:
            line.active = False
        act.state, act.withdrawn_at = WITHDRAWN_ACT, request.find_service(IClock).now()
        request.db.flush()
        if release is not None:
            self.take_on_each(self.locked_lines(act), release.code)
        self.audit(act, "aids:act:withdraw", f"Arrêté n° {act.reference} retiré : {len(act.lines)} demande(s) "
                                             "libérée(s).")  # fmt: skip
        return act

    def locked_lines(self, act: Act) -> list[Application]:
        """The applications of ``act``'s lines, locked at once in id order (as a bulk action locks its files)."""
        return locked_applications(self.request, act.procedure, [line.application_id for line in act.lines])

    def take_on_each(self, applications: Sequence[Application], code: str) -> None:
        """The act's transition ``code`` on each of ``applications`` (locked by :func:`locked_applications`),
        with every check, history line, mail and audit entry of ``IWorkflows.take``, their transitions read in
        one query and their rows flushed together, as a bulk action does (services/locks.py)."""
        workflows = self.request.find_service(IWorkflows)
        with preloaded(self.request, applications):
            for application in applications:
                workflows.take(application, code, {}, application.state)

    def audit(self, act: Act, action: str, summary: str, sha256: str = "") -> None:
        after = {"reference": act.reference, "state": act.state, "lines": len(act.lines), "total": act.total,
                 "refers_to": act.refers_to_id}  # fmt: skip
        if sha256:
            after["sha256"] = sha256
        self.request.find_service(IAuditLog).record(
            action, summary, module="aids", object_type="aids_act", object_id=str(act.id), changes={"after": after}
        )

    def pdf(self, act: Act) -> bytes:
        """The signed act's frozen bytes, or the draft as it would print now (marked as a draft)."""
        if act.state == SIGNED:
            with self.request.find_service(IFileStorage).open(act.pdf_key) as stored:
                data: bytes = stored.read()
            return data
        return self.render(act)

    def render(self, act: Act) -> bytes:
        request = self.request
        started = time.perf_counter()
        lines = list(request.db.scalars(
            sa.select(ActLine).where(ActLine.act_id == act.id).order_by(ActLine.id)
            .options(selectinload(ActLine.application).selectinload(Application.version))
        ))  # fmt: skip
        rows = [(applicant_name(line.application), ridet_of(line.application), line.amount) for line in lines]
        total = sum(line.amount for line in lines)
        signer = request.find_service(IAccounts).by_id(act.signed_by_id) if act.signed_by_id else None
        values = {
            "act": act, "procedure": act.procedure, "rows": rows, "total": total, "total_words": in_words(total),
            "states": ACT_STATES, "signed_at": local(request.registry, act.signed_at) if act.signed_at else None,
            "signer": signer.display_name if signer else "", "refers_to": act.refers_to, "visas": paragraphs(act.visas),
            "considerants": paragraphs(act.considerants), "articles": paragraphs(act.articles),
        }  # fmt: skip
        html = render(TEMPLATE, values, request=request)
        data: bytes = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
        log.info("Arrêté %s rendu en %.0f ms (%d lignes, %d octets).", act.reference,
                 (time.perf_counter() - started) * 1000, len(rows), len(data))  # fmt: skip
        return data


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def pdf_name(act: Act) -> str:
    return f"arrete-{act.reference}.pdf"
