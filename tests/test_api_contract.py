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

Here the operations are the core's and the sample module's; a module's suite
runs the same checks (cagou.testing_checks) on its own operations
(plugins/helpdesk/tests/test_api_contract_helpdesk.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import webtest
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import login
from cagou.testing_checks import HYPOTHESIS, call_and_check, prepared_schema, token_with_every_scope
from cagou_sample.models import SampleNote

TECHNICIAN = ("technicien", "demo-technicien-2026")


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
def api_schema_on_a_note(app: webtest.TestApp, registry: Registry, technician_token: str) -> Any:
    """Every path on one note of the sample module: what exists."""
    with transaction_scope(registry) as request:
        note = SampleNote(title="Une note qui existe")
        request.db.add(note)
        request.db.flush()
        note_id = note.id
    return prepared_schema(app, technician_token, {"id": str(note_id)})


schema = schemathesis.pytest.from_fixture("api_schema")
schema_on_a_note = schemathesis.pytest.from_fixture("api_schema_on_a_note")


@schema.parametrize()
@HYPOTHESIS
def test_every_answer_of_the_api_is_one_its_document_describes(case: schemathesis.Case) -> None:
    call_and_check(case)


@schema_on_a_note.parametrize()
@HYPOTHESIS
def test_so_is_every_answer_about_a_note_that_exists(case: schemathesis.Case) -> None:
    call_and_check(case)
