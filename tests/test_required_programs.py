"""A missing install never hides behind a skip (issue 11, point 8).

``.ci/system-packages`` installs the Debian packages the tests need or stops
saying how to get them; under ``make test`` and in CI (``CAGOU_REQUIRE_EVERY_TEST=1``)
a test whose program is missing fails, and a browser or directory test that
was skipped for any reason fails the run. The script runs against fake
``apt-get``, ``sudo`` and ``id`` on a PATH of its own, so nothing is installed;
the pytest side runs in a pytest of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cagou.testing import every_test_required

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "system-packages"
#: chromium is in /usr/bin, which the fake PATH leaves out: it is always missing there.
MISSING = "chromium"


def fake_path(folder: Path, *, uid: int = 0, sudo: bool = False, apt_get: bool = True) -> Path:
    """A PATH folder with ``env``, and fakes of ``id``, ``sudo`` and ``apt-get`` that write to ``calls``."""
    folder.mkdir()
    (folder / "env").symlink_to("/usr/bin/env")
    calls = folder / "calls"
    fakes = {"id": f"echo {uid}"}
    if apt_get:
        fakes["apt-get"] = f'echo "apt-get $*" >> {calls}'
    if sudo:
        fakes["sudo"] = f'echo "sudo" >> {calls}; exec "$@"'
    for name, body in fakes.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return folder


def run_script(path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)], env={"PATH": str(path), **environ}, capture_output=True, text=True, timeout=30
    )


def calls(path: Path) -> list[str]:
    log = path / "calls"
    return log.read_text().splitlines() if log.exists() else []


def test_as_root_the_script_updates_then_installs_what_is_missing(tmp_path):
    path = fake_path(tmp_path / "bin")
    result = run_script(path)
    assert result.returncode == 0, result.stderr
    update, install = calls(path)
    assert update == "apt-get update -qq"
    assert install.startswith("apt-get install -y -qq --no-install-recommends ")
    assert MISSING in install.split()


def test_through_sudo_when_not_root(tmp_path):
    path = fake_path(tmp_path / "bin", uid=1000, sudo=True)
    result = run_script(path)
    assert result.returncode == 0, result.stderr
    assert calls(path)[:2] == ["sudo", "apt-get update -qq"]
    assert MISSING in calls(path)[3].split()


def test_without_root_nor_sudo_the_script_stops_saying_what_and_how(tmp_path):
    path = fake_path(tmp_path / "bin", uid=1000)
    result = run_script(path)
    assert result.returncode == 1
    assert calls(path) == []
    assert MISSING in result.stderr
    assert f"apt-get install --no-install-recommends {MISSING}" in result.stderr


def test_without_apt_get_the_script_stops(tmp_path):
    path = fake_path(tmp_path / "bin", apt_get=False)
    result = run_script(path)
    assert result.returncode == 1
    assert MISSING in result.stderr
    assert "apt-get est introuvable" in result.stderr


def test_with_every_test_not_required_the_script_only_warns(tmp_path):
    path = fake_path(tmp_path / "bin", uid=1000)
    result = run_script(path, CAGOU_REQUIRE_EVERY_TEST="0")
    assert result.returncode == 0
    assert MISSING in result.stderr


@pytest.mark.parametrize(
    ("environ", "required"),
    [
        ({}, False),
        ({"CAGOU_REQUIRE_EVERY_TEST": "1"}, True),
        ({"CI": "true"}, True),
        ({"CI": "true", "CAGOU_REQUIRE_EVERY_TEST": "0"}, False),
    ],
)
def test_every_test_is_required_under_make_test_and_in_ci(monkeypatch, environ, required):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CAGOU_REQUIRE_EVERY_TEST", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert every_test_required() is required


INNER_TESTS = """
import pytest
from cagou.testing import require_program

@pytest.fixture
def program():
    require_program("cagou-no-such-program", "cagou-no-such-package")

def test_needs_a_missing_program(program):
    pass

@pytest.mark.browser
def test_a_browser_test_skipped_for_another_reason():
    pytest.skip("for another reason")

def test_an_ordinary_skip():
    pytest.skip("PostgreSQL only")
"""


def inner_pytest(folder: Path, *arguments: str, **environ: str) -> subprocess.CompletedProcess[str]:
    """A pytest of its own in ``folder``, with cagou.testing; never on the outer run's PostgreSQL."""
    outer = {"CI", "CAGOU_REQUIRE_EVERY_TEST", "CAGOU_TEST_DATABASE_URL"}
    env = {name: value for name, value in os.environ.items() if name not in outer}
    # Without the installed plugins (Playwright's, schemathesis'...), which the inner tests do not use: their
    # imports took most of the 20 s of each run on a loaded machine.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *arguments]
    return subprocess.run(command, cwd=folder, env={**env, **environ}, capture_output=True, text=True, timeout=300)


@pytest.fixture
def inner_suite(tmp_path: Path) -> Path:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["cagou.testing"]\n')
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    return tmp_path


@pytest.mark.slow
def test_outside_make_test_a_missing_program_is_a_skip_that_says_what_to_install(inner_suite):
    result = inner_pytest(inner_suite)
    assert result.returncode == 0, result.stdout
    assert "3 skipped" in result.stdout
    assert "apt-get install cagou-no-such-package" in result.stdout


@pytest.mark.slow
def test_under_make_test_a_missing_program_fails_and_a_skipped_browser_test_fails_the_run(inner_suite):
    result = inner_pytest(inner_suite, CAGOU_REQUIRE_EVERY_TEST="1")
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout
    assert "cagou-no-such-program is missing: install Debian's cagou-no-such-package" in result.stdout
    guard = result.stdout.split("browser, directory or antivirus tests skipped")[1]
    assert "test_a_browser_test_skipped_for_another_reason: for another reason" in guard
    assert "test_an_ordinary_skip" not in guard


@pytest.mark.slow
def test_the_real_directory_test_fails_without_openssl(tmp_path):
    """The ldaps:// test, with a PATH where openssl is not: an error that names the package, not a skip."""
    (tmp_path / "bin").mkdir()
    result = inner_pytest(
        ROOT,
        f"--basetemp={tmp_path / 'tmp'}",
        "tests/test_directory.py::test_ldaps_checks_the_certificate_of_the_directory",
        PATH=str(tmp_path / "bin"),
        CAGOU_REQUIRE_EVERY_TEST="1",
    )
    assert result.returncode == 1, result.stdout
    assert "openssl is missing: install Debian's openssl" in result.stdout


@pytest.mark.slow
def test_without_clamd_the_antivirus_tests_are_skipped_saying_what_to_install_or_fail_under_make_test(tmp_path):
    """The ``clamd`` fixture of cagou.testing, where clamd is not installed (``CAGOU_TEST_CLAMD`` names none)."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["cagou.testing"]\n')
    (tmp_path / "test_inner.py").write_text("def test_scans(clamd):\n    pass\n")
    skipped = inner_pytest(tmp_path, CAGOU_TEST_CLAMD="/nulle/part/clamd")
    assert skipped.returncode == 0, skipped.stdout
    assert "1 skipped" in skipped.stdout and "apt-get install clamav-daemon" in skipped.stdout
    failed = inner_pytest(tmp_path, CAGOU_TEST_CLAMD="/nulle/part/clamd", CAGOU_REQUIRE_EVERY_TEST="1")
    assert failed.returncode == 1, failed.stdout
    assert "/nulle/part/clamd is missing: install Debian's clamav-daemon" in failed.stdout
