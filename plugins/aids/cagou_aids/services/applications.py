"""Applications: the answers read again whole, a receipt number that is never given twice, stored once."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from zope.interface import implementer

from cagou.kit import Account, FormErrors, IAuditLog, IClock, IMailer, Invalid, Refused, check_address, local, savepoint
from cagou_aids import mails
from cagou_aids.answers import sort_key
from cagou_aids.definition import FILE, Definition
from cagou_aids.forms import check_answers
from cagou_aids.interfaces import IApplications, IReceipts
from cagou_aids.models import (
    PUBLISHED,
    SUBMITTED,
    TEST,
    WITHDRAWABLE,
    WITHDRAWN,
    Application,
    ApplicationEvent,
    Procedure,
    ReceiptCounter,
    StoredFile,
)  # fmt: skip
from cagou_aids.services.receipts import receipt_name

MAX_KEY = 64


def next_receipt(db: Session, prefix: str, year: int) -> str:
    """The next number of ``prefix`` in ``year`` (``RAP-2026-000042``), taken under the counter row's lock."""
    counter = cast(sa.Table, ReceiptCounter.__table__)
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    db.execute(dialect.insert(counter).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing())
    number = db.execute(
        sa.update(counter)
        .where(counter.c.prefix == prefix, counter.c.year == year)
        .values(last=counter.c.last + 1)
        .returning(counter.c.last)
    ).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


