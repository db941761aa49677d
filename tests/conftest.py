"""The core's test suite runs the platform with the sample module of tests/plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# ldap_server: the real OpenLDAP server of the directory tests (tests/ldap_server.py).
pytest_plugins = ["cagou.testing", "ldap_server"]

ACCESS_MATRIX = Path(__file__).parent.parent / "test-artifacts" / "access-matrix.md"


def pytest_sessionstart(session: pytest.Session) -> None:
    ACCESS_MATRIX.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Show who may open what, as tests/test_access_matrix.py observed it."""
    if ACCESS_MATRIX.exists():
        terminalreporter.write_sep("=", "access matrix (test-artifacts/access-matrix.md)")
        terminalreporter.write_line(ACCESS_MATRIX.read_text())


@pytest.fixture(scope="session")
def cagou_modules() -> tuple[str, ...]:
    return ("cagou_sample", "cagou_helpdesk")


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The helpdesk's groups, categories and people in the demonstration, without its six weeks of tickets.

    The core's tests load the demonstration for its accounts; the tickets took
    about 1 s per test on SQLite and 2.5 s on PostgreSQL. The helpdesk's demo
    test and the browser tests ask for them again.
    """
    return {**settings, "helpdesk.demo_history": "false"}
