"""The core's test suite runs the platform with the sample module of tests/plugins, and no business module.

A business module's tests are its own (plugins/NAME/tests, docs/plugins.md
"Testing a module"): they run in a pytest of their own, with its modules.
"""

from __future__ import annotations

import pytest

# cagou.testing_browser: Chromium's fixtures (tests/browser); ldap_server: the real OpenLDAP server of
# the directory tests (tests/ldap_server.py).
pytest_plugins = ["cagou.testing", "cagou.testing_browser", "ldap_server"]

# The tests' helpers are imported in the functions: pytest must import cagou.testing itself (pytest_plugins)
# to rewrite its assertions, and a conftest's imports come first.
ACCESS_MATRIX = "access-matrix.md"


def pytest_sessionstart(session: pytest.Session) -> None:
    from cagou.testing_checks import ARTIFACTS

    (ARTIFACTS / ACCESS_MATRIX).unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Show who may open what, as tests/test_access_matrix.py observed it."""
    from cagou.testing_checks import ARTIFACTS, show_matrix

    show_matrix(terminalreporter, ARTIFACTS / ACCESS_MATRIX)


@pytest.fixture(scope="session")
def cagou_modules() -> tuple[str, ...]:
    return ("cagou_sample",)
