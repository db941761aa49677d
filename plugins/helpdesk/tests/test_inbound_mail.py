"""Mail to the helpdesk, through a real SMTP (and LMTP) exchange on loopback with the module's listener.

Every test starts the listener (aiosmtpd) on 127.0.0.1, talks to it with
smtplib as a mail server would, then reads the database, the audit log and
the mail the platform sent.
"""

from __future__ import annotations

import datetime
import os
import smtplib
import struct
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from inbound_mail_helpers import (
    ALIAS,
    HELPDESK,
    add_mail_category,
    address,
    audit_entries,
    count,
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

from cagou import RateLimit, configure
from cagou.cli import build_cli
from cagou.db import get_engine, transaction_scope
from cagou.identity.models import AGENT, CITIZEN
from cagou.interfaces import IAccounts
from cagou.modules.services import module_states
from cagou.testing import delivered_mail, is_postgresql, write_ini
from cagou_helpdesk.inbound.reading import strip_quoted, text_of_html, title_of
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import CLOSED, MAIL, NOTE, REPLY, RESOLVED, MailLink, Ticket


@pytest.fixture
def bureau(helpdesk, registry):
    """The helpdesk's people, plus the category "Autre" that tickets opened by mail receive."""
    add_mail_category(registry)
    return helpdesk


@pytest.fixture
def listener(registry, bureau):
    with running_listener(registry) as running:
        yield running


def reference(ticket_id: int) -> str:
    return f"HD-{ticket_id:06d}"


def png() -> bytes:
    """A real 1×1 PNG image (what a screenshot is, only smaller)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------
# Replies land in their ticket
# ---------------------------------------------------------------------------


def test_a_reply_to_a_notification_lands_in_its_ticket(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    notification = notification_of(registry, ticket_id)
    assert notification["Reply-To"] == HELPDESK

    code, answer = send(listener, reply_to(notification, address("agent"), "Elle affiche toujours l'erreur 50.1."))

    assert (code, answer) == (250, f"2.0.0 Added to {reference(ticket_id)}")
    [message] = messages_of(registry, ticket_id)
    assert message.body == "Elle affiche toujours l'erreur 50.1."  # the quoted notification is gone
    assert (message.kind, message.source, message.author.login) == (REPLY, MAIL, "agent")
    assert count(registry, MailLink, MailLink.incoming.is_(True), MailLink.ticket_id == ticket_id) == 1
    [entry] = audit_entries(registry, "helpdesk:ticket:reply")
    assert (entry.actor_login, entry.object_id) == ("agent", str(ticket_id))
    [provenance] = audit_entries(registry, "helpdesk:ticket:mail")
    assert provenance.actor_login == "agent"
    assert provenance.address == "127.0.0.1"
    assert provenance.changes["after"]["recipients"] == [HELPDESK]


def test_a_reply_carrying_only_references_finds_its_ticket(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    notification = notification_of(registry, ticket_id)
    references = f"<fil-ancien@{address('agent').split('@')[1]}> {notification['Message-ID']} <inconnu@ailleurs.nc>"
    message = mail(address("agent"), "Re: l'imprimante", "C'est réparé, merci.", References=references)

    code, _ = send(listener, message)

    assert code == 250
    assert [m.body for m in messages_of(registry, ticket_id)] == ["C'est réparé, merci."]


def test_a_subject_quoting_the_reference_finds_the_ticket_of_its_requester(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    subject = f"Précision pour le ticket {reference(ticket_id)}"

    assert send(listener, mail(address("agent"), subject, "Le modèle est une HP 4250."))[0] == 250
    # Someone else quoting the reference opens their own ticket and writes nothing in Paul's.
    assert send(listener, mail(address("agente"), subject, "J'ai la même panne au 3e étage."))[0] == 250

    assert [m.body for m in messages_of(registry, ticket_id)] == ["Le modèle est une HP 4250."]
    [hers] = tickets_of(registry, "agente")
    assert hers.title == subject
    assert hers.description == "J'ai la même panne au 3e étage."


def test_a_technician_writing_about_a_ticket_of_their_queue_adds_an_internal_note(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    before = len(delivered_mail(registry))

    message = mail(address("tech1"), f"[{reference(ticket_id)}] devis du fournisseur", "Le fournisseur passe jeudi.")
    assert send(listener, message)[0] == 250

    [note] = messages_of(registry, ticket_id)
    assert (note.kind, note.author.login, note.body) == (NOTE, "tech1", "Le fournisseur passe jeudi.")
    assert len(delivered_mail(registry)) == before  # nothing mailed to the requester
    [entry] = audit_entries(registry, "helpdesk:ticket:note")
    assert entry.actor_login == "tech1"


def test_a_reply_to_a_resolved_ticket_reopens_it(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    with transaction_scope(registry) as request:
        request.find_service(ITickets).set_status(request.db.get(Ticket, ticket_id), RESOLVED)
    notification = notification_of(registry, ticket_id)
    assert "résolue" in notification["Subject"]

    assert send(listener, reply_to(notification, address("agent"), "Elle ne marche toujours pas."))[0] == 250

    with transaction_scope(registry) as request:
        ticket = request.db.get(Ticket, ticket_id)
        assert (ticket.status, ticket.reopened) == ("new", 1)
    assert len(audit_entries(registry, "helpdesk:ticket:reopen")) == 1


def test_a_reply_to_a_closed_ticket_opens_a_new_one_that_quotes_it(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    notification = notification_of(registry, ticket_id)
    with transaction_scope(registry) as request:
        request.find_service(ITickets).set_status(request.db.get(Ticket, ticket_id), CLOSED)

    code, answer = send(listener, reply_to(notification, address("agent"), "Elle est de nouveau en panne."))

    assert messages_of(registry, ticket_id) == []
    _old, new = tickets_of(registry, "agent")
    assert (code, answer) == (250, f"2.0.0 Added to {reference(new.id)}")
    assert new.title == f"Suite de {reference(ticket_id)} : Imprimante en panne"
    assert new.description == (
        f"Suite du ticket {reference(ticket_id)} (clos), auquel ce courriel répond :\n\nElle est de nouveau en panne."
    )
    assert new.source == MAIL


def test_a_technician_cannot_write_in_a_closed_ticket_by_mail(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    with transaction_scope(registry) as request:
        request.find_service(ITickets).set_status(request.db.get(Ticket, ticket_id), CLOSED)
    before = stored(registry)

    code, answer = send(listener, mail(address("tech1"), f"[{reference(ticket_id)}] suite", "Encore un mot."))

    assert (code, answer) == (550, f"5.7.1 Ticket {reference(ticket_id)} is closed")
    assert stored(registry) == before


def test_someone_else_answering_the_thread_of_a_ticket_is_refused(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    notification = notification_of(registry, ticket_id)
    before = stored(registry)

    code, answer = send(listener, reply_to(notification, address("agente"), "Moi aussi !"))

    assert (code, answer) == (550, f"5.7.1 You may not write in ticket {reference(ticket_id)}")
    assert stored(registry) == before


def test_attachments_are_kept_and_a_refused_one_is_named_in_the_text(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "Voici la capture.")
    message.add_attachment(png(), maintype="image", subtype="png", filename="capture écran.png")
    message.add_attachment(b"MZ\x90\x00" + bytes(200), maintype="application", subtype="pdf", filename="outil.pdf")

    assert send(listener, message)[0] == 250

    [reply] = messages_of(registry, ticket_id)
    assert [attachment.filename for attachment in reply.attachments] == ["capture écran.png"]
    assert reply.attachments[0].content_type == "image/png"
    assert reply.body.startswith("Voici la capture.\n\nPièces jointes non retenues :\n- « outil.pdf » n'est pas")


def test_an_html_mail_is_read_as_text_without_its_quote(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    notification = notification_of(registry, ticket_id)
    message = reply_to(notification, address("agent"), "", quoted=False)
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Bonjour,</p><p>C&#39;est <b>r&eacute;par&eacute;</b>."
        "</p><blockquote><p>Votre demande est enregistrée</p></blockquote></body></html>",
        subtype="html",
    )

    assert send(listener, message)[0] == 250

    assert [m.body for m in messages_of(registry, ticket_id)] == ["Bonjour,\n\nC'est réparé."]


def test_a_reply_without_any_new_text_is_refused(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "")

    code, answer = send(listener, message)

    assert (code, answer) == (550, "5.6.0 Message has no text")
    assert messages_of(registry, ticket_id) == []


# ---------------------------------------------------------------------------
# New tickets
# ---------------------------------------------------------------------------


def test_a_known_agent_opens_a_ticket_by_mail(registry, listener):
    body = "Mon écran reste noir depuis ce matin.\n\n-- \nLucie Agente\nPoste 1234"
    code, answer = send(listener, mail(address("agente"), "Écran noir au démarrage", body, name="Lucie Agente"))

    [ticket] = tickets_of(registry, "agente")
    assert (code, answer) == (250, f"2.0.0 Added to {ticket.reference}")
    assert (ticket.title, ticket.description, ticket.source) == ("Écran noir au démarrage", body, MAIL)
    assert ticket.category is not None and ticket.category.path == "Autre"
    assert ticket.group.code == "BAU"
    [created] = audit_entries(registry, "helpdesk:ticket:create")
    assert created.actor_login == "agente"
    [acknowledgement] = [m for m in delivered_mail(registry) if m["To"] == address("agente")]
    assert acknowledgement["Subject"] == f"[{ticket.reference}] Demande enregistrée : Écran noir au démarrage"
    # Her answer to the acknowledgement lands in the new ticket.
    assert send(listener, reply_to(acknowledgement, address("agente"), "Il s'allume à nouveau."))[0] == 250
    assert [m.body for m in messages_of(registry, ticket.id)] == ["Il s'allume à nouveau."]


def test_a_forwarded_mail_keeps_what_it_forwards(registry, listener):
    body = (
        "Voici le message d'erreur reçu.\n\n---------- Forwarded message ---------\n"
        "De : Application Paie <paie@province-sud.nc>\nDate: lun. 23 mars 2026\nObjet : Erreur 42\n\nErreur 42."
    )
    assert send(listener, mail(address("agent"), "TR: Fwd: Erreur de l'application Paie", body))[0] == 250

    [ticket] = tickets_of(registry, "agent")
    assert ticket.title == "Erreur de l'application Paie"
    assert ticket.description == body


def test_tickets_opened_by_mail_need_their_category(registry, helpdesk):
    """Without the category of helpdesk.mail_category the mail waits at the sender's server (451)."""
    with running_listener(registry) as listener:
        code, answer = send(listener, mail(address("agente"), "Écran noir", "Il reste noir."))
    assert (code, answer) == (451, "4.3.5 Helpdesk mail category is not configured")
    assert stored(registry)["tickets"] == 0


# ---------------------------------------------------------------------------
# Refused and dropped without creating anything
# ---------------------------------------------------------------------------


def make_unknown(registry, who: str) -> str:
    if who == "stranger":
        return "pirate@exemple.com"
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        if who == "deactivated agent":
            accounts.deactivate(accounts.by_login("agente"))
            return address("agente")
        accounts.create("citoyen", "Jean Citoyen", CITIZEN, email="jean@exemple.nc", password="un-mot-de-passe-2026")
        return "jean@exemple.nc"


@pytest.mark.parametrize("who", ["stranger", "deactivated agent", "citizen"])
def test_an_unknown_sender_is_refused_and_nothing_is_created(registry, listener, who):
    sender = make_unknown(registry, who)
    before = stored(registry)

    code, answer = send(listener, mail(sender, "Gagnez un ordinateur", "Cliquez ici."))

    assert (code, answer) == (550, "5.7.1 Sender is not a known agent of the helpdesk")
    assert stored(registry) == before
    [entry] = audit_entries(registry, "helpdesk:mail:refused")
    assert entry.category == "refused"
    assert entry.summary == f"Courriel de {sender} non versé à l'assistance : expéditeur inconnu ou compte désactivé."


def test_a_burst_of_unwanted_mail_is_refused_but_audited_only_so_often(registry, listener, clock):
    before = stored(registry)
    for number in range(12):
        code, _ = send(listener, mail("pirate@exemple.com", f"Gagnez un ordinateur n° {number}", "Cliquez ici."))
        assert code == 550
    assert stored(registry) == before
    assert len(audit_entries(registry, "helpdesk:mail:refused")) == 10  # helpdesk.mail-refusals.sender: 10 an hour
    send(listener, mail("autre@exemple.com", "Offre", "Cliquez ici."))
    assert len(audit_entries(registry, "helpdesk:mail:refused")) == 11  # another sender is counted apart
    clock.advance(hours=1)
    send(listener, mail("pirate@exemple.com", "Gagnez encore", "Cliquez ici."))
    assert len(audit_entries(registry, "helpdesk:mail:refused")) == 12


def test_refusals_from_many_senders_are_audited_up_to_the_overall_limit(registry, listener):
    registry["cagou.ratelimits"]["helpdesk.mail-refusals.all"] = RateLimit(
        "helpdesk.mail-refusals.all", 3, datetime.timedelta(hours=1)
    )
    for number in range(5):
        code, _ = send(listener, mail(f"inconnu{number}@exemple.com", "Offre", "Cliquez ici."))
        assert code == 550
    senders = [entry.changes["from"] for entry in audit_entries(registry, "helpdesk:mail:refused")]
    assert senders == ["inconnu0@exemple.com", "inconnu1@exemple.com", "inconnu2@exemple.com"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Absent"},
        {"List_Id": "<annonces.province-sud.nc>"},
        {"Subject": "Réponse automatique : absent jusqu'au 30 mars"},
    ],
    ids=lambda headers: next(iter(headers)),
)
def test_auto_replies_are_dropped_without_a_bounce(registry, listener, headers):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    notification = notification_of(registry, ticket_id)
    message = reply_to(notification, address("agent"), "Je suis absent jusqu'au 30 mars.")
    for name, value in headers.items():
        del message[name.replace("_", "-")]
        message[name.replace("_", "-")] = value
    before = stored(registry)

    code, answer = send(listener, message)

    assert (code, answer) == (250, "2.0.0 Automatic message discarded")
    assert stored(registry) == before
    [entry] = audit_entries(registry, "helpdesk:mail:refused")
    assert "automatique" in entry.summary or "liste" in entry.summary


