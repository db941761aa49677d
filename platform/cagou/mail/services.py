"""The transaction-aware mailer and the delivery of the outbox.

``IMailer.send`` writes the message in the outbox within the caller's
transaction and asks the worker to deliver it once that transaction commits:
a request that fails sends nothing. Delivery takes the row with
``FOR UPDATE SKIP LOCKED`` (on PostgreSQL), so two workers never send the same
message, and a failed attempt is tried again later with a growing delay,
``cagou.mail.max_attempts`` times. The scheduled job ``core.mail.retry``
picks up whatever is due, including messages whose first hand-off was lost.
The bodies are kept encrypted (``ISecrets``) and decrypted only to be sent.
"""

from __future__ import annotations

import datetime
import logging
import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, cast

import sqlalchemy as sa
import zope.sqlalchemy
from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer

from cagou.db import transaction_scope
from cagou.interfaces import IClock, IJobQueue, IMailer, ISecrets
from cagou.mail.delivery import Delivery
from cagou.mail.models import FAILED, PENDING, SENT, OutboxMail
from cagou.secrets import get_secrets

log = logging.getLogger(__name__)

DELIVER_JOB = "core.mail.deliver"
ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
MAXIMUM_DELAY = datetime.timedelta(hours=1)
OUTBOX_TABLE = cast(sa.Table, OutboxMail.__table__)
INSERT_MAIL = sa.insert(OUTBOX_TABLE).returning(OUTBOX_TABLE.c.id)


def check_address(address: str) -> str:
    address = address.strip()
    if not ADDRESS.match(address) or len(address) > 254:
        raise ValueError(f"Adresse électronique invalide : « {address} ».")
    return address


@implementer(IMailer)
class OutboxMailer:
    def __init__(self, request: Request) -> None:
        self.request = request

    def send(
        self,
        to: str,
        subject: str,
        body: str,
        html: str | None = None,
        reply_to: str | None = None,
        message_id: str | None = None,
    ) -> int:
        now = self.request.find_service(IClock).now()
        domain = sender_domain(self.request.registry)
        secrets = self.request.find_service(ISecrets)
        values = {
            "message_id": message_id or make_msgid(domain=domain),
            "created_at": now,
            "to_address": check_address(to),
            "reply_to": check_address(reply_to) if reply_to else None,
            "subject": " ".join(subject.split())[:255],
            "body_text": secrets.encrypt(body),
            "body_html": None if html is None else secrets.encrypt(html),
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
        }
        # One INSERT on the session's connection, without the ORM's unit of work: many
        # requests send a mail, and the worker reads the row back by its id.
        mail_id: int = self.request.db.connection().execute(INSERT_MAIL, values).scalar_one()
        zope.sqlalchemy.mark_changed(self.request.db)
        self.request.find_service(IJobQueue).enqueue(DELIVER_JOB, mail_id=mail_id)
        return mail_id


def mailer_factory(context: Any, request: Request) -> OutboxMailer:
    return OutboxMailer(request)


def sender_domain(registry: Registry) -> str:
    sender: str = registry.settings["cagou.mail.sender"]
    return sender.rsplit("@", 1)[-1].strip(">").strip() or "localhost"


def build_message(registry: Registry, mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = registry.settings["cagou.mail.sender"]
    message["To"] = mail.to_address
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at)
    message["Auto-Submitted"] = "auto-generated"
    secrets = get_secrets(registry)
    message.set_content(secrets.decrypt(mail.body_text))
    if mail.body_html:
        message.add_alternative(secrets.decrypt(mail.body_html), subtype="html")
    return message


def get_delivery(registry: Registry) -> Delivery:
    delivery: Delivery = registry["cagou.mail.delivery"]
    return delivery


def retry_delay(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8… minutes after each failure, at most an hour."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAXIMUM_DELAY)


def deliver_mail(registry: Registry, mail_id: int) -> bool:
    """Try to deliver one pending message now; True when it left."""
    with transaction_scope(registry) as request:
        query = sa.select(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == PENDING)
        mail = request.db.scalars(query.with_for_update(skip_locked=True)).one_or_none()
        if mail is None:
            return False
        now = request.find_service(IClock).now()
        try:
            get_delivery(registry).deliver(build_message(registry, mail))
        except Exception as error:
            mail.attempts += 1
            mail.last_error = f"{type(error).__name__}: {error}"[:2000]
            mail.next_attempt_at = now + retry_delay(mail.attempts)
            if mail.attempts >= registry.settings["cagou.mail.max_attempts"]:
                mail.status = FAILED
            log.warning("Mail %s not delivered (attempt %s): %s", mail.id, mail.attempts, error)
            return False
        mail.status = SENT
        mail.sent_at = now
        mail.attempts += 1
        mail.last_error = None
        return True


def deliver_due_mail(registry: Registry) -> None:
    """Scheduled every minute: deliver what is due."""
    count_due_deliveries(registry)


def count_due_deliveries(registry: Registry) -> int:
    """Deliver every pending message whose time has come; return how many left."""
    with transaction_scope(registry) as request:
        now = request.find_service(IClock).now()
        query = (
            sa.select(OutboxMail.id)
            .where(OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now)
            .order_by(OutboxMail.id)
        )
        due = list(request.db.scalars(query))
    return sum(deliver_mail(registry, mail_id) for mail_id in due)


def deliver_job(registry: Registry, mail_id: int) -> None:
    deliver_mail(registry, mail_id)
