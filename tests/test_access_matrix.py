"""Every route, for every kind of person, answers as its permission says.

The test walks the route table of the core and the sample module, asks each
route as five people (anonymous, a citizen, an agent without role, an agent
with a role, an IT administrator), and compares what the platform answered
with what the permission of the route's view grants them. The matrix is
written to ``test-artifacts/access-matrix.md`` and printed at the end of the
run. The walk is cagou.testing_checks'; a module's suite runs it on its own
routes (plugins/helpdesk/tests/test_access_matrix_helpdesk.py).
"""

from __future__ import annotations

import pytest

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing_checks import ARTIFACTS, access_browsers, access_matrix, write_matrix

MATRIX = ARTIFACTS / "access-matrix.md"


@pytest.fixture
def people(app_config, registry, demonstration):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("technicien"), "sample:reader")
    return access_browsers(app_config)


def test_every_route_answers_as_its_permission_says(registry, people):
    rows, mismatches = access_matrix(registry, people)
    write_matrix(MATRIX, rows)
    assert len(rows) >= 8
    assert not mismatches, mismatches
