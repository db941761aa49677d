"""``cagou module new NAME``: what it refuses, and a generated module that installs, passes its tests and lints.

The generated module is installed for real into a folder of its own
(``pip install --target``), never into the shared virtual environment, and
its tests run in another process whose ``PYTHONPATH`` holds that folder:
the module is found through its ``cagou.plugins`` entry point there, its
migration runs in ``cagou.testing``'s migrated template, its page, form and
API answer through the whole platform.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cagou.cli import cli
from cagou.scaffold import MAX_LENGTH

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent
NAME = "inventaire"
PACKAGE = f"cagou_{NAME}"


def new(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["module", "new", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "name",
    ["Inventaire", "1inventaire", "_inventaire", "inventaire-pc", "invent aire", "matériel", "", "core", "class"],
)
def test_a_name_that_cannot_name_a_module_is_refused_in_french(tmp_path: Path, name: str) -> None:
    status, output = new(name, "--directory", str(tmp_path))
    assert status == 1
    assert output.startswith("Erreur : ")
    assert "module" in output or "réservé" in output
    assert list(tmp_path.iterdir()) == []


def test_a_name_too_long_is_refused(tmp_path: Path) -> None:
    status, output = new("a" * (MAX_LENGTH + 1), "--directory", str(tmp_path))
    assert (status, output) == (1, f"Erreur : « {'a' * (MAX_LENGTH + 1)} » est trop long : 20 caractères au plus.\n")


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "notes.txt").write_text("à garder")
    status, output = new(NAME, "--directory", str(tmp_path))
    assert status == 1
    assert "existe déjà : rien n'a été écrit." in output
    assert [path.name for path in (tmp_path / NAME).iterdir()] == ["notes.txt"]


def test_the_module_is_made_in_plugins_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, output = new(NAME)
    assert status == 0, output
    assert f"/intranet/{NAME}/" in output
    made = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert made == [
        f"plugins/{NAME}/{PACKAGE}/__init__.py",
        f"plugins/{NAME}/{PACKAGE}/hooks.py",
        f"plugins/{NAME}/{PACKAGE}/interfaces.py",
        f"plugins/{NAME}/{PACKAGE}/locale/en/LC_MESSAGES/{PACKAGE}.po",
        f"plugins/{NAME}/{PACKAGE}/migrations/0001_{NAME}.py",
        f"plugins/{NAME}/{PACKAGE}/models.py",
        f"plugins/{NAME}/{PACKAGE}/services.py",
        f"plugins/{NAME}/{PACKAGE}/templates/items.jinja2",
        f"plugins/{NAME}/{PACKAGE}/views.py",
        f"plugins/{NAME}/features/{NAME}/{NAME}.feature",
        f"plugins/{NAME}/pyproject.toml",
        f"plugins/{NAME}/setup.cfg",
        f"plugins/{NAME}/tests/conftest.py",
        f"plugins/{NAME}/tests/test_features_{NAME}.py",
        f"plugins/{NAME}/tests/test_{NAME}.py",
        f"plugins/{NAME}/tests/test_migrations_{NAME}.py",
    ]


def run(*command: str | Path, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``command`` from the repository's root, with ``site`` first on the import path."""
    environ = dict(os.environ)
    # The generated tests run on SQLite: on PostgreSQL they would reset the database this session uses.
    environ.pop("CAGOU_TEST_DATABASE_URL", None)
    if site is not None:
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), environ.get("PYTHONPATH")]))
    return subprocess.run(
        [str(part) for part in command], cwd=ROOT, env=environ, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A module made by the command, and the folder it is installed into: ``(distribution, site)``."""
    base = tmp_path_factory.mktemp("scaffold")
    status, output = new(NAME, "--directory", str(base / "plugins"))
    assert status == 0, output
    distribution, site = base / "plugins" / NAME, base / "site"
    installed = run(sys.executable, "-m", "pip", "install", "-v", "--no-deps", "--target", site, distribution)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # Package data undeclared is what makes setuptools warn (SetuptoolsDeprecationWarning, "Package would be ignored").
    build = installed.stdout + installed.stderr
    assert "Deprecat" not in build and "would be ignored" not in build, build
    return distribution, site


@pytest.mark.slow
def test_the_installed_module_ships_its_files_and_entry_point(generated: tuple[Path, Path]) -> None:
    _, site = generated
    shipped = (f"migrations/0001_{NAME}.py", "templates/items.jinja2", f"locale/en/LC_MESSAGES/{PACKAGE}.po")
    for data in shipped:
        assert (site / PACKAGE / data).is_file(), data
    found = run(
        sys.executable,
        "-c",
        "from importlib.metadata import entry_points; print([e.value for e in entry_points(group='cagou.plugins')])",
        site=site,
    )
    assert f"'{PACKAGE}'" in found.stdout, found.stderr


@pytest.mark.slow
def test_the_generated_module_passes_its_own_tests(generated: tuple[Path, Path]) -> None:
    distribution, site = generated
    result = run(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", distribution / "tests", site=site)
    assert result.returncode == 0, result.stdout + result.stderr
    # Its unit tests, its two migration checks and its two French scenarios.
    assert "9 passed" in result.stdout, result.stdout


@pytest.mark.slow
def test_the_generated_module_uses_the_core_through_the_kit_only(generated: tuple[Path, Path]) -> None:
    distribution, site = generated
    config = distribution / "setup.cfg"
    kept = run(BIN / "lint-imports", "--no-cache", "--config", config, site=site)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "2 kept, 0 broken" in kept.stdout

    # The contract bites: a direct import of the core breaks it (on a copy, so that the other tests see the original).
    models = site / PACKAGE / "models.py"
    original = models.read_text()
    models.write_text(original + "\nfrom cagou.db import Base as _Base  # noqa: E402\n")
    try:
        broken = run(BIN / "lint-imports", "--no-cache", "--config", config, site=site)
    finally:
        models.write_text(original)
    assert broken.returncode == 1
    assert f"{PACKAGE}.models -> cagou.db" in broken.stdout


@pytest.mark.slow
def test_the_generated_module_passes_the_linters(generated: tuple[Path, Path]) -> None:
    distribution, _ = generated
    ruff = ROOT / "ruff.toml"
    for command in (("check", "--no-cache"), ("format", "--check", "--no-cache")):
        result = run(BIN / "ruff", *command, "--config", ruff, distribution)
        assert result.returncode == 0, result.stdout + result.stderr
    typed = run(BIN / "mypy", "--config-file", ROOT / "setup.cfg", distribution / PACKAGE, distribution / "tests")
    assert typed.returncode == 0, typed.stdout + typed.stderr
