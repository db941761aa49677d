"""What the inbound-mail tests share: a real listener on loopback, real SMTP clients, counting what was stored.

Used by test_inbound_mail.py and the steps of
features/helpdesk/courriel.feature.
"""

from __future__ import annotations

import contextlib
import datetime
import smtplib
from collections.abc import Iterator, Sequence
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
from pyramid.registry import Registry

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.identity.models import Account
from cagou.interfaces import IAccounts
from cagou.testing import delivered_mail
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.inbound.listener import Listener
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import Category, MailLink, Message, Ticket

HELPDESK = "assistance@cagou.example.nc"
#: Another address of the bureau that the mail server also hands to the listener.
ALIAS = "support-informatique@cagou.example.nc"
DOMAIN = "province-sud.nc"


@contextlib.contextmanager
def running_listener(registry: Registry, lmtp: bool = False) -> Iterator[Listener]:
    """The helpdesk's listener on 127.0.0.1, on a port the system picks."""
    listener = Listener(registry, "127.0.0.1", 0, lmtp=lmtp)
    listener.start()
    try:
        yield listener
    finally:
        listener.stop()


def send(
    listener: Listener,
    message: EmailMessage,
    mail_from: str | None = None,
    rcpt: Sequence[str] = (HELPDESK,),
) -> tuple[int, str]:
    """One SMTP transaction, as a mail server would open it: the answer to DATA."""
    sender = message["From"].addresses[0].addr_spec if mail_from is None else mail_from
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=60) as client:
        client.ehlo("mx.province-sud.nc")
        code, answer = client.mail(sender)
        assert code == 250, answer
        for address in rcpt:
            code, answer = client.rcpt(address)
            assert code == 250, answer
        code, answer = client.data(message.as_bytes(policy=policy.SMTP))
    return code, answer.decode()


def mail(
    sender: str,
    subject: str,
    body: str,
    to: str = HELPDESK,
    name: str = "",
    **headers: str,
) -> EmailMessage:
    """A message as an agent's mail client writes it (headers given as ``In_Reply_To="<…>"``)."""
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.datetime(2026, 3, 24, 9, 0, tzinfo=datetime.UTC))
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content(body)
    return message


def reply_to(notification: EmailMessage, sender: str, body: str, quoted: bool = True, **headers: str) -> EmailMessage:
    """The reply an agent writes to a notification: Re: its subject, In-Reply-To and References, the quote below."""
    text = body
    if quoted:
        original = "\n".join(f"> {line}" for line in notification.get_content().splitlines())
        text = (
            f"{body}\n\nLe lun. 23 mars 2026 à 11:00, Cagou <ne-pas-repondre@cagou.example.nc> a écrit :\n{original}\n"
        )
    headers.setdefault("In_Reply_To", notification["Message-ID"])
    headers.setdefault("References", notification["Message-ID"])
    return mail(sender, f"Re: {notification['Subject']}", text, to=notification["Reply-To"], **headers)


def address(login: str) -> str:
    return f"{login}@{DOMAIN}"


def add_mail_category(registry: Registry, path: str = "Autre") -> None:
    with transaction_scope(registry) as request:
        request.db.add(Category(name=path, path=path))


def open_for(registry: Registry, login: str, title: str, category: str = "Logiciels") -> int:
    """A ticket opened on the web by ``login``; the acknowledgement mail is sent."""
    with transaction_scope(registry) as request:
        requester = request.find_service(IAccounts).by_login(login)
        data = TicketInput(title=title, description=f"{title}, depuis ce matin.", category=category)
        ticket_id: int = request.find_service(ITickets).open(data, requester).id
    return ticket_id


def notification_of(registry: Registry, ticket_id: int) -> EmailMessage:
    """The latest mail the helpdesk sent about the ticket, as the requester received it."""
    reference = f"HD-{ticket_id:06d}"
    found = [message for message in delivered_mail(registry) if f"[{reference}]" in message["Subject"]]
    assert found, f"no mail about {reference}"
    return found[-1]


def count(registry: Registry, model: type, *where: sa.ColumnElement[bool]) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def stored(registry: Registry) -> dict[str, int]:
    """How many tickets, messages and known mail messages the helpdesk holds."""
    return {
        "tickets": count(registry, Ticket),
        "messages": count(registry, Message),
        "mail_links": count(registry, MailLink),
    }


def messages_of(registry: Registry, ticket_id: int) -> list[Message]:
    with transaction_scope(registry) as request:
        query = sa.select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
        found = list(request.db.scalars(query))
        for message in found:
            _ = message.author.login, [attachment.filename for attachment in message.attachments]
        return found


def tickets_of(registry: Registry, login: str) -> list[Ticket]:
    with transaction_scope(registry) as request:
        query = sa.select(Ticket).join(Account, Ticket.requester_id == Account.id).where(Account.login == login)
        found = list(request.db.scalars(query.order_by(Ticket.id)))
        for ticket in found:
            _ = ticket.category, ticket.group, [attachment.filename for attachment in ticket.attachments]
        return found


def audit_entries(registry: Registry, action: str) -> list[AuditEntry]:
    with transaction_scope(registry) as request:
        query = sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(request.db.scalars(query))
