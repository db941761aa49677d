"""The aids module's JSON API answers what the platform's OpenAPI document says, and nothing else.

The checks are the core's (cagou.testing_checks): schemathesis reads the
application's own document and sends each operation of the module (paths
under /intranet/api/v1/demarches) generated requests, valid and invalid,
with a personal token of the demo agent; every answer must be one the
document describes. Bounded as the core's: a few examples per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import webtest

from cagou.testing import login
from cagou.testing_checks import HYPOTHESIS, call_and_check, prepared_schema, token_with_every_scope

AIDS_PATHS = "^/intranet/api/v1/demarches"


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
