"""The JSON API answers what its OpenAPI document says, and nothing else.

Schemathesis reads the application's own document (so a module's operations
are tested as soon as it declares them) and sends each operation generated
requests, valid and invalid, to the real application on the suite's database
(SQLite, or PostgreSQL with CAGOU_TEST_DATABASE_URL), with a real personal
token of a demonstration technician carrying every permission it holds, and
also without it. Each answer must be no server error, a status the document
lists for the operation, a body and a content type that conform to it; a
method the path does not take must answer 405 with ``Allow``.

The run is bounded so that CI stays short: a few examples per operation, a
deadline per request, and the same examples at every run (derandomized).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import webtest
from hypothesis import HealthCheck, settings
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import login
from cagou_helpdesk import checks
from cagou_helpdesk.interfaces import ITickets

OPENAPI = "/intranet/api/openapi.json"
TECHNICIAN = ("technicien", "demo-technicien-2026")
EXAMPLES_PER_OPERATION = 25
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def token_with_every_scope(app: webtest.TestApp) -> str:
    """A personal token made on the tokens page, every permission offered there ticked."""
    page = app.get("/intranet/jetons/")
    form = page.forms["formulaire-jeton"]
    form["name"] = "contrat de l'API"
    for checkbox in form.fields["scopes"]:
        checkbox.checked = True
    token: str = form.submit().html.find(id="nouveau-jeton").text
    return token


def prepared_schema(app: webtest.TestApp, token: str, parameters: dict[str, Any] | None = None) -> Any:
    """The application's document, bound to it, requests carrying ``token`` and the ``parameters`` given."""
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app.app)
    schema.config.update(headers={"Authorization": f"Bearer {token}"}, parameters=parameters)
    # Generated strings may hold NUL characters: the core's input guard refuses them with a 400 before any
    # view, a refusal every operation documents.
    schema.config.generation.update(allow_x00=True, max_examples=EXAMPLES_PER_OPERATION)
    return schema


@pytest.fixture
def technician_token(app: webtest.TestApp, registry: Registry, demonstration: None) -> str:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login(TECHNICIAN[0]), "sample:reader")
    login(app, *TECHNICIAN)
    token = token_with_every_scope(app)
    app.reset()
    return token


@pytest.fixture
def api_schema(app: webtest.TestApp, technician_token: str) -> Any:
    """Every path parameter generated: mostly things that do not exist."""
    return prepared_schema(app, technician_token)


@pytest.fixture
def api_schema_on_a_ticket(app: webtest.TestApp, registry: Registry, technician_token: str) -> Any:
    """Every path on one ticket of the technician's group, which they asked for, with its file: what exists."""
    with transaction_scope(registry) as request:
        technician = request.find_service(IAccounts).by_login(TECHNICIAN[0])
        data = checks.TicketInput(
            title="Écran noir", description="Rien ne s'affiche.", category="Logiciels",
            uploads=[checks.Upload("capture.png", PNG)],
        )  # fmt: skip
        ticket = request.find_service(ITickets).open(data, technician)
        request.db.flush()
        attachment = ticket.attachments[0].id
    # A category that exists, so that new tickets are opened too, not only refused.
    parameters = {"id": str(ticket.id), "attachment": str(attachment), "body.category": "Logiciels"}
    return prepared_schema(app, technician_token, parameters)


HYPOTHESIS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=5000,  # milliseconds per request: a hang fails, a busy CI machine does not
    derandomize=True,
    database=None,
    # One application (and database) per operation, shared by its examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def call_and_check(case: schemathesis.Case) -> None:
    # Every check but "valid data is accepted": a request can fit the schema and name what does not exist
    # (a category, a cursor), and the API refuses it with a 400, as its document says.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])


schema = schemathesis.pytest.from_fixture("api_schema")
schema_on_a_ticket = schemathesis.pytest.from_fixture("api_schema_on_a_ticket")


@schema.parametrize()
@HYPOTHESIS
def test_every_answer_of_the_api_is_one_its_document_describes(case: schemathesis.Case) -> None:
    call_and_check(case)


@schema_on_a_ticket.parametrize()
@HYPOTHESIS
def test_so_is_every_answer_about_a_ticket_that_exists(case: schemathesis.Case) -> None:
    call_and_check(case)
