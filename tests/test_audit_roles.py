"""On PostgreSQL, the application's role may only read and append to the audit log; the purge has its own role.

The suite's application runs as ``<db>_app`` and its purge as ``<db>_purge``
(cagou.testing); these tests connect as each role, and as the owner, and
try what the roles must not be able to do (docs/deployment.md, the three roles).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cagou.audit.checkpoints import generate_key
from cagou.audit.sealer import seal
from cagou.cli import build_cli
from cagou.db import transaction_scope
from cagou.interfaces import IAuditLog
from cagou.testing import app_url, as_owner, is_postgresql, purge_url, test_database_url, write_ini

pytestmark = pytest.mark.skipif(not is_postgresql(), reason="roles and privileges are PostgreSQL's")

AUDIT_TABLES = ("audit_entry", "audit_seal", "audit_tombstone", "audit_purge")
REFUSED = "ajout seul|permission denied"


def engine_as(role_url) -> Iterator[sa.Engine]:  # type: ignore[no-untyped-def]
    """An engine on the test database as the role ``role_url`` gives the address of."""
    url = test_database_url()
    assert url is not None
    engine = sa.create_engine(role_url(url))
    yield engine
    engine.dispose()


@pytest.fixture
def app_engine() -> Iterator[sa.Engine]:
    yield from engine_as(app_url)


@pytest.fixture
def purge_engine() -> Iterator[sa.Engine]:
    yield from engine_as(purge_url)


@pytest.fixture
def logged(registry) -> None:
    """A few sealed entries, so that every audit table but the purges' has rows (and those are made below)."""
    with transaction_scope(registry) as request:
        for number in range(3):
            request.find_service(IAuditLog).record("core:note:test", f"Note n° {number}.")
    seal(registry)


@pytest.fixture
def run(tmp_path: Path, settings: dict, monkeypatch, cagou_modules):
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", " ".join(cagou_modules))
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")

    def invoke(ini: Path, *args: str):
        return CliRunner().invoke(build_cli(), ["-c", str(ini), *args], catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("table", AUDIT_TABLES)
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET position = position", "DELETE FROM {table}", "TRUNCATE {table} CASCADE"]
)
@pytest.mark.parametrize("purging", [False, True], ids=["plain", "with-the-purge-setting"])
def test_the_application_role_cannot_change_the_log(logged, app_engine, table, statement, purging):
    if table == "audit_entry":
        statement = statement.replace("position = position", "summary = summary")
    if table == "audit_purge":
        statement = statement.replace("position = position", "removed = removed")
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED), app_engine.begin() as connection:
        if purging:
            # Any session may set it: it must open nothing.
            connection.execute(sa.text("SET cagou.audit_purge = 'on'"))
        connection.execute(sa.text(statement.format(table=table)))
    with as_owner() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM audit_entry")) >= 3


def test_the_application_role_may_read_and_append(logged, app_engine):
    with app_engine.begin() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM audit_seal")) == 3


def test_the_application_role_cannot_execute_the_purge_function(logged, app_engine):
    denied = pytest.raises(sa.exc.DBAPIError, match="permission denied for function audit_purge_delete")
    with denied, app_engine.begin() as connection:
        connection.execute(sa.text("SELECT audit_purge_delete(1, 100)"))


@pytest.mark.parametrize("statement", ["DELETE FROM audit_entry", "UPDATE audit_entry SET summary = 'x'"])
def test_the_owner_is_refused_unless_it_says_it_purges(logged, statement):
    with pytest.raises(sa.exc.DBAPIError, match="ajout seul"), as_owner() as connection:
        connection.execute(sa.text(statement))


def test_the_owner_cannot_update_or_truncate_even_purging(logged):
    for statement in ("UPDATE audit_seal SET chain_hash = 'x'", "TRUNCATE audit_tombstone CASCADE"):
        with pytest.raises(sa.exc.DBAPIError, match="ajout seul"), as_owner() as connection:
            connection.execute(sa.text("SET LOCAL cagou.audit_purge = 'on'"))
            connection.execute(sa.text(statement))


def test_the_purge_role_deletes_only_through_the_function(logged, purge_engine):
    with pytest.raises(sa.exc.DBAPIError, match="permission denied"), purge_engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL cagou.audit_purge = 'on'"))
        connection.execute(sa.text("DELETE FROM audit_seal"))
    with purge_engine.begin() as connection:
        # Nothing belongs to a purge that does not exist: nothing goes.
        connection.execute(sa.text("SELECT audit_purge_delete(0, 1)"))
        assert connection.scalar(sa.text("SELECT current_setting('cagou.audit_purge', true)")) == "off"
        assert connection.scalar(sa.text("SELECT count(*) FROM audit_seal")) == 3


def test_cagou_audit_purge_purges_with_the_purge_role(run, tmp_path, settings, registry, clock):
    assert settings["cagou.audit.purge_database_url"].split("@")[0].endswith("_purge")
    ini = write_ini(tmp_path / "test.ini", settings, audit_retention="sample:30 core:30")
    generate_key(Path(registry.settings["cagou.audit.signing_key"]))
    with transaction_scope(registry) as request:
        for number in range(2):
            request.find_service(IAuditLog).record("core:note:test", f"Ancienne note n° {number}.")
    # Written at the frozen clock's date (March 2026): the command's clock is the real one, months later.
    purged = run(ini, "audit", "purge")
    assert purged.exit_code == 0, purged.output
    assert "2 entrée(s) purgée(s) (core : 2)." in purged.output
    verified = run(ini, "audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_without_the_purge_role_the_application_cannot_purge(run, tmp_path, settings, registry, clock):
    """A deployment that left the purge's URL empty while running as the application's role is refused."""
    ini = write_ini(tmp_path / "test.ini", settings, audit_retention="core:30", audit_purge_database_url="")
    generate_key(Path(registry.settings["cagou.audit.signing_key"]))
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record("core:note:test", "Ancienne note.")
    with pytest.raises(sa.exc.DBAPIError, match="permission denied for function audit_purge_delete"):
        run(ini, "audit", "purge")


def test_cagou_db_grant_is_idempotent(run, tmp_path, settings):
    url = test_database_url()
    assert url is not None
    owner_ini = write_ini(tmp_path / "owner.ini", {**settings, "cagou.database_url": url})
    database = sa.make_url(url).database
    for _ in range(2):
        result = run(owner_ini, "db", "grant", "--app", f"{database}_app", "--purge", f"{database}_purge")
        assert result.exit_code == 0, result.output
        assert "ne peuvent que lire et ajouter dans : audit_entry, audit_purge, audit_seal, audit_tombstone." in (
            result.output
        )
    with as_owner() as connection:
        privileges = set(
            connection.execute(
                sa.text(
                    "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                    "WHERE grantee = :role AND table_name LIKE 'audit%'"
                ),
                {"role": f"{database}_app"},
            ).tuples()
        )
    assert privileges == {(table, privilege) for table in AUDIT_TABLES for privilege in ("SELECT", "INSERT")}


def test_cagou_db_grant_names_an_unknown_role(run, tmp_path, settings):
    url = test_database_url()
    assert url is not None
    owner_ini = write_ini(tmp_path / "owner.ini", {**settings, "cagou.database_url": url})
    result = run(owner_ini, "db", "grant", "--app", "personne_nulle_part", "--purge", "personne")
    assert result.exit_code == 1
    assert "le rôle « personne_nulle_part » n'existe pas" in result.output
