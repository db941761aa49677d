"""Applications: the answers read again whole, a receipt number that is never given twice, stored once."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from zope.interface import implementer

from cagou.kit import (
    Account,
    FormErrors,
    IAuditLog,
    IClock,
    IJobQueue,
    IMailer,
    Invalid,
    Refused,
    check_address,
    local,
)  # fmt: skip
from cagou_aids import mails
from cagou_aids.answers import sort_key
from cagou_aids.definition import FILE, Definition
from cagou_aids.forms import check_answers
from cagou_aids.interfaces import IApplications, IAssignments, IReceipts
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
from cagou_aids.queries import files_sent
from cagou_aids.services.receipts import receipt_name

MAX_KEY = 64
#: The job that composes an application's confirmation and its PDF receipt (:func:`cagou_aids.jobs.confirm`).
CONFIRM_JOB = "aids.confirm"


def next_receipt(db: Session, prefix: str, year: int) -> str:
    """The next number of ``prefix`` in ``year`` (``RAP-2026-000042``), taken under the counter row's lock.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the year's first submission creates the row at 1, the
    others add one; on PostgreSQL a concurrent submission waits for this one's commit, then reads its value.
    """
    counter = cast(sa.Table, ReceiptCounter.__table__)
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(counter)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": counter.c.last + 1})
        .returning(counter.c.last)
    )
    number: int = db.execute(statement).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


@implementer(IApplications)
class ApplicationService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def submit(
        self, procedure: Procedure, answers: dict[str, Any], idempotency_key: str, email: str,
        applicant: Account | None = None, files: Sequence[StoredFile] = (), checked: bool = False,
    ) -> Application:  # fmt: skip
        request = self.request
        if not idempotency_key or len(idempotency_key) > MAX_KEY:
            raise Refused("Le formulaire a expiré : rechargez la page, vos réponses sont conservées.", 400)
        existing = None if checked else self.sent_with(procedure, idempotency_key)
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
        identity = identity_of(definition, kept)
        is_test = procedure.state == TEST
        sent = {
            reference for spec in definition.fields() if spec.type == FILE for reference in kept.get(spec.name) or []
        }
        attached = [stored for stored in files if stored.sha256 in sent and stored.application_id is None]
        # Taken as late as possible: every statement from here to the commit holds the counter's row lock,
        # which each submission of the procedure waits for.
        receipt = next_receipt(request.db, procedure.receipt_prefix, local(request.registry, instant).year)
        # Looked for under the counter's row lock, which every submission of the procedure takes first: two
        # submissions of the same person at once are seen one after the other, never both as the first.
        first = self.first_of(procedure, identity, is_test) if identity else None
        application = self.insert(
            procedure_id=procedure.id, version_id=version.id, receipt=receipt, state=SUBMITTED, answers=kept,
            applicant_id=applicant.id if applicant is not None else None, email=email,
            idempotency_key=idempotency_key, is_test=is_test, submitted_at=instant, identity=identity,
            duplicate_of_id=first.id if first is not None else None,
        )  # fmt: skip
        if application is None:
            # The same submission from another process, committed meanwhile: the one it stored.
            replayed = self.sent_with(procedure, idempotency_key)
            assert replayed is not None  # only the key's unique constraint can refuse the row
            return replayed
        # Held by the application: the session keeps ``first`` only while something refers to it, and the
        # answer and the job read it again (a SELECT otherwise).
        set_committed_value(application, "duplicate_of", first)
        request.db.add(
            ApplicationEvent(application_id=application.id, at=instant, state=SUBMITTED,
                             text=f"Demande déposée, numéro {receipt}.")
        )  # fmt: skip
        for stored in attached:
            stored.application_id = application.id
        request.find_service(IAssignments).route(application)  # its group of instructors, once
        # The confirmation and its PDF receipt are composed by the worker (jobs.confirm), whose job is
        # queued in this transaction: the mail leaves if and only if the application is stored, and the
        # half second of printing is not spent under the counter's lock. The job writes it once whatever
        # the number of runs, and the sweep runs it again for an application whose job was lost.
        request.find_service(IJobQueue).enqueue(CONFIRM_JOB, application_id=application.id)
        test = " (test)" if application.is_test else ""
        duplicate = f", doublon possible de {first.receipt}" if first is not None else ""
        request.find_service(IAuditLog).record(
            "aids:application:submit", f"Demande {receipt} déposée sur « {procedure.title} »{test}{duplicate}.",
            module="aids", object_type="aids_application", object_id=str(application.id),
            changes={"after": {"receipt": receipt, "version": version.number,
                               "duplicate_of": first.receipt if first is not None else None}},
        )  # fmt: skip
        return application

    def insert(self, **values: Any) -> Application | None:
        """The application's row, written by one INSERT … RETURNING; None when its idempotency key is taken.

        ``ON CONFLICT DO NOTHING`` rather than a savepoint: on PostgreSQL it waits for a concurrent
        transaction inserting the same key, and answers nothing once that one committed.
        """
        db = self.request.db
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(Application)
            .values(values)
            .on_conflict_do_nothing(index_elements=["procedure_id", "idempotency_key"])
            .returning(Application)
        )
        inserted: Application | None = db.scalars(statement).one_or_none()
        return inserted

    def confirm(self, application: Application) -> int | None:
        request = self.request
        if application.confirmed_at is not None:
            return None
        procedure = application.version.procedure
        definition = application.version.parsed
        pdf = request.find_service(IReceipts).pdf(application)
        attached = files_sent(request.db, application)
        mail_id: int | None = request.find_service(IMailer).send(
            application.email, f"Demande enregistrée : {application.receipt}",
            mails.confirmation(procedure, application, definition, local(request.registry, application.submitted_at),
                               attached),
            attachments=[(receipt_name(application), "application/pdf", pdf)],
            key=f"aids.application.{application.id}.confirmation",
        )  # fmt: skip
        application.confirmed_at = request.find_service(IClock).now()
        return mail_id

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