def test_a_bounce_with_an_empty_envelope_sender_is_dropped(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "Undelivered mail.")
    before = stored(registry)

    assert send(listener, message, mail_from="") == (250, "2.0.0 Automatic message discarded")
    assert stored(registry) == before


@pytest.mark.parametrize("sender", ["ne-pas-repondre@cagou.example.nc", HELPDESK])
def test_mail_from_the_platform_itself_is_a_loop_and_is_dropped(registry, listener, sender):
    before = stored(registry)
    assert send(listener, mail(sender, "Demande enregistrée", "Bonjour")) == (250, "2.0.0 Automatic message discarded")
    assert stored(registry) == before


def test_a_notification_that_comes_back_is_dropped(registry, listener):
    """An alias that sends the helpdesk's own mail back to it must not loop."""
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    notification = notification_of(registry, ticket_id)
    before = stored(registry)

    assert send(listener, notification, mail_from="ne-pas-repondre@cagou.example.nc")[0] == 250
    del notification["Auto-Submitted"]
    assert send(listener, notification, mail_from="relais@province-sud.nc")[0] == 250

    assert stored(registry) == before


# ---------------------------------------------------------------------------
# Never twice
# ---------------------------------------------------------------------------


def test_the_same_mail_delivered_twice_adds_one_reply(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "Toujours en panne.")

    assert send(listener, message) == (250, f"2.0.0 Added to {reference(ticket_id)}")
    assert send(listener, message) == (250, "2.0.0 Already received")

    assert len(messages_of(registry, ticket_id)) == 1


