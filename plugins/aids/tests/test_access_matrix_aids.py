"""Every route of the aids module, for every kind of person, answers as its permission says.

The walk is the core's (cagou.testing_checks): each route is asked as five
people of the demonstration (anonymous, a citizen, an agent without role,
the demo agent, who designs and instructs both procedures, an IT
administrator). The matrix lands in ``test-artifacts/access-matrix-aids.md``.
"""

from __future__ import annotations

import pytest
from pyramid.config import Configurator
from pyramid.registry import Registry

from cagou.testing_checks import ARTIFACTS, access_browsers, access_matrix, write_matrix

MATRIX = ARTIFACTS / "access-matrix-aids.md"


@pytest.fixture
def people(app_config: Configurator, demonstration: None) -> object:
    return access_browsers(app_config)


def test_every_aids_route_answers_as_its_permission_says(registry: Registry, people: object) -> None:
    rows, mismatches = access_matrix(registry, people, keep=lambda route: route.name.startswith("aids."))
    write_matrix(MATRIX, rows)
    assert len(rows) >= 9
    assert not mismatches, mismatches
