"""The aids module's scheduled work: drafts that expire (with a reminder first), and the retention period.

- **Drafts** not touched for ``aids.draft_days`` (30 by default) are deleted
  with their files; ``aids.draft_reminder_days`` (7) before, their author
  gets one mail with the link to resume. A submitted draft is the
  application's and never expires here.
- **Retention**: an application older than its procedure's retention period
  (the personal-data notice's ``retention_months``) is anonymised: its
  answers, address, identity and files are erased; its number, procedure,
  dates and history stay, so that the figures and the audit log still add
  up. Each run that erases something writes one audit entry.
- **Confirmations**: the mail that acknowledges an application, with its
  PDF receipt, is composed by the job ``aids.confirm`` (:func:`confirm`),
  queued by the submission's transaction; every minute, the applications
  whose job was lost are confirmed (:func:`confirm_forgotten`).
- **Quarantine**: every five minutes, the files a scanner could not look at
  when they were sent are scanned again (:mod:`cagou_aids.scanning`).
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from pyramid.registry import Registry

from cagou.kit import IAuditLog, IClock, IMailer, ScheduledJob, deliver_mail, transaction_scope
from cagou_aids.interfaces import IApplications
from cagou_aids.models import Application, ApplicationEvent, Draft, Procedure, StoredFile
from cagou_aids.scanning import scan_quarantined
from cagou_aids.services.annotations import erase_annotations
from cagou_aids.services.opinions import remind_experts

DRAFT_DAYS, REMINDER_DAYS = 30, 7
#: The history's state for an application whose retention period ended.
ANONYMISED = "anonymisee"
DAYS_PER_MONTH = 30.4375
#: An application still unconfirmed this long after its submission lost its job: the worker runs a job
#: within seconds (half a second of it printing the PDF), and a failing one is retried a minute later.
CONFIRM_GRACE = datetime.timedelta(minutes=3)
#: At most this many applications per sweep: each one prints a PDF.
SWEEP_BATCH = 100


def setting(registry: Registry, name: str, default: int) -> int:
    return int(registry.settings.get(name, default))


def expire_drafts(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        now = request.find_service(IClock).now()
        days = setting(registry, "aids.draft_days", DRAFT_DAYS)
        remind = setting(registry, "aids.draft_reminder_days", REMINDER_DAYS)
        waiting = Draft.application_id.is_(None)
        expired = list(request.db.scalars(
            sa.select(Draft.id).where(waiting, Draft.updated_at < now - datetime.timedelta(days=days))
        ))  # fmt: skip
        if expired:
            request.db.execute(sa.delete(StoredFile).where(StoredFile.draft_id.in_(expired),
                                                           StoredFile.application_id.is_(None)))  # fmt: skip
            request.db.execute(sa.update(StoredFile).where(StoredFile.draft_id.in_(expired)).values(draft_id=None))
            request.db.execute(sa.delete(Draft).where(Draft.id.in_(expired)))
        due = request.db.scalars(sa.select(Draft).where(
            waiting, Draft.reminded_at.is_(None), Draft.email != "",
            Draft.updated_at < now - datetime.timedelta(days=days - remind),
        ))  # fmt: skip
        for draft in due:
            link = request.route_url("aids.step", slug=draft.procedure.slug, token=draft.token, number=1)
            request.find_service(IMailer).send(
                draft.email, f"Votre brouillon « {draft.procedure.title} » sera bientôt supprimé",
                f"Bonjour,\n\nVous avez commencé la démarche « {draft.procedure.title} » sans la déposer.\n"
                f"Sans nouvelle modification, ce brouillon sera supprimé dans {remind} jours.\n\n"
                f"Pour le reprendre : {link}\n\nLa province Sud",
            )  # fmt: skip
            draft.reminded_at = now


def apply_retention(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        now = request.find_service(IClock).now()
        for procedure in request.db.scalars(sa.select(Procedure)):
            months = procedure.data_notice.get("retention_months")
            if not isinstance(months, int) or months <= 0:
                continue
            limit = now - datetime.timedelta(days=months * DAYS_PER_MONTH)
            expired = list(request.db.scalars(sa.select(Application.id).where(
                Application.procedure_id == procedure.id, Application.submitted_at < limit,
                Application.anonymised_at.is_(None),
            )))  # fmt: skip
            if not expired:
                continue
            request.db.execute(sa.delete(StoredFile).where(StoredFile.application_id.in_(expired)))
            erase_annotations(request.db, expired)
            request.db.execute(
                sa.update(Application).where(Application.id.in_(expired))
                .values(answers={}, email="", identity=None, anonymised_at=now)
            )  # fmt: skip
            erased = "Durée de conservation écoulée : réponses et fichiers effacés."
            for application_id in expired:
                request.db.add(ApplicationEvent(application_id=application_id, at=now, state=ANONYMISED, text=erased))
            request.find_service(IAuditLog).record(
                "aids:retention:apply",
                f"Durée de conservation de « {procedure.title} » ({months} mois) : "
                f"{len(expired)} demande(s) anonymisée(s).",
                module="aids", object_type="aids_procedure", object_id=str(procedure.id),
                changes={"after": {"anonymised": len(expired)}},
            )  # fmt: skip


def confirm(registry: Registry, application_id: int) -> None:
    """Queued by the submission, in its transaction: the confirmation with its PDF receipt, written and sent.

    Composed and recorded (``Application.confirmed_at``) in one transaction,
    once whatever the number of runs (``IApplications.confirm``). Sent at once
    after the commit, ahead of the mails queued meanwhile (a message of the
    instructor); the delivery job queued with the mail then finds it sent.
    """
    with transaction_scope(registry) as request:
        application = request.db.get(Application, application_id)
        if application is None or application.anonymised_at is not None:
            return  # deleted with its procedure's test applications, or erased: nothing to confirm
        mail_id = request.find_service(IApplications).confirm(application)
    if mail_id is not None:
        deliver_mail(registry, mail_id)


def sweep_confirmations(registry: Registry) -> None:
    """The scheduled job ``aids.confirm.sweep``, every minute."""
    confirm_forgotten(registry)


def confirm_forgotten(registry: Registry, grace: datetime.timedelta = CONFIRM_GRACE) -> int:
    """Confirm the applications whose job was lost; return how many were found.

    Huey takes a job off its queue before running it: a worker killed while
    holding it, or a database outage while it runs, loses it. An application
    submitted more than ``grace`` ago and not yet confirmed is one of those.
    """
    with transaction_scope(registry) as request:
        limit = request.find_service(IClock).now() - grace
        forgotten = list(request.db.scalars(
            sa.select(Application.id)
            .where(Application.confirmed_at.is_(None), Application.submitted_at <= limit,
                   Application.anonymised_at.is_(None))
            .order_by(Application.submitted_at)
            .limit(SWEEP_BATCH)
        ))  # fmt: skip
    for application_id in forgotten:
        confirm(registry, application_id)
    return len(forgotten)


SCHEDULED_JOBS = [
    ScheduledJob("aids.drafts.expire", "30 3 * * *", expire_drafts, "Brouillons expirés supprimés, rappels envoyés"),
    ScheduledJob("aids.retention", "45 3 * * *", apply_retention, "Durée de conservation des demandes appliquée"),
    ScheduledJob(
        "aids.confirm.sweep",
        "* * * * *",
        sweep_confirmations,
        "Envoyer les accusés de dépôt dont la tâche a été perdue",
    ),
    ScheduledJob("aids.files.scan", "*/5 * * * *", scan_quarantined, "Fichiers en quarantaine analysés à nouveau"),
    ScheduledJob("aids.opinions.remind", "0 7 * * *", remind_experts, "Experts sans réponse relancés"),
]
