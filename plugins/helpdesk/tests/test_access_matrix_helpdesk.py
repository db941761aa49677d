"""Every route of the helpdesk, for every kind of person, answers as its permission says.

The walk is the core's (cagou.testing_checks, as tests/test_access_matrix.py
runs it on the core's routes): each route is asked as five people of the
demonstration (anonymous, a citizen, an agent without role, a technician, an
IT administrator, who is the helpdesk's administrator too). The matrix of the
helpdesk's routes is written to ``test-artifacts/access-matrix-helpdesk.md``
and printed at the end of the run.
"""

from __future__ import annotations

import pytest

from cagou.testing_checks import ARTIFACTS, access_browsers, access_matrix, write_matrix

MATRIX = ARTIFACTS / "access-matrix-helpdesk.md"


@pytest.fixture
def people(app_config, demonstration):
    return access_browsers(app_config)


def test_every_helpdesk_route_answers_as_its_permission_says(registry, people):
    rows, mismatches = access_matrix(registry, people, keep=lambda route: route.name.startswith("helpdesk."))
    write_matrix(MATRIX, rows)
    assert len(rows) >= 8
    assert not mismatches, mismatches
