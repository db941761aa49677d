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

import base64
import datetime
import json
import logging
import re
from collections.abc import Sequence
from email.utils import make_msgid
from typing import Any, cast

import sqlalchemy as sa
import zope.sqlalchemy
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy.dialects import postgresql, sqlite
from zope.interface import implementer

from cagou.clock import registered_clock
from cagou.db import get_engine, transaction_scope
from cagou.interfaces import IClock, IJobQueue, IMailer, ISecrets
from cagou.mail.delivery import Delivery
from cagou.mail.messages import build_message
from cagou.mail.models import FAILED, PENDING, SENT, OutboxMail

log = logging.getLogger(__name__)

DELIVER_JOB = "core.mail.deliver"
ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
MAXIMUM_DELAY = datetime.timedelta(hours=1)
OUTBOX_TABLE = cast(sa.Table, OutboxMail.__table__)
INSERT_MAIL = sa.insert(OUTBOX_TABLE).returning(OUTBOX_TABLE.c.id)
#: With an idempotency key: nothing written, and no id returned, when a mail with that key is there.
#: Both databases write ``INSERT … ON CONFLICT DO NOTHING``; PostgreSQL makes a concurrent writer of
#: the same key wait for the first one's commit (then writes nothing) or rollback (then writes).
INSERT_KEYED_MAIL = {
    "postgresql": postgresql.insert(OUTBOX_TABLE)
    .on_conflict_do_nothing(index_elements=[OUTBOX_TABLE.c.idempotency_key])
    .returning(OUTBOX_TABLE.c.id),
    "sqlite": sqlite.insert(OUTBOX_TABLE)
    .on_conflict_do_nothing(index_elements=[OUTBOX_TABLE.c.idempotency_key])
    .returning(OUTBOX_TABLE.c.id),
}


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
        key: str | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
    ) -> int | None:
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
            "idempotency_key": key,
            "attachments": secrets.encrypt(attachments_json(attachments)) if attachments else None,
        }
        # One INSERT on the session's connection, without the ORM's unit of work: many
        # requests send a mail, and the worker reads the row back by its id.
        connection = self.request.db.connection()
        statement = INSERT_MAIL if key is None else INSERT_KEYED_MAIL[connection.dialect.name]
        mail_id: int | None = connection.execute(statement, values).scalar_one_or_none()
        zope.sqlalchemy.mark_changed(self.request.db)
        if mail_id is None:
            return None  # the mail of this key is already written: it is delivered from there
        self.request.find_service(IJobQueue).enqueue(DELIVER_JOB, mail_id=mail_id)
        return mail_id


def attachments_json(attachments: Sequence[tuple[str, str, bytes]]) -> str:
    return json.dumps([{"filename": filename, "content_type": content_type, "data": base64.b64encode(data).decode()}
                       for filename, content_type, data in attachments])  # fmt: skip


def mailer_factory(context: Any, request: Request) -> OutboxMailer:
    return OutboxMailer(request)


def sender_domain(registry: Registry) -> str:
    sender: str = registry.settings["cagou.mail.sender"]
    return sender.rsplit("@", 1)[-1].strip(">").strip() or "localhost"


#: The columns the worker reads to send a message, and the row it locks meanwhile.
PENDING_MAIL = (
    sa.select(OUTBOX_TABLE)
    .where(OUTBOX_TABLE.c.id == sa.bindparam("mail_id"), OUTBOX_TABLE.c.status == PENDING)
    .with_for_update(skip_locked=True)
)
#: After an attempt, the row's outcome: one statement built once, its values bound at each mail.
RECORD_ATTEMPT = (
    sa.update(OUTBOX_TABLE)
    .where(OUTBOX_TABLE.c.id == sa.bindparam("mail_id"))
    .values({name: sa.bindparam(name) for name in ("status", "attempts", "next_attempt_at", "sent_at", "last_error")})
)


def get_delivery(registry: Registry) -> Delivery:
    delivery: Delivery = registry["cagou.mail.delivery"]
    return delivery


def retry_delay(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8… minutes after each failure, at most an hour."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAXIMUM_DELAY)


def deliver_mail(registry: Registry, mail_id: int) -> bool:
    """Try to deliver one pending message now; True when it left.

    One Core transaction on the engine: every module's notifications go
    through here, and a request-like scope with its ORM session, unit of
    work and transaction manager cost more CPU than the mail itself.
    """
    with get_engine(registry).begin() as connection:
        mail = connection.execute(PENDING_MAIL, {"mail_id": mail_id}).one_or_none()
        if mail is None:
            return False
        now = registered_clock(registry).now()
        attempts = mail.attempts + 1
        outcome = {"mail_id": mail_id, "attempts": attempts, "next_attempt_at": mail.next_attempt_at}
        try:
            get_delivery(registry).deliver(build_message(registry, mail))
        except Exception as error:
            failed = attempts >= registry.settings["cagou.mail.max_attempts"]
            outcome.update(
                status=FAILED if failed else PENDING,
                next_attempt_at=now + retry_delay(attempts),
                sent_at=None,
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
            connection.execute(RECORD_ATTEMPT, outcome)
            log.warning("Mail %s not delivered (attempt %s): %s", mail_id, attempts, error)
            return False
        connection.execute(RECORD_ATTEMPT, {**outcome, "status": SENT, "sent_at": now, "last_error": None})
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