@implementer(IApplications)
class ApplicationService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def submit(
        self, procedure: Procedure, answers: dict[str, Any], idempotency_key: str, email: str,
        applicant: Account | None = None, files: Sequence[StoredFile] = (),
    ) -> Application:  # fmt: skip
        request = self.request
        if not idempotency_key or len(idempotency_key) > MAX_KEY:
            raise Refused("Le formulaire a expiré : rechargez la page, vos réponses sont conservées.", 400)
        existing = self.sent_with(procedure, idempotency_key)
        if existing is not None:
            return existing
        instant = request.find_service(IClock).now()
        check_open(request, procedure, instant)
        version = procedure.published if procedure.state == PUBLISHED else procedure.latest
        assert version is not None  # a published procedure has a published version
        definition = version.parsed
        kept = check_answers(definition, answers, local(request.registry, instant).date())
        try:
            email = check_address(email)
        except ValueError as error:
            raise Invalid(FormErrors(email=str(error))) from None
        receipt = next_receipt(request.db, procedure.receipt_prefix, local(request.registry, instant).year)
        # Looked for under the counter's row lock, which every submission of the procedure takes first: two
        # submissions of the same person at once are seen one after the other, never both as the first.
        identity = identity_of(definition, kept)
        is_test = procedure.state == TEST
        first = self.first_of(procedure, identity, is_test) if identity else None
        application = Application(
            procedure_id=procedure.id, version_id=version.id, receipt=receipt, answers=kept,
            applicant_id=applicant.id if applicant is not None else None, email=email,
            idempotency_key=idempotency_key, is_test=is_test, submitted_at=instant, identity=identity,
            duplicate_of=first,
        )  # fmt: skip
        try:
            with savepoint(request.db):
                request.db.add(application)
                request.db.flush()
        except sa.exc.IntegrityError:
            # The same submission from another process, committed meanwhile: the one it stored.
            replayed = self.sent_with(procedure, idempotency_key)
            if replayed is None:
                raise
            return replayed
        request.db.add(
            ApplicationEvent(application_id=application.id, at=instant, state=SUBMITTED,
                             text=f"Demande déposée, numéro {receipt}.")
        )  # fmt: skip
        sent = {
            reference for spec in definition.fields() if spec.type == FILE for reference in kept.get(spec.name) or []
        }
        attached = [stored for stored in files if stored.sha256 in sent and stored.application_id is None]
        for stored in attached:
            stored.application_id = application.id
        request.db.flush()
        pdf = request.find_service(IReceipts).pdf(application)
        # In the same transaction: the mail leaves if and only if the application is stored.
        request.find_service(IMailer).send(
            email, f"Demande enregistrée : {receipt}",
            mails.confirmation(procedure, application, definition, local(request.registry, instant), attached),
            attachments=[(receipt_name(application), "application/pdf", pdf)],
        )  # fmt: skip
        test = " (test)" if application.is_test else ""
        duplicate = f", doublon possible de {first.receipt}" if first is not None else ""
        request.find_service(IAuditLog).record(
            "aids:application:submit", f"Demande {receipt} déposée sur « {procedure.title} »{test}{duplicate}.",
            module="aids", object_type="aids_application", object_id=str(application.id),
            changes={"after": {"receipt": receipt, "version": version.number,
                               "duplicate_of": first.receipt if first is not None else None}},
        )  # fmt: skip
        return application

    def withdraw(self, application: Application, applicant: Account | None) -> Application:
        request = self.request
        if application.applicant_id != (applicant.id if applicant is not None else None):
            raise Refused("Cette demande n'existe pas.", 404)
        if application.state == WITHDRAWN:
            raise Refused("Cette demande est déjà retirée.", 409)
        if application.state not in WITHDRAWABLE:
            raise Refused("Une décision est prise sur cette demande : elle ne peut plus être retirée.", 409)
        instant = request.find_service(IClock).now()
        before = application.state
        application.state = WITHDRAWN
        request.db.add(ApplicationEvent(application_id=application.id, at=instant, state=WITHDRAWN,
                                        text="Demande retirée par le demandeur."))  # fmt: skip
        request.db.flush()
        guest = " (sans compte, par son lien personnel)" if applicant is None else ""
        request.find_service(IAuditLog).record(
            "aids:application:withdraw", f"Demande {application.receipt} retirée par le demandeur{guest}.",
            module="aids",
            object_type="aids_application", object_id=str(application.id),
            changes={"before": {"state": before}, "after": {"state": WITHDRAWN}},
        )  # fmt: skip
        return application

    def first_of(self, procedure: Procedure, identity: str, is_test: bool) -> Application | None:
        """The first application of the same person on ``procedure`` (tests compared with tests only).

        The first is the one that is no one's duplicate: submissions take their instant before the counter's
        lock, so a later one in the lock's order may carry an earlier ``submitted_at``.
        """
        found: Application | None = self.request.db.scalar(
            sa.select(Application)
            .where(Application.procedure_id == procedure.id, Application.identity == identity,
                   Application.is_test.is_(is_test), Application.duplicate_of_id.is_(None))
            .order_by(Application.submitted_at, Application.id)
            .limit(1)
        )  # fmt: skip
        return found

    def sent_with(self, procedure: Procedure, key: str) -> Application | None:
        found: Application | None = self.request.db.scalar(
            sa.select(Application).where(Application.procedure_id == procedure.id, Application.idempotency_key == key)
        )
        return found


def identity_of(definition: Definition, answers: dict[str, Any]) -> str | None:
    """Who applies, from the answers the definition ``identifies``: case, accents and spacing left aside."""
    if not definition.identifies:
        return None
    parts = [answers.get(name) for name in definition.identifies]
    if any(part is None or part == "" for part in parts):
        return None
    return "|".join(" ".join(sort_key(str(part)).split()) for part in parts)[:300]


def check_open(request: Request, procedure: Procedure, instant: datetime.datetime) -> None:
    """Refused (409) unless ``procedure`` takes submissions at ``instant``, saying when it opens or closed."""
    registry = request.registry
    if procedure.state not in (PUBLISHED, TEST):
        raise Refused("Cette démarche n'est pas ouverte aux dépôts.", 409)
    if procedure.opens_at is not None and instant < procedure.opens_at:
        opens = local(registry, procedure.opens_at)
        raise Refused(f"Cette démarche ouvre le {opens:%d/%m/%Y à %H:%M}.", 409)
    if procedure.closes_at is not None and instant >= procedure.closes_at:
        closed = local(registry, procedure.closes_at)
        raise Refused(f"Cette démarche est close depuis le {closed:%d/%m/%Y à %H:%M} : les dépôts sont fermés.", 409)
