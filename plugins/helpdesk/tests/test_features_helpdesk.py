"""Step definitions of the helpdesk's requests, queues, incidents and bad-input features (French Gherkin)."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
import webtest
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.db import transaction_scope
from cagou.identity.models import Account
from cagou.interfaces import IAccounts
from cagou.testing import csrf_token, delivered_mail
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.jobs import notify_breaches
from cagou_helpdesk.models import CLOSED, NOTE, REPLY, STATUSES, URGENCIES, Ticket

scenarios(
    "helpdesk/demandes.feature",
    "helpdesk/techniciens.feature",
    "helpdesk/incidents.feature",
    "helpdesk/saisies_invalides.feature",
)

URGENCY_OF = {title: str(value) for value, title in URGENCIES.items()}


class Browser:
    def __init__(self, app: webtest.TestApp) -> None:
        self.app = app
        self.page: webtest.TestResponse | None = None
        self.ticket_id: int | None = None
        self.due_before: datetime.datetime | None = None

    def text(self) -> str:
        assert self.page is not None
        return " ".join(self.page.html.get_text().split())


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app)


def account(request, login_name: str) -> Account:
    return request.db.scalars(sa.select(Account).where(Account.login == login_name)).one()


def ticket_titled(registry, title: str) -> Ticket:
    with transaction_scope(registry) as request:
        ticket = request.db.scalars(sa.select(Ticket).where(Ticket.title == title).order_by(Ticket.id)).first()
        assert ticket is not None, title
        _ = ticket.assignee, ticket.requester, ticket.opened_by, ticket.group, ticket.messages
    return ticket


def ticket_url(registry, title: str) -> str:
    return f"/intranet/assistance/tickets/{ticket_titled(registry, title).id}"


def submit_new(browser: Browser, **fields: object) -> None:
    form = browser.app.get("/intranet/assistance/nouvelle").forms["formulaire-demande"]
    values = {"title": "Une panne", "description": "Depuis ce matin.", "category": "Logiciels"}
    values.update(fields)
    for name, value in values.items():
        form[name] = value
    browser.page = form.submit(expect_errors=True)


def open_as(registry, login_name: str, title: str, category: str = "Logiciels", urgency: str = "2") -> int:
    with transaction_scope(registry) as request:
        data = TicketInput(title=title, description="Décrit par le test.", category=category, urgency=urgency)
        return request.find_service(ITickets).open(data, account(request, login_name)).id


# ---------------------------------------------------------------------------
# Given
# ---------------------------------------------------------------------------


@given("le bureau d'assistance avec ses techniciens et ses catégories")
def bureau(helpdesk, clock):
    return helpdesk


@given(parsers.parse('je suis connecté comme "{name}"'))
def signed_in(browser, sign_in, name):
    browser.page = sign_in(name)


@given(parsers.parse('j\'ai ouvert la demande "{title}" dans la catégorie "{category}"'))
def i_opened(browser, registry, title, category):
    submit_new(browser, title=title, category=category)
    assert browser.page.status_int == 303
    browser.ticket_id = ticket_titled(registry, title).id


@given(parsers.parse('"{name}" a ouvert la demande "{title}" d\'urgence "{urgency}"'))
def someone_opened(registry, name, title, urgency):
    open_as(registry, name, title, urgency=URGENCY_OF[urgency])


@given(parsers.parse('"{name}" a ouvert la demande "{title}" dans la catégorie "{category}"'))
def someone_opened_in(registry, name, title, category):
    open_as(registry, name, title, category)


@given(parsers.parse('"{name}" a ouvert {count:d} demandes "{title}" dans la catégorie "{category}"'))
def someone_opened_many(registry, name, count, title, category):
    for _ in range(count):
        open_as(registry, name, title, category)


@given(parsers.parse('"{name}" a répondu "{body}"'))
def technician_replied(registry, browser, name, body):
    with transaction_scope(registry) as request:
        request.find_service(ITickets).add_message(
            request.db.get_one(Ticket, browser.ticket_id), account(request, name), body, REPLY
        )


@given(parsers.parse('"{name}" a écrit la note interne "{body}"'))
def technician_noted(registry, browser, name, body):
    with transaction_scope(registry) as request:
        request.find_service(ITickets).add_message(
            request.db.get_one(Ticket, browser.ticket_id), account(request, name), body, NOTE
        )


@given(parsers.parse('"{name}" a pris la demande "{title}"'))
def someone_took(registry, name, title):
    with transaction_scope(registry) as request:
        request.find_service(ITickets).take(
            request.db.get_one(Ticket, ticket_titled(registry, title).id), account(request, name)
        )


@given(parsers.parse('j\'ai pris la demande "{title}"'))
def i_took(browser, registry, title):
    url = ticket_url(registry, title)
    browser.page = browser.app.post(url + "/prendre", {"csrf_token": csrf_token(browser.app.get(url))})


@given(parsers.parse('la demande "{title}" est close'))
def is_closed(registry, title):
    with transaction_scope(registry) as request:
        request.find_service(ITickets).set_status(request.db.get_one(Ticket, ticket_titled(registry, title).id), CLOSED)


# ---------------------------------------------------------------------------
# When
# ---------------------------------------------------------------------------


@when(parsers.parse('je tape "{text}" dans le titre d\'une nouvelle demande'))
def type_title(browser, text):
    browser.page = browser.app.get("/intranet/assistance/suggestions", {"title": text}, headers={"HX-Request": "true"})


@when(parsers.parse('j\'envoie une demande "{title}" dans la catégorie "{category}"'))
def send_request(browser, title, category):
    submit_new(browser, title=title, category=category)


@when(parsers.parse('j\'envoie pour "{requester}" une demande "{title}" dans la catégorie "{category}"'))
def send_for(browser, requester, title, category):
    submit_new(browser, requester=requester, title=title, category=category)


@when("j'ouvre ma demande")
def open_mine(browser):
    browser.page = browser.app.get(f"/intranet/assistance/tickets/{browser.ticket_id}")


@when(parsers.parse('"{name}" résout la demande'))
def resolve(registry, browser, name):
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, browser.ticket_id)
        request.find_service(ITickets).change_status(ticket, "resolved", technician=account(request, name))


@when("je rouvre ma demande")
def reopen(browser):
    url = f"/intranet/assistance/tickets/{browser.ticket_id}"
    browser.page = browser.app.post(url + "/rouvrir", {"csrf_token": csrf_token(browser.app.get(url))})


@when(parsers.parse('je donne la note {rating:d} avec le commentaire "{comment}"'))
def rate(browser, rating, comment):
    url = f"/intranet/assistance/tickets/{browser.ticket_id}"
    fields = {"csrf_token": csrf_token(browser.app.get(url)), "rating": str(rating), "comment": comment}
    browser.page = browser.app.post(url + "/noter", fields)


@when("je prends le suivant")
def take_next(browser):
    queue = browser.app.get("/intranet/assistance/file/")
    browser.page = browser.app.post("/intranet/assistance/file/suivant", {"csrf_token": csrf_token(queue)}).follow()


@when(parsers.parse('je prends la demande "{title}"'))
def take_ticket(browser, registry, title):
    url = ticket_url(registry, title)
    browser.page = browser.app.post(
        url + "/prendre", {"csrf_token": csrf_token(browser.app.get(url))}, expect_errors=True
    )


@when(parsers.parse('je prends la demande "{title}" par la file'))
def take_from_queue(browser, registry, title):
    queue = browser.app.get("/intranet/assistance/file/")
    fields = {"csrf_token": csrf_token(queue), "action": "take", "ticket": str(ticket_titled(registry, title).id)}
    browser.page = browser.app.post("/intranet/assistance/file/lot", fields, expect_errors=True)


@when(parsers.parse('je mets la demande "{title}" en attente du demandeur'))
def wait_for_requester(browser, registry, title):
    browser.due_before = ticket_titled(registry, title).resolution_due
    url = ticket_url(registry, title)
    fields = {"csrf_token": csrf_token(browser.app.get(url)), "status": "waiting", "waiting_for": "requester"}
    browser.page = browser.app.post(url + "/statut", fields)


@when("deux heures ouvrées passent")
def two_hours(clock):
    clock.advance(hours=2)


@when(parsers.parse('le demandeur répond "{body}"'))
def requester_answers(registry, browser, body):
    with transaction_scope(registry) as request:
        ticket = request.db.scalars(sa.select(Ticket).where(Ticket.status == "waiting")).one()
        request.find_service(ITickets).add_message(ticket, ticket.requester, body, REPLY)


@when(parsers.parse('{minutes:d} minutes passent sans réponse à "{title}"'))
def time_passes(clock, registry, minutes, title):
    assert ticket_titled(registry, title).first_response_at is None
    clock.advance(minutes=minutes)


@when("la vérification des délais passe")
def check_breaches(registry):
    notify_breaches(registry)


@when(parsers.parse('le compte de "{name}" est désactivé'))
def deactivate(registry, name):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.deactivate(accounts.by_login(name))


@when(parsers.parse('je rattache les demandes "{title}" à l\'incident "{parent}"'))
def link_children(browser, registry, title, parent):
    with transaction_scope(registry) as request:
        ids = list(request.db.scalars(sa.select(Ticket.id).where(Ticket.title == title)))
    queue = browser.app.get("/intranet/assistance/file/")
    reference = f"HD-{ticket_titled(registry, parent).id:06d}"
    fields = [("csrf_token", csrf_token(queue)), ("action", "link"), ("parent", reference)]
    browser.page = browser.app.post("/intranet/assistance/file/lot", fields + [("ticket", str(i)) for i in ids])
    delivered_mail(registry)


@when(parsers.parse('je résous la demande "{title}"'))
def resolve_ticket(browser, registry, title):
    url = ticket_url(registry, title)
    browser.page = browser.app.post(
        url + "/statut", {"csrf_token": csrf_token(browser.app.get(url)), "status": "resolved"}
    )


@when(parsers.parse('j\'envoie une demande dont le champ "{field}" vaut "{value}"'))
def send_invalid(browser, field, value):
    value = {"(vide)": "", "(10000 x)": "x" * 10_000}.get(value, value)
    submit_new(browser, **{field: value})


@when(
    parsers.parse(
        "j'envoie une demande dont la description contient un caractère de contrôle \"{character}\" collé d'un PDF"
    )
)
def send_control_character(browser, character):
    control = character.encode().decode("unicode_escape")
    submit_new(browser, description=f"Depuis ce matin,{control} l'écran clignote.")


@when("j'envoie de nouveau ce qui est proposé, sans ce caractère")
def send_cleaned(browser):
    browser.page = browser.page.forms["envoi-nettoye"].submit(expect_errors=True).maybe_follow()


@then(parsers.parse('la demande "{title}" est enregistrée avec la description "{description}"'))
def stored_with(registry, title, description):
    with transaction_scope(registry) as request:
        ticket = request.db.scalars(sa.select(Ticket).where(Ticket.title == title)).one()
        assert ticket.description == description


@when(parsers.parse('j\'envoie une demande avec la pièce jointe "{name}" qui est en fait un programme'))
def send_disguised(browser, name):
    submit_new(browser, attachments=[(name, b"MZ\x90\x00" + b"\x00" * 300)])


@when(parsers.parse("j'envoie une demande avec une pièce jointe de {size:d} Mo"))
def send_heavy(browser, size):
    submit_new(browser, attachments=[("journal.txt", b"a" * (size * 1024 * 1024))])


@when(parsers.parse('je réponds "{body}" à la demande "{title}"'))
def answer(browser, registry, body, title):
    url = ticket_url(registry, title)
    token = csrf_token(browser.app.get("/intranet/assistance/nouvelle"))
    browser.page = browser.app.post(url + "/repondre", {"csrf_token": token, "body": body}, expect_errors=True)


# ---------------------------------------------------------------------------
# Then
# ---------------------------------------------------------------------------


@then(parsers.parse("l'article \"{title}\" m'est proposé"))
def article_offered(browser, title):
    assert title in browser.page.text


@then("aucun brouillon ne m'est proposé")
def no_draft(browser):
    assert "Brouillon" not in browser.page.text


@then(parsers.parse('la page me donne la référence "{reference}"'))
def reference_given(browser, reference):
    browser.page = browser.page.follow()
    assert f"Votre demande est enregistrée sous la référence {reference}." in browser.text()


@then(parsers.parse('la demande est dans la file du groupe "{code}"'))
def in_group(registry, code):
    with transaction_scope(registry) as request:
        assert request.db.scalars(sa.select(Ticket)).one().group.code == code


@then(parsers.parse('je reçois un courriel "{subject}"'))
def mail_received(registry, subject):
    assert subject in [message["Subject"] for message in delivered_mail(registry)]


@then(parsers.parse('je lis "{text}"'))
def i_read(browser, text):
    assert text in browser.text()


@then(parsers.parse('je ne lis pas "{text}"'))
def i_do_not_read(browser, text):
    assert text not in browser.text()


@then(parsers.parse('la demande est "{status}"'))
def status_is(registry, browser, status):
    with transaction_scope(registry) as request:
        assert STATUSES[request.db.get_one(Ticket, browser.ticket_id).status] == status


@then(parsers.parse("la demande porte la note {rating:d}"))
def rated(registry, browser, rating):
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, browser.ticket_id).rating == rating


@then(parsers.parse('la demande appartient à "{requester}" et a été saisie par "{opener}"'))
def belongs_to(registry, requester, opener):
    with transaction_scope(registry) as request:
        ticket = request.db.scalars(sa.select(Ticket)).one()
        assert (ticket.requester.login, ticket.opened_by.login, ticket.source) == (requester, opener, "phone")


@then(parsers.parse('j\'ouvre la demande "{title}"'))
def on_ticket(browser, title):
    assert browser.page.html.find("h1").get_text(" ", strip=True).endswith(title)


@then("elle m'est attribuée")
def assigned_to_me(browser, registry):
    title = browser.page.html.find("h1").get_text(" ", strip=True).split(" ", 1)[1]
    assert ticket_titled(registry, title).assignee.login == "tech1"


@then(parsers.parse('on me répond "{text}" avec le statut {status:d}'))
def answered_with(browser, text, status):
    assert browser.page.status_int == status
    assert text in browser.text()


@then(parsers.parse('la demande "{title}" est "{status}"'))
def titled_status(registry, title, status):
    assert STATUSES[ticket_titled(registry, title).status] == status


@then("son échéance de résolution a reculé de deux heures")
def due_moved(registry, browser):
    with transaction_scope(registry) as request:
        ticket = request.db.scalars(sa.select(Ticket).where(Ticket.title == "Écran noir")).one()
        assert ticket.resolution_due == browser.due_before + datetime.timedelta(hours=2)


@then(parsers.parse('"{name}" reçoit un courriel "{subject}"'))
def someone_receives(registry, name, subject):
    received = [(m["To"], m["Subject"]) for m in delivered_mail(registry)]
    assert any(to == f"{name}@province-sud.nc" and subject in got for to, got in received), received


@then(parsers.parse('la demande "{title}" n\'est attribuée à personne'))
def unassigned(registry, title):
    assert ticket_titled(registry, title).assignee is None


@then(parsers.parse('les {count:d} demandes sont "{status}"'))
def all_status(registry, count, status):
    with transaction_scope(registry) as request:
        statuses = [STATUSES[s] for s in request.db.scalars(sa.select(Ticket.status))]
    assert statuses == [status] * count


@then(parsers.parse('"{name}" reçoit {count:d} courriels "{subject}"'))
def receives_many(registry, name, count, subject):
    received = [m for m in delivered_mail(registry) if m["To"] == f"{name}@province-sud.nc" and subject in m["Subject"]]
    assert len(received) == count


@then(parsers.parse("la réponse a le statut {status:d}"))
def response_status(browser, status):
    assert browser.page.status_int == status


@then(parsers.parse('le message "{message}" est à côté du champ "{field}"'))
def message_next_to(browser, message, field):
    error = browser.page.html.find(id=f"erreur-{field}")
    assert error is not None and message in error.get_text()
    assert f"erreur-{field}" in browser.page.html.find(id=f"champ-{field}")["aria-describedby"]


@then("aucune demande n'est enregistrée")
def nothing_stored(registry):
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
