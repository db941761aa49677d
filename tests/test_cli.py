"""The ``cagou`` command, run on a real configuration file and database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cagou import configure
from cagou.audit.models import AuditEntry
from cagou.cli import build_cli
from cagou.db import get_engine, migrate, transaction_scope
from cagou.identity.models import Account, Directorate
from cagou.modules.services import module_states
from cagou.testing import is_postgresql, write_ini

STRONG = "vanille-lagon-tricot-2026"


@pytest.fixture
def ini(tmp_path: Path, settings: dict) -> Path:
    """A configuration file like development.ini, on the test database."""
    return write_ini(tmp_path / "test.ini", settings)


@pytest.fixture
def run(ini: Path, monkeypatch, cagou_modules):
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", " ".join(cagou_modules))
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(build_cli(), ["-c", str(ini), *args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def database(settings):
    registry = configure(settings).registry
    yield registry
    get_engine(registry).dispose()


def count(registry, query) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(query) or 0)


def test_init_creates_the_first_administrator_once(run, database):
    result = run("init", "--admin-login", "chef", "--admin-password", "un-mot-de-passe-solide")
    assert result.exit_code == 0, result.output
    assert "Administrateur « chef » créé." in result.output
    again = run("init", "--admin-login", "chef", "--admin-password", "un-mot-de-passe-solide")
    assert again.exit_code == 0
    assert "existe déjà" in again.output
    assert count(database, sa.select(sa.func.count()).where(Account.login == "chef")) == 1


def test_init_refuses_a_weak_password(run, database):
    result = run("init", "--admin-password", "court")
    assert result.exit_code == 1
    assert "au moins 12 caractères" in result.output
    assert count(database, sa.select(sa.func.count()).select_from(Account)) == 0


def test_init_asks_for_the_password_when_not_given(run, database):
    result = run("init", input="un-mot-de-passe-solide\nun-mot-de-passe-solide\n")
    assert result.exit_code == 0, result.output


def test_db_upgrade_and_current(run, database):
    assert run("db", "upgrade").exit_code == 0
    current = run("db", "current")
    assert current.exit_code == 0, current.output
    for head in migrate.head_revisions(database):
        assert f"{head} (dernière)" in current.output
    assert "0001_sample\n" in current.output
    assert "Base de données à jour." in current.output


def test_db_revision_writes_nothing_new_when_models_and_database_agree(run):
    """The developer's command: on the migrated database, autogenerate finds nothing to add."""
    result = run("db", "revision", "sample", "-m", "rien à changer")
    assert result.exit_code == 0, result.output
    written = Path(result.output.split("Migration écrite : ")[1].split(" (relisez")[0])
    try:
        text = written.read_text()
        assert "Revises: 0003_sample_access_code" in text  # the head of the sample branch
        assert "op.create_table" not in text
    finally:
        written.unlink()
    unknown = run("db", "revision", "nulle", "-m", "x")
    assert unknown.exit_code == 1
    assert "Aucune branche « nulle »" in unknown.output


def test_demo_twice_duplicates_nothing(run, database):
    assert run("demo").exit_code == 0
    accounts = count(database, sa.select(sa.func.count()).select_from(Account))
    directorates = count(database, sa.select(sa.func.count()).select_from(Directorate))
    second = run("demo")
    assert second.exit_code == 0
    assert count(database, sa.select(sa.func.count()).select_from(Account)) == accounts
    assert accounts >= 5  # the core's five demonstration accounts, and the modules' people
    assert count(database, sa.select(sa.func.count()).select_from(Directorate)) == directorates


def test_demo_keeps_what_people_changed(run, database):
    run("demo")
    assert run("user", "passwd", "agent", "--password", "mon-nouveau-secret-2026").exit_code == 0
    run("demo")
    with transaction_scope(database) as request:
        from cagou.interfaces import IAccounts

        assert request.find_service(IAccounts).authenticate("agent", "mon-nouveau-secret-2026") is not None


