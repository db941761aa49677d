"""Browser, directory and antivirus tests that CI may not skip: the programs they need, and the guard on their skips."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

#: Set to 1 by ``make test`` and ``.ci/run``: a test whose program is missing fails instead of being skipped.
REQUIRE_EVERY_TEST_ENV = "CAGOU_REQUIRE_EVERY_TEST"
#: The tests that need a program of their own (Chromium, slapd, clamd) and must never be skipped in CI.
REQUIRED_MARKERS = ("browser", "directory", "antivirus")
#: What installs the programs the tests need (Debian packages).
SYSTEM_PACKAGES = ".ci/system-packages"


def every_test_required() -> bool:
    """Whether a missing program fails the run: ``CAGOU_REQUIRE_EVERY_TEST=1``, or ``CI`` when it is not set."""
    value = os.environ.get(REQUIRE_EVERY_TEST_ENV)
    if value is None:
        value = os.environ.get("CI", "")
    return value.strip().lower() in {"1", "true", "yes"}


def require_program(program: str | Path, package: str) -> None:
    """Skip the test when ``program`` is missing, or fail it when every test is required.

    ``program`` is a path, or a name looked up on PATH. The skip says what to
    install; under ``make test`` and in CI the same message fails the test, so
    that a missing install is never hidden behind a skip.
    """
    found = Path(program).exists() if Path(program).is_absolute() else shutil.which(program) is not None
    if found:
        return
    message = (
        f"{program} is missing: install Debian's {package} ({SYSTEM_PACKAGES} does it, or: apt-get install {package})"
    )
    if every_test_required():
        pytest.fail(f"{message}; {REQUIRE_EVERY_TEST_ENV}=0 skips this test instead", pytrace=False)
    pytest.skip(message)


class SkipGuard:
    """Fails the run when a browser, directory or antivirus test was skipped, whatever the reason.

    Registered when every test is required: :func:`require_program` already
    fails when a program is missing, this catches any other skip of those tests.
    """

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail") and any(m in report.keywords for m in REQUIRED_MARKERS):
            reason = report.longrepr[2].removeprefix("Skipped: ") if isinstance(report.longrepr, tuple) else ""
            self.skipped.append(f"{report.nodeid}: {reason}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.skipped and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.skipped:
            terminalreporter.write_sep(
                "=", f"browser, directory or antivirus tests skipped, which {REQUIRE_EVERY_TEST_ENV} forbids"
            )
            for line in self.skipped:
                terminalreporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright")
    config.addinivalue_line("markers", "directory: needs Debian's slapd (the tests' own OpenLDAP server)")
    config.addinivalue_line("markers", "antivirus: needs Debian's clamd (cagou.testing.clamd)")
    if every_test_required():
        config.pluginmanager.register(SkipGuard(), "cagou-skip-guard")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for the ``slapd`` fixture (tests/ldap_server.py) is a directory test, marked or not;
    one that asks for ``clamd`` (:mod:`cagou.testing.clamd`), an antivirus test.

    The browser tests carry their marker (``pytestmark``): "browser" is also
    the name of other fixtures (the Gherkin steps' WebTest browser).
    """
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "slapd" in names:
            item.add_marker(pytest.mark.directory)
        if "clamd" in names or "clamd_server" in names:
            item.add_marker(pytest.mark.antivirus)
