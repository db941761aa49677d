"""Step definitions of features/helpdesk/api.feature: the helpdesk's JSON API, with personal tokens (French Gherkin).

"il" in the steps is the person whose token the client carries. Tokens are
made on the tokens page, as a person makes them (see ``helpdesk_api_client``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
import webtest
from helpdesk_api_client import TICKETS, ApiClient, issue_token
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou_helpdesk import checks
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import CLOSED, NOTE, RESOLVED, Attachment, Message, Ticket

scenarios("helpdesk/api.feature")

#: What the files of the scenarios hold: a picture, and a Windows program whatever its name says.
FILES = {"image": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "programme": b"MZ\x90\x00" + b"\x00" * 200}


@dataclass
class Caller:
    """The program calling the API, the last answer it got, and the ticket the scenario is about."""

    client: ApiClient | None = None
    response: webtest.TestResponse | None = None
    ticket_id: int | None = None
    #: The ticket linked to the scenario's major incident.
    child_id: int | None = None
    #: The files sent, by name.
    sent: dict[str, bytes] = field(default_factory=dict)

    @property
    def api(self) -> ApiClient:
        assert self.client is not None, "no token yet"
        return self.client

    @property
    def answer(self) -> webtest.TestResponse:
        assert self.response is not None, "no request yet"
        return self.response

    @property
    def path(self) -> str:
        assert self.ticket_id is not None, "no ticket yet"
        return f"{TICKETS}/{self.ticket_id}"


@pytest.fixture
def caller() -> Caller:
    return Caller()


def as_account(registry, login_name: str, action) -> None:
    """Run ``action(request, account, ticket)``-like work through the services, outside the API."""
    with transaction_scope(registry) as request:
        action(request, request.find_service(IAccounts).by_login(login_name))


# ---------------------------------------------------------------------------
# Given
# ---------------------------------------------------------------------------


@given("le bureau d'assistance avec ses techniciens et ses catégories")
def bureau(helpdesk):
    return helpdesk


@given(parsers.parse('"{login_name}" a un jeton d\'API pour "{scopes}"'))
def token(caller, app, sign_in, login_name, scopes):
    sign_in(login_name)
    caller.client = issue_token(app, tuple(scope.strip() for scope in scopes.split(",")))


@given(parsers.parse('un ticket "{title}" ouvert par "{login_name}"'))
def ticket_opened(caller, registry, title, login_name):
    def open_it(request, account):
        data = checks.TicketInput(title=title, description="Décrit par le scénario.", category="Logiciels")
        caller.ticket_id = request.find_service(ITickets).open(data, account).id

    as_account(registry, login_name, open_it)


@given(parsers.parse('"{login_name}" a écrit la note interne "{body}" sur ce ticket'))
def note_written(caller, registry, login_name, body):
    as_account(
        registry,
        login_name,
        lambda request, tech: request.find_service(ITickets).add_message(
            request.db.get(Ticket, caller.ticket_id), tech, body, NOTE
        ),
    )


@given(parsers.parse('"{login_name}" a répondu "{body}" sur ce ticket'))
def replied(caller, registry, login_name, body):
    as_account(
        registry,
        login_name,
        lambda request, tech: request.find_service(ITickets).add_message(
            request.db.get(Ticket, caller.ticket_id), tech, body
        ),
    )


@given(parsers.parse('ce ticket a été résolu puis clos par "{login_name}"'))
def resolved_and_closed(caller, registry, login_name):
    for status in (RESOLVED, CLOSED):
        as_account(
            registry,
            login_name,
            lambda request, tech, status=status: request.find_service(ITickets).change_status(
                request.db.get(Ticket, caller.ticket_id), status, None, tech
            ),
        )


@given(parsers.parse('ce ticket a été résolu par "{login_name}"'))
def resolved(caller, registry, login_name):
    as_account(
        registry,
        login_name,
        lambda request, tech: request.find_service(ITickets).change_status(
            request.db.get(Ticket, caller.ticket_id), RESOLVED, None, tech
        ),
    )


@given(parsers.parse('le ticket "{title}" de "{login_name}" a été rattaché à ce ticket par "{technician}"'))
def linked(caller, registry, title, login_name, technician):
    def open_it(request, account):
        data = checks.TicketInput(title=title, description="Un doublon de l'incident.", category="Logiciels")
        caller.child_id = request.find_service(ITickets).open(data, account).id

    def link_it(request, tech):
        child, parent = request.db.get(Ticket, caller.child_id), request.db.get(Ticket, caller.ticket_id)
        request.find_service(ITickets).link_to_incident(child, parent, tech)

    as_account(registry, login_name, open_it)
    as_account(registry, technician, link_it)


# ---------------------------------------------------------------------------
# When
# ---------------------------------------------------------------------------


@when(parsers.parse('il envoie par l\'API le ticket "{title}" dans la catégorie "{category}"'))
def send_ticket(caller, title, category):
    body = {"title": title, "description": "Envoyé par un script.", "category": category}
    caller.response = caller.api.post(TICKETS, body, status="*")
    if caller.response.status_int == 201:
        caller.ticket_id = caller.response.json["id"]


@when(parsers.parse("il envoie par l'API un ticket dont le titre fait {length:d} caractères"))
def send_long_title(caller, length):
    body = {"title": "x" * length, "description": "Envoyé par un script.", "category": "Logiciels"}
    caller.response = caller.api.post(TICKETS, body, status="*")


@when("il lit ce ticket par l'API")
def read_ticket(caller):
    caller.response = caller.api.get(caller.path, status="*")


@when(parsers.parse('il passe ce ticket au statut "{status}" par l\'API'))
def change_status(caller, status):
    caller.response = caller.api.patch(caller.path, {"status": status}, status="*")


@when(parsers.parse('il passe ce ticket au statut "{status}" et en priorité {priority:d} sans donner de raison'))
def change_status_and_priority(caller, status, priority):
    caller.response = caller.api.patch(caller.path, {"status": status, "priority": priority}, status="*")


@when("il demande par l'API la liste de ses tickets")
def list_tickets(caller):
    caller.response = caller.api.get(TICKETS, status="*")


@when(parsers.parse('il répond "{body}" sur ce ticket par l\'API'))
def reply(caller, body):
    caller.response = caller.api.post(f"{caller.path}/messages", {"body": body}, status="*")


def reply_with_file(caller: Caller, body: str, filename: str, data: bytes) -> None:
    """A reply with one file, in multipart/form-data as a form sends it."""
    caller.sent[filename] = data
    caller.response = caller.api.app.post(
        f"{caller.path}/messages",
        {"body": body},
        upload_files=[("attachments", filename, data)],
        headers=caller.api.headers,
        status="*",
    )


@when(parsers.parse('il répond "{body}" sur ce ticket par l\'API avec le fichier "{filename}"'))
def reply_with_picture(caller, body, filename):
    reply_with_file(caller, body, filename, FILES["image"])


@when(parsers.parse('il répond "{body}" sur ce ticket par l\'API avec un programme nommé "{filename}"'))
def reply_with_program(caller, body, filename):
    reply_with_file(caller, body, filename, FILES["programme"])


@when(parsers.parse('il note ce ticket {rating:d} sur 5 par l\'API avec le commentaire "{comment}"'))
def rate(caller, rating, comment):
    caller.response = caller.api.app.put_json(
        f"{caller.path}/rating", {"rating": rating, "comment": comment}, headers=caller.api.headers, status="*"
    )


# ---------------------------------------------------------------------------
# Then
# ---------------------------------------------------------------------------


@then(parsers.parse("l'API répond {status:d}"))
def answered(caller, status):
    assert caller.answer.status_int == status, caller.answer.text
    assert caller.answer.content_type == "application/json"


@then(parsers.parse('le ticket est dans la file du groupe "{code}"'))
def in_queue(caller, code):
    assert caller.answer.json["group"]["code"] == code


@then(parsers.parse("la liste de ses tickets par l'API compte {number:d} ticket"))
def listed(caller, number):
    page = caller.api.get(TICKETS).json
    assert len(page["items"]) == number
    assert page["items"][0]["id"] == caller.ticket_id


@then(parsers.parse('il lit la réponse "{body}"'))
def reads_reply(caller, body):
    assert body in [message["body"] for message in caller.answer.json["messages"]]


@then(parsers.parse('la réponse de l\'API ne contient pas "{text}"'))
def does_not_contain(caller, text):
    assert text not in caller.answer.text


@then(parsers.parse('le champ "{name}" est refusé avec le message "{message}"'))
def field_refused(caller, name, message):
    assert caller.answer.json["errors"][name] == message


@then(parsers.parse('le champ "{name}" est refusé avec un message qui dit "{text}"'))
def field_refused_saying(caller, name, text):
    assert text in caller.answer.json["errors"][name]


@then(parsers.parse('le message d\'erreur dit "{text}"'))
def error_says(caller, text):
    assert text in caller.answer.json["error"]


@then("aucun ticket n'est enregistré")
def nothing_stored(registry):
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


@then(parsers.parse('ce ticket est toujours au statut "{status}" sans technicien'))
def unchanged(caller, registry, status):
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, caller.ticket_id)
        assert (ticket.status, ticket.assignee_id, ticket.priority) == (status, None, 3)


@then(parsers.parse('ce ticket liste par l\'API la pièce jointe "{filename}" de type "{content_type}"'))
def lists_attachment(caller, filename, content_type):
    ticket = caller.api.get(caller.path).json
    assert [(f["filename"], f["content_type"]) for f in ticket["attachments"]] == [(filename, content_type)]


@then(parsers.parse("il télécharge par l'API la pièce jointe \"{filename}\" telle qu'il l'a envoyée"))
def downloads(caller, filename):
    [attachment] = [f for f in caller.api.get(caller.path).json["attachments"] if f["filename"] == filename]
    assert caller.api.get(attachment["url"]).body == caller.sent[filename]


@then("ce ticket n'a ni message ni pièce jointe")
def no_message_nor_file(caller, registry):
    with transaction_scope(registry) as request:
        for model in (Message, Attachment):
            where = model.ticket_id == caller.ticket_id
            assert request.db.scalar(sa.select(sa.func.count()).select_from(model).where(where)) == 0


@then(parsers.parse('ce ticket est noté {rating:d} avec le commentaire "{comment}"'))
def rated(caller, registry, rating, comment):
    assert (caller.answer.json["rating"], caller.answer.json["rating_comment"]) == (rating, comment)
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, caller.ticket_id)
        assert (ticket.rating, ticket.rating_comment) == (rating, comment)


@then("ce ticket n'est pas noté")
def not_rated(caller, registry):
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, caller.ticket_id)
        assert (ticket.rating, ticket.rating_comment) == (None, None)


@then(parsers.parse('il lit {number:d} ticket rattaché à l\'incident, au statut "{status}"'))
def reads_children(caller, number, status):
    children = caller.answer.json["children"]
    assert len(children) == number
    assert children[0] == {"id": caller.child_id, "reference": f"HD-{caller.child_id:06d}", "status": status}


@then("le ticket rattaché nomme ce ticket comme incident parent")
def child_names_parent(caller):
    child = caller.api.get(f"{TICKETS}/{caller.child_id}").json
    assert child["parent"] == f"HD-{caller.ticket_id:06d}"