def test_a_reply_all_reaching_two_helpdesk_addresses_adds_one_reply(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "Toujours en panne.")
    message["Cc"] = ALIAS

    # One transaction for both recipients, then the same mail split by a relay into one per address.
    assert send(listener, message, rcpt=(HELPDESK, ALIAS))[0] == 250
    assert send(listener, message, rcpt=(ALIAS,)) == (250, "2.0.0 Already received")

    assert len(messages_of(registry, ticket_id)) == 1
    [provenance] = audit_entries(registry, "helpdesk:ticket:mail")
    assert provenance.changes["after"]["recipients"] == [HELPDESK, ALIAS]


def test_a_new_ticket_by_mail_delivered_twice_is_opened_once(registry, listener):
    message = mail(address("agente"), "Écran noir", "Il reste noir.")
    assert send(listener, message)[0] == 250
    assert send(listener, message) == (250, "2.0.0 Already received")
    assert len(tickets_of(registry, "agente")) == 1


def test_a_mail_without_message_id_is_recognised_by_its_content(registry, listener):
    message = mail(address("agente"), "Écran noir", "Il reste noir.")
    del message["Message-ID"]
    first = message.as_bytes(policy=policy.SMTP)
    relayed = b"Received: from relais-2.province-sud.nc by mx; Tue, 24 Mar 2026 09:05:00 +1100\r\n" + first
    message_again = BytesParser(policy=policy.default).parsebytes(relayed)

    assert send(listener, message)[0] == 250
    assert send(listener, message_again) == (250, "2.0.0 Already received")
    assert len(tickets_of(registry, "agente")) == 1


