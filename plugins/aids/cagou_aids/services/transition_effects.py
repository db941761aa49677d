"""What a workflow's transition produces besides its state: the documents for the applicant, the request for
documents it closes.

A transition whose definition names a ``document`` prints it with WeasyPrint, as the receipt is printed
(:mod:`cagou_aids.services.receipts`): ``"decision_refus"`` (the business aid's refusal: the motivation) or
``"decision_attribution"`` (its act's signature: the amount in figures and in words, the act's number and date of
signature), both with the procedure, the applicant, the number, the dates in Nouméa time and the routes and delays
of appeal. The PDF is kept through ``IFileStorage`` as one of the application's files (``aids_file.field`` =
``decision``): "Mes démarches", the intranet's page and the ZIP of everything list it as they list the others. It
is attached to the transition's own mail (the workflows' service leaves that mail to this module when the
transition has a document), or to a mail of its own when the transition has none; audited
``aids:decision:document``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import sqlalchemy as sa
import weasyprint
from pyramid.renderers import render
from pyramid.request import Request
from weasyprint.urls import URLFetcher

from cagou.kit import IAuditLog, IClock, IFileStorage, IMailer, local
from cagou_aids.answers import applicant_name
from cagou_aids.interfaces import IDocumentRequests, IWorkflows
from cagou_aids.models import Application, StoredFile
from cagou_aids.models.acts import SIGNED, Act, ActLine
from cagou_aids.services.acts import in_words
from cagou_aids.services.envelopes import cfp
from cagou_aids.workflow import Transition, filled

log = logging.getLogger(__name__)
#: The field under which a decision letter is kept with the application's files.
DECISION_FIELD = "decision"
PDF = "application/pdf"


def after_transition(request: Request, application: Application, transition: Transition, before: str,
                     motivation: str) -> None:  # fmt: skip
    """The effects of ``transition``, taken from ``before``: the one call :meth:`WorkflowService.take` makes."""
    request.find_service(IDocumentRequests).close_on_leaving(application, before)
    if transition.document:
        decision_letter(request, application, transition, motivation)


def signed_line(request: Request, application: Application) -> ActLine | None:
    """The application's line in a signed act (the one its award letter names), if any."""
    statement = (
        sa.select(ActLine).join(Act, Act.id == ActLine.act_id)
        .where(ActLine.application_id == application.id, ActLine.active, Act.state == SIGNED)
        .order_by(ActLine.id.desc()).limit(1)
    )  # fmt: skip
    line: ActLine | None = request.db.scalars(statement).first()
    return line


def letter_pdf(request: Request, application: Application, motivation: str, document: str = "decision_refus") -> bytes:
    started = time.perf_counter()
    now = request.find_service(IClock).now()
    values: dict[str, Any] = {
        "application": application, "procedure": application.version.procedure, "award": None,
        "applicant": applicant_name(application), "submitted": local(request.registry, application.submitted_at),
        "decided": local(request.registry, now), "motivation": motivation,
    }  # fmt: skip
    line = signed_line(request, application) if document == "decision_attribution" else None
    if line is not None:
        act = line.act
        values["award"] = {"figures": cfp(line.amount), "words": in_words(line.amount), "act": act.reference,
                           "signed": local(request.registry, act.signed_at or now)}  # fmt: skip
    html = render("cagou_aids:templates/decision_letter.jinja2", values, request=request)
    data: bytes = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    log.info("Lettre de décision %s rendue en %.0f ms (%d octets).", application.receipt,
             (time.perf_counter() - started) * 1000, len(data))  # fmt: skip
    return data


def decision_letter(request: Request, application: Application, transition: Transition, motivation: str) -> StoredFile:
    data = letter_pdf(request, application, motivation, transition.document)
    filename = f"decision-{application.receipt}.pdf"
    stored = StoredFile(
        application_id=application.id, field=DECISION_FIELD, sha256=hashlib.sha256(data).hexdigest(), filename=filename,
        size=len(data), content_type=PDF, storage_key=request.find_service(IFileStorage).store(data, filename, PDF),
        created_at=request.find_service(IClock).now(),
    )  # fmt: skip
    request.db.add(stored)
    request.db.flush()
    if application.email:
        subject, body = letter_mail(request, application, transition, motivation)
        request.find_service(IMailer).send(application.email, subject, body, attachments=[(filename, PDF, data)])
    request.find_service(IAuditLog).record(
        "aids:decision:document", f"Lettre de décision de la demande {application.receipt} ({transition.label}).",
        module="aids", object_type="aids_application", object_id=str(application.id),
        changes={"after": {"document": transition.document, "file": stored.id, "sha256": stored.sha256}},
    )  # fmt: skip
    return stored


def letter_mail(request: Request, application: Application, transition: Transition, motivation: str) -> tuple[str, str]:
    """The transition's own mail, filled as the workflows' service fills it; a mail of the letter's own without."""
    procedure = application.version.procedure
    if transition.mail is not None:
        reached = request.find_service(IWorkflows).spec_of(application)[1].state(application.state)
        values = {"numero": application.receipt, "demarche": procedure.title,
                  "etat": reached.label if reached else application.state, "motivation": motivation}  # fmt: skip
        return filled(transition.mail.subject, values), filled(transition.mail.body, values)
    return (
        f"Lettre de décision : {application.receipt}",
        f"Bonjour,\n\nVous trouverez ci-joint la lettre de décision sur votre demande {application.receipt} "
        f"« {procedure.title} », avec les voies et délais de recours.\n\nElle reste téléchargeable depuis la page "
        "de votre demande (Mes démarches, ou votre lien personnel).\n\nLa province Sud",
    )
