"""Step definitions of features/helpdesk/courriel.feature: mail to the helpdesk over a real SMTP exchange."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from inbound_mail_helpers import (
    ALIAS,
    HELPDESK,
    add_mail_category,
    address,
    audit_entries,
    mail,
    messages_of,
    notification_of,
    open_for,
    reply_to,
    running_listener,
    send,
    stored,
    tickets_of,
)
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.db import transaction_scope
from cagou.modules.services import module_states
from cagou.testing import delivered_mail
from cagou_helpdesk.inbound.listener import Listener
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import CLOSED, Ticket

scenarios("helpdesk/courriel.feature")


@dataclass
class Exchange:
    """The listener, and the last mail the mail server handed it with the answer it got."""

    listener: Listener | None = None
    message: EmailMessage | None = None
    recipients: tuple[str, ...] = (HELPDESK,)
    answer: tuple[int, str] = (0, "")
    answers: list[tuple[int, str]] = field(default_factory=list)
    before: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def exchange(registry) -> Iterator[Exchange]:
    """The helpdesk's listener runs on loopback for the whole scenario."""
    with running_listener(registry) as listener:
        yield Exchange(listener)


def sender_address(who: str) -> str:
    return who if "@" in who else address(who)


def ticket_titled(registry, title: str) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(Ticket.id).where(Ticket.title == title).order_by(Ticket.id)))


def deliver(exchange: Exchange, message: EmailMessage, recipients: tuple[str, ...] = (HELPDESK,)) -> None:
    assert exchange.listener is not None
    exchange.message, exchange.recipients = message, recipients
    exchange.answer = send(exchange.listener, message, rcpt=recipients)
    exchange.answers.append(exchange.answer)


@given("le bureau de l'assistance")
def bureau(helpdesk, registry):
    add_mail_category(registry)


@given("le courrier de l'assistance est à l'écoute")
def listening(exchange):
    assert exchange.listener is not None and exchange.listener.port > 0


@given(parsers.parse('"{login}" a ouvert la demande "{title}"'))
def opened(registry, login, title):
    open_for(registry, login, title)


@given(parsers.parse('la demande "{title}" est close'))
def closed(registry, title):
    with transaction_scope(registry) as request:
        request.find_service(ITickets).set_status(request.db.get(Ticket, ticket_titled(registry, title)), CLOSED)


@given("le module d'assistance est désactivé sur l'intranet")
def disabled(registry):
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "helpdesk", "intranet", False)


@when("le module d'assistance est réactivé sur l'intranet")
def enabled(registry):
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "helpdesk", "intranet", True)


def last_notification(registry, login: str) -> EmailMessage:
    [ticket, *_] = reversed(tickets_of(registry, login))
    return notification_of(registry, ticket.id)


@when(parsers.parse('"{login}" répond au courriel de l\'assistance : "{text}"'))
def replies(registry, exchange, login, text):
    exchange.before = stored(registry)
    deliver(exchange, reply_to(last_notification(registry, login), address(login), text))


@when(parsers.parse('"{login}" répond à tous au courriel de l\'assistance : "{text}"'))
def replies_to_all(registry, exchange, login, text):
    message = reply_to(last_notification(registry, login), address(login), text)
    message["Cc"] = ALIAS
    deliver(exchange, message, (HELPDESK, ALIAS))


@when(parsers.parse('le répondeur de "{login}" répond au courriel de l\'assistance'))
def auto_replies(registry, exchange, login):
    notification = last_notification(registry, login)
    message = reply_to(notification, address(login), "Je suis absent jusqu'au 30 mars.", quoted=False)
    del message["Subject"]
    message["Subject"] = f"Réponse automatique : {notification['Subject']}"
    message["Auto-Submitted"] = "auto-replied"
    exchange.before = stored(registry)
    deliver(exchange, message)


@when(parsers.parse('"{who}" écrit à l\'assistance « {subject} » : "{text}"'))
def writes(registry, exchange, who, subject, text):
    exchange.before = stored(registry)
    deliver(exchange, mail(sender_address(who), subject, text))


@when(parsers.parse('"{who}" écrit {times:d} fois à l\'assistance « {subject} » : "{text}"'))
def writes_again_and_again(registry, exchange, who, times, subject, text):
    exchange.before = stored(registry)
    for number in range(1, times + 1):
        deliver(exchange, mail(sender_address(who), f"{subject} ({number})", text))


@when("le serveur de messagerie remet ce courriel une seconde fois")
def delivers_again(exchange):
    assert exchange.message is not None
    deliver(exchange, exchange.message, exchange.recipients)


@then("le serveur de messagerie accepte le courriel")
def accepted(exchange):
    assert exchange.answer[0] == 250, exchange.answer


@then("le serveur de messagerie refuse le courriel")
def refused(exchange):
    assert exchange.answer[0] == 550, exchange.answer


@then("le serveur de messagerie refuse chacun des courriels")
def all_refused(exchange):
    assert exchange.answers and {code for code, _ in exchange.answers} == {550}, exchange.answers


@then(parsers.parse("le journal d'audit garde la trace de {count:d} courriels refusés seulement"))
def refusals_audited(registry, count):
    assert len(audit_entries(registry, "helpdesk:mail:refused")) == count


@then("le serveur de messagerie diffère le courriel")
def deferred(exchange):
    assert exchange.answer[0] == 451, exchange.answer


@then(parsers.parse('la demande "{title}" a la réponse "{text}" de "{login}"'))
def has_reply(registry, title, text, login):
    [message] = messages_of(registry, ticket_titled(registry, title))
    assert (message.body, message.author.login, message.kind) == (text, login, "reply")


@then(parsers.parse('la demande "{title}" a une seule réponse'))
def one_reply(registry, title):
    assert len(messages_of(registry, ticket_titled(registry, title))) == 1


@then(parsers.parse('la demande "{title}" n\'a aucune réponse'))
def no_reply(registry, title):
    assert messages_of(registry, ticket_titled(registry, title)) == []


@then(parsers.parse('le journal d\'audit attribue la réponse à "{login}"'))
def reply_audited(registry, login):
    assert [entry.actor_login for entry in audit_entries(registry, "helpdesk:ticket:reply")] == [login]


@then(parsers.parse('une demande « {title} » est ouverte pour "{login}"'))
def opened_for(registry, title, login):
    assert title in [ticket.title for ticket in tickets_of(registry, login)]


@then(parsers.parse('"{login}" reçoit l\'accusé de réception de sa demande'))
def acknowledged(registry, login):
    subjects = [message["Subject"] for message in delivered_mail(registry) if message["To"] == address(login)]
    assert any("Demande enregistrée" in subject for subject in subjects), subjects


@then("aucune demande n'est créée")
def nothing_created(registry, exchange):
    assert stored(registry) == exchange.before


@then("le journal d'audit garde la trace du courriel refusé")
def refusal_audited(registry):
    [entry] = audit_entries(registry, "helpdesk:mail:refused")
    assert entry.category == "refused"
