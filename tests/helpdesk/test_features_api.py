"""Step definitions of features/helpdesk/api.feature: the helpdesk's JSON API, with personal tokens (French Gherkin).

"il" in the steps is the person whose token the client carries. Tokens are
made on the tokens page, as a person makes them (see ``helpdesk_api_client``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import webtest
from helpdesk_api_client import TICKETS, ApiClient, issue_token
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou_helpdesk import services
from cagou_helpdesk.models import CLOSED, NOTE, RESOLVED, Ticket

scenarios("helpdesk/api.feature")


@dataclass
class Caller:
    """The program calling the API, the last answer it got, and the ticket the scenario is about."""

    client: ApiClient | None = None
    response: webtest.TestResponse | None = None
    ticket_id: int | None = None

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
        data = services.TicketInput(title=title, description="Décrit par le scénario.", category="Logiciels")
        caller.ticket_id = services.open_ticket(request, data, account).id

    as_account(registry, login_name, open_it)


@given(parsers.parse('"{login_name}" a écrit la note interne "{body}" sur ce ticket'))
def note_written(caller, registry, login_name, body):
    as_account(
        registry,
        login_name,
        lambda request, tech: services.add_message(request, request.db.get(Ticket, caller.ticket_id), tech, body, NOTE),
    )


@given(parsers.parse('"{login_name}" a répondu "{body}" sur ce ticket'))
def replied(caller, registry, login_name, body):
    as_account(
        registry,
        login_name,
        lambda request, tech: services.add_message(request, request.db.get(Ticket, caller.ticket_id), tech, body),
    )


@given(parsers.parse('ce ticket a été résolu puis clos par "{login_name}"'))
def resolved_and_closed(caller, registry, login_name):
    for status in (RESOLVED, CLOSED):
        as_account(
            registry,
            login_name,
            lambda request, tech, status=status: services.change_status(
                request, request.db.get(Ticket, caller.ticket_id), status, None, tech
            ),
        )


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
