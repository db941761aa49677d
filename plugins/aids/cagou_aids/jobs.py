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
- **Quarantine**: every five minutes, the files a scanner could not look at
  when they were sent are scanned again (:mod:`cagou_aids.scanning`).
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from pyramid.registry import Registry

from cagou.kit import IAuditLog, IClock, IMailer, ScheduledJob, transaction_scope
from cagou_aids.models import Application, ApplicationEvent, Draft, Procedure, StoredFile
from cagou_aids.scanning import scan_quarantined

DRAFT_DAYS, REMINDER_DAYS = 30, 7
#: The history's state for an application whose retention period ended.
ANONYMISED = "anonymisee"
DAYS_PER_MONTH = 30.4375


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


SCHEDULED_JOBS = [
    ScheduledJob("aids.drafts.expire", "30 3 * * *", expire_drafts, "Brouillons expirés supprimés, rappels envoyés"),
    ScheduledJob("aids.retention", "45 3 * * *", apply_retention, "Durée de conservation des demandes appliquée"),
    ScheduledJob("aids.files.scan", "*/5 * * * *", scan_quarantined, "Fichiers en quarantaine analysés à nouveau"),
]
