"""The helpdesk's JSON API answers what the platform's OpenAPI document says, and nothing else.

The checks are the core's (cagou.testing_checks, as tests/test_api_contract.py
runs them on the core's operations): schemathesis reads the application's own
document and sends each operation of the helpdesk (its paths under
/intranet/api/v1/assistance/) generated requests, valid and invalid, with a
real personal token of a demonstration technician carrying every permission
it holds. Each answer must be no server error, a status the document lists
for the operation, a body and a content type that conform to it; a method
the path does not take must answer 405 with ``Allow``. Bounded as the core's:
a few examples per operation, a deadline per request, derandomized.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import webtest
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.kit import Upload
from cagou.testing import login
from cagou.testing_checks import HYPOTHESIS, call_and_check, prepared_schema, token_with_every_scope
from cagou_helpdesk import checks
from cagou_helpdesk.interfaces import ITickets

TECHNICIAN = ("technicien", "demo-technicien-2026")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HELPDESK_PATHS = "^/intranet/api/v1/assistance/"


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
            uploads=[Upload("capture.png", PNG)],
        )  # fmt: skip
        ticket = request.find_service(ITickets).open(data, technician)
        request.db.flush()
        attachment = ticket.attachments[0].id
    # A category that exists, so that new tickets are opened too, not only refused.
    parameters = {"id": str(ticket.id), "attachment": str(attachment), "body.category": "Logiciels"}
    return prepared_schema(app, technician_token, parameters)


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=HELPDESK_PATHS)
schema_on_a_ticket = schemathesis.pytest.from_fixture("api_schema_on_a_ticket").include(path_regex=HELPDESK_PATHS)


@schema.parametrize()
@HYPOTHESIS
def test_every_answer_of_the_api_is_one_its_document_describes(case: schemathesis.Case) -> None:
    call_and_check(case)


@schema_on_a_ticket.parametrize()
@HYPOTHESIS
def test_so_is_every_answer_about_a_ticket_that_exists(case: schemathesis.Case) -> None:
    call_and_check(case)