def test_concurrent_deliveries_of_the_same_mail_add_one_reply(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "Toujours en panne.")
    data = message.as_bytes(policy=policy.SMTP)
    clients = 6
    ready = threading.Barrier(clients)

    def deliver(_: int) -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=60) as client:
            client.ehlo("mx.province-sud.nc")
            client.mail(address("agent"))
            client.rcpt(HELPDESK)
            ready.wait()
            return client.data(data)

    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(deliver, range(clients)))

    assert [code for code, _ in answers] == [250] * clients
    assert sorted(answer.decode() for _, answer in answers) == sorted(
        [f"2.0.0 Added to {reference(ticket_id)}"] + ["2.0.0 Already received"] * (clients - 1)
    )
    assert len(messages_of(registry, ticket_id)) == 1
    assert count(registry, MailLink, MailLink.incoming.is_(True)) == 1


@pytest.mark.skipif(not is_postgresql(), reason="waits on a row lock PostgreSQL shows in pg_stat_activity")
def test_a_delivery_racing_another_stops_on_the_primary_key_and_adds_nothing(registry, listener):
    """The other delivery has written the Message-ID but not committed yet: this one waits, then says 'already'."""
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "Toujours en panne.")
    engine = get_engine(registry)
    with engine.connect() as other:
        transaction = other.begin()
        other.execute(
            sa.insert(MailLink).values(
                message_id=message["Message-ID"], ticket_id=ticket_id, incoming=True, created_at=sa.func.now()
            )
        )
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(send, listener, message)
            deadline = time.monotonic() + 60
            while not waiting_on_a_lock(engine):
                assert time.monotonic() < deadline, "the delivery never reached the Message-ID"
                assert not answer.done(), answer.result()
                time.sleep(0.05)
            transaction.commit()
            assert answer.result() == (250, "2.0.0 Already received")
    assert messages_of(registry, ticket_id) == []
    assert audit_entries(registry, "helpdesk:ticket:reply") == []


