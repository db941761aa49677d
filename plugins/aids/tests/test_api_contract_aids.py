"""The aids module's JSON APIs answer what the platform's OpenAPI documents say, and nothing else.

The checks are the core's (cagou.testing_checks): schemathesis reads the
application's own documents and sends each operation of the module generated
requests, valid and invalid: the instructors' (paths under
/intranet/api/v1/demarches) with a personal token of the demo agent, the
public extension's (under /api/v1/) with a resident's token. Every answer
must be one the document describes. Bounded as the core's: a few examples
per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import webtest
from conftest import CITIZEN_LOGIN, CITIZEN_PASSWORD

from cagou.kit import PUBLIC
from cagou.testing import login
from cagou.testing_checks import (
    HYPOTHESIS,
    PUBLIC_OPENAPI,
    PUBLIC_TOKENS,
    call_and_check,
    prepared_schema,
    token_with_every_scope,
)

AIDS_PATHS = "^/intranet/api/v1/demarches"
PUBLIC_PATHS = "^/api/v1/(demarches|demandes)"
CENSUS = "recensement-des-residents-de-la-province-sud-bloques-a-l-etranger"


@pytest.fixture
def api_schema(app: webtest.TestApp, demonstration: None) -> Any:
    login(app, "agent", "demo-agent-2026")
    token = token_with_every_scope(app)
    app.reset()
    # The business aid's procedure (the second made by the demonstration) and one of its applications.
    return prepared_schema(app, token, {"id": "2", "receipt": "AIDE-2020-000001"})


schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex=AIDS_PATHS)


@schema.parametrize()
@HYPOTHESIS
def test_every_answer_of_the_api_is_one_its_document_describes(case: schemathesis.Case) -> None:
    call_and_check(case)


@pytest.fixture
def public_api_schema(app: webtest.TestApp, demonstration: None, citizen: Any) -> Any:
    login(app, CITIZEN_LOGIN, CITIZEN_PASSWORD, site=PUBLIC)
    token = token_with_every_scope(app, PUBLIC_TOKENS)
    app.reset()
    return prepared_schema(app, token, {"slug": CENSUS, "receipt": "RAP-2020-000001"}, PUBLIC_OPENAPI)


public_schema = schemathesis.pytest.from_fixture("public_api_schema").include(path_regex=PUBLIC_PATHS)


@public_schema.parametrize()
@HYPOTHESIS
def test_every_answer_of_the_public_api_is_one_its_document_describes(case: schemathesis.Case) -> None:
    call_and_check(case)