def test_modules_list_enable_disable(run, database):
    listing = run("modules", "list")
    assert listing.exit_code == 0
    assert "sample" in listing.output
    assert "intranet=activé" in listing.output
    result = run("modules", "disable", "sample", "--site", "public")
    assert result.exit_code == 0, result.output
    assert "Module « Module d'exemple » désactivé sur l'extension publique." in result.output
    module_states(database).forget()
    assert not module_states(database).is_enabled("sample", "public")
    assert module_states(database).is_enabled("sample", "intranet")
    assert "public=désactivé" in run("modules", "list").output
    assert run("modules", "enable", "sample").exit_code == 0
    module_states(database).forget()
    assert module_states(database).is_enabled("sample", "public")
    with transaction_scope(database) as request:
        entries = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("core:module:%"))).all()
        assert entries
        assert all("ligne de commande" in (entry.user_agent or "") for entry in entries)


def test_modules_errors_are_clear(run):
    unknown = run("modules", "enable", "inconnu")
    assert unknown.exit_code == 1
    assert "Aucun module installé ne s'appelle « inconnu »" in unknown.output
    core = run("modules", "disable", "core")
    assert core.exit_code == 1
    assert "ne peut pas être désactivé" in core.output
    bad_site = run("modules", "enable", "sample", "--site", "mars")
    assert bad_site.exit_code == 2


def test_user_add_and_passwd(run, database):
    run("demo")
    result = run(
        "user", "add", "Nouvel.Agent", "--name", "Nouvel Agent", "--role", "sample:reader", "--password", STRONG
    )
    assert result.exit_code == 0, result.output
    with transaction_scope(database) as request:
        account = request.db.scalars(sa.select(Account).where(Account.login == "nouvel.agent")).one()
        assert [grant.role for grant in account.grants] == ["sample:reader"]
    duplicate = run("user", "add", "nouvel.agent", "--name", "Doublon", "--password", STRONG)
    assert duplicate.exit_code == 1
    assert "déjà pris" in duplicate.output
    unknown_role = run("user", "add", "autre", "--name", "Autre", "--role", "pape", "--password", STRONG)
    assert unknown_role.exit_code == 1
    assert "Rôle inconnu" in unknown_role.output
    missing = run("user", "passwd", "personne", "--password", STRONG)
    assert missing.exit_code == 1
    assert "Aucun compte" in missing.output


def test_modules_add_their_own_subcommands(run):
    result = run("sample-hello")
    assert result.exit_code == 0
    assert "Bonjour de la part du module d'exemple." in result.output


def test_help_everywhere(run):
    for args in (
        [],
        ["db"],
        ["db", "upgrade"],
        ["modules"],
        ["modules", "enable"],
        ["user", "add"],
        ["worker"],
        ["demo"],
    ):
        result = run(*args, "--help")
        assert result.exit_code == 0, args
        assert "Usage:" in result.output


def test_a_missing_configuration_file_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")
    result = CliRunner().invoke(build_cli(), ["-c", "/nulle/part.ini", "demo"])
    assert result.exit_code == 1
    assert "Fichier de configuration introuvable : /nulle/part.ini" in result.output


@pytest.mark.skipif(is_postgresql(), reason="runs the installed command once, on SQLite")
def test_the_installed_command(tmp_path):
    cagou = Path(sys.executable).parent / "cagou"
    unknown = subprocess.run([str(cagou), "nimporte"], capture_output=True, text=True, check=False)
    assert unknown.returncode == 2
    assert "No such command" in unknown.stderr
    assert subprocess.run([str(cagou), "--help"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(is_postgresql(), reason="SQLite has no roles (tests/test_audit_roles.py tests the grant)")
def test_db_grant_on_sqlite_says_there_is_nothing_to_grant(run):
    result = run("db", "grant", "--app", "cagou_app", "--purge", "cagou_purge")
    assert result.exit_code == 0, result.output
    assert "il n'y a pas de rôles" in result.output