def waiting_on_a_lock(engine: sa.Engine) -> bool:
    with engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        return bool(connection.scalar(sa.text(query)))


# ---------------------------------------------------------------------------
# Module disabled, failures: the mail waits at the sender's server
# ---------------------------------------------------------------------------


def switch(registry, enabled: bool) -> None:
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "helpdesk", "intranet", enabled)


def test_while_the_module_is_disabled_mail_is_deferred_then_accepted(registry, listener):
    ticket_id = open_for(registry, "agent", "Imprimante en panne")
    message = reply_to(notification_of(registry, ticket_id), address("agent"), "Toujours en panne.")
    switch(registry, False)
    before = stored(registry)

    assert send(listener, message) == (451, "4.3.0 Helpdesk is disabled, try again later")
    assert stored(registry) == before
    assert audit_entries(registry, "helpdesk:mail:refused") == []

    switch(registry, True)
    assert send(listener, message) == (250, f"2.0.0 Added to {reference(ticket_id)}")
    assert len(messages_of(registry, ticket_id)) == 1


def test_a_failure_half_way_keeps_nothing_and_asks_the_sender_to_try_again(registry, settings, listener, tmp_path):
    """The file store cannot write (its folder is a file): the ticket, its audit entries and mail are rolled back."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    broken = configure({**settings, "cagou.files.directory": str(blocker / "files")}).registry
    message = mail(address("agente"), "Écran noir", "Voici la capture.")
    message.add_attachment(png(), maintype="image", subtype="png", filename="capture.png")
    mail_before = len(delivered_mail(registry))
    try:
        with running_listener(broken) as failing:
            assert send(listener=failing, message=message) == (451, "4.3.0 Temporary failure, try again later")
    finally:
        get_engine(broken).dispose()
    assert stored(registry)["tickets"] == 0
    assert audit_entries(registry, "helpdesk:ticket:create") == []
    assert len(delivered_mail(registry)) == mail_before

    # The sending server tries again later: nothing was lost.
    assert send(listener, message)[0] == 250
    [ticket] = tickets_of(registry, "agente")
    assert [attachment.filename for attachment in ticket.attachments] == ["capture.png"]


def test_an_address_shared_by_two_accounts_cannot_open_a_ticket(registry, listener):
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create(
            "agente2", "Lucie Agente (2)", AGENT, email=address("agente").upper(), password="un-mot-de-passe-2026"
        )
    code, answer = send(listener, mail(address("agente"), "Écran noir", "Il reste noir."))
    assert (code, answer) == (550, "5.7.1 Sender address is shared by several accounts")
    assert stored(registry)["tickets"] == 0


# ---------------------------------------------------------------------------
# LMTP and the command
# ---------------------------------------------------------------------------


def test_lmtp_answers_once_per_recipient_and_handles_the_mail_once(registry, bureau):
    message = mail(address("agente"), "Écran noir", "Il reste noir.")
    with running_listener(registry, lmtp=True) as listener:
        client = smtplib.LMTP("127.0.0.1", listener.port)
        try:
            assert client.ehlo("mx.province-sud.nc")[0] == 250  # smtplib's LMTP says LHLO
            client.mail(address("agente"))
            client.rcpt(HELPDESK)
            client.rcpt(ALIAS)
            first = client.data(message.as_bytes(policy=policy.SMTP))
            second = client.getreply()
            client.quit()
        finally:
            client.close()
    [ticket] = tickets_of(registry, "agente")
    assert first == second == (250, f"2.0.0 Added to {ticket.reference}".encode())


@pytest.mark.slow
def test_the_command_listens_until_it_is_told_to_stop(registry, settings, bureau, tmp_path):
    ini = write_ini(tmp_path / "inbound.ini", settings)
    environment = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).parents[1] / "plugins"),
        "CAGOU_PLUGINS_ENTRY_POINTS": "false",
        "CAGOU_PLUGINS_EXTRA": "cagou_sample cagou_helpdesk",
    }
    command = [sys.executable, "-c", "from cagou.cli import main; main()", "-c", str(ini)]
    process = subprocess.Popen(
        [*command, "helpdesk-mail", "--listen", "127.0.0.1:0"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "écoute SMTP sur 127.0.0.1:" in line, line + process.stderr.read()
        port = int(line.split("127.0.0.1:")[1].split()[0])
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            refused = client.sendmail(
                address("agente"), [HELPDESK], mail(address("agente"), "Écran noir", "Noir.").as_bytes()
            )
        assert refused == {}
        process.terminate()
        output, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors
    assert output.strip() == "Écoute arrêtée."
    assert [ticket.title for ticket in tickets_of(registry, "agente")] == ["Écran noir"]


def test_the_command_says_in_french_when_it_cannot_listen(registry, settings, bureau, tmp_path, monkeypatch):
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", "cagou_sample cagou_helpdesk")
    ini = write_ini(tmp_path / "inbound.ini", settings)
    with running_listener(registry) as taken:
        result = CliRunner().invoke(
            build_cli(), ["-c", str(ini), "helpdesk-mail", "--listen", f"127.0.0.1:{taken.port}"]
        )
    assert result.exit_code == 1
    assert f"Erreur : Impossible d'écouter sur 127.0.0.1:{taken.port} : " in result.output


# ---------------------------------------------------------------------------
# Reading mail text
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Merci, c'est réglé.\n\nLe lun. 23 mars 2026 à 09:00, Cagou <ne-pas-repondre@cagou.example.nc> a\n"
        "écrit :\n> Bonjour",
        "Merci, c'est réglé.\n\nOn Mon, Mar 23, 2026 at 9:00 AM Cagou <ne-pas-repondre@cagou.example.nc> wrote:\n> Hi",
        "Merci, c'est réglé.\n\n-----Message d'origine-----\nDe : Cagou\nEnvoyé : lundi 23 mars 2026\nBonjour",
        "Merci, c'est réglé.\n________________________________\nDe : Cagou <ne-pas-repondre@cagou.example.nc>\n"
        "Envoyé : lundi 23 mars 2026 09:00\nÀ : Paul Agent\nObjet : [HD-000001] Demande enregistrée\n\nBonjour",
        "Merci, c'est réglé.\n\n> Bonjour,\n> Votre demande est enregistrée.\n>\n",
    ],
    ids=["gmail-fr", "english", "outlook-original", "outlook-headers", "trailing-quote"],
)
def test_the_quoted_previous_message_is_left_out(text):
    assert strip_quoted(text) == "Merci, c'est réglé."


def test_inline_answers_and_ordinary_sentences_are_kept():
    text = "> Quel modèle ?\nUne HP 4250.\n> Quel étage ?\nLe 3e.\n\nLe technicien a écrit : redémarrez.\n"
    assert strip_quoted(text) == text.strip()


def test_html_becomes_text():
    assert text_of_html("<div>Un&nbsp;:<br>deux</div><script>alert(1)</script><ul><li>trois</li></ul>") == (
        "Un\xa0:\ndeux\n\ntrois"
    )


def test_titles_lose_their_reply_and_forward_prefixes():
    assert title_of("RE: TR: Fwd: Imprimante") == "Imprimante"
    assert title_of("   ") == "(sans objet)"
    assert len(title_of("x" * 500)) == 200
