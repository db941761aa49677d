"""The core's mail hooks: the retry schedule and the outbox health."""

from __future__ import annotations

import sqlalchemy as sa
from pyramid.request import Request

from cagou.contributions import HealthResult, Permission, ScheduledJob
from cagou.hookspecs import hookimpl
from cagou.mail.models import FAILED, OutboxMail
from cagou.mail.services import deliver_due_mail


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [Permission("core:mail:view", "Consulter les courriels envoyés par la plateforme")]


@hookimpl
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    return [
        ScheduledJob(
            name="core.mail.retry",
            schedule="* * * * *",
            run=deliver_due_mail,
            title="Envoyer les courriels en attente",
        )
    ]


@hookimpl
def cagou_health_checks(request: Request) -> list[HealthResult]:
    failed = request.db.scalar(sa.select(sa.func.count()).where(OutboxMail.status == FAILED))
    if failed:
        return [HealthResult("courriels", False, f"{failed} courriel(s) définitivement en échec")]
    return [HealthResult("courriels", True, "Aucun courriel en échec")]
