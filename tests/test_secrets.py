"""Secrets at rest: TOTP secrets (and a module's) are encrypted with a key ring kept outside the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import webtest
from click.testing import CliRunner
from pyramid.exceptions import ConfigurationError

from cagou import configure, main
from cagou.audit.models import AuditEntry
from cagou.cli import build_cli
from cagou.db import get_engine, migrate, transaction_scope
from cagou.interfaces import IMailer, ISecrets
from cagou.mail.services import count_due_deliveries
from cagou.secrets import get_secrets, keyring
from cagou.testing import delivered_mail, give_second_factor, login, production, totp_code, write_ini
from cagou_sample.models import SampleNote

PLUGINS_PATH = str(Path(__file__).parent / "plugins")


@pytest.fixture
def demo(demonstration, clock):
    """The demonstration data, loaded at the frozen clock's instant (``demonstration`` in cagou.testing)."""


@pytest.fixture
def ring_path(settings) -> Path:
    return Path(settings["cagou.var"]) / "secrets.keys"


@pytest.fixture
def run(tmp_path, settings, monkeypatch, cagou_modules):
    ini = write_ini(tmp_path / "test.ini", settings)
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", " ".join(cagou_modules))
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")

    def invoke(*args: str):
        return CliRunner().invoke(build_cli(), ["-c", str(ini), *args], catch_exceptions=False)

    return invoke


def stored_totp_secrets(registry) -> list[str]:
    """The second_factor rows as the database holds them, read with plain SQL."""
    with get_engine(registry).connect() as connection:
        return list(connection.scalars(sa.text("SELECT secret FROM second_factor")))


def enrol_admin(app: webtest.TestApp) -> str:
    """Sign in as the demonstration's IT administrator, enrolling the phone; the secret the page showed."""
    page = app.get("/intranet/connexion")
    page.forms[0]["login"] = "admin"
    page.forms[0]["password"] = "demo-admin-2026"
    enrolment = page.forms[0].submit().follow()
    shown = enrolment.html.find("code", class_="secret").text
    give_second_factor(app, "admin", enrolment)
    return shown


def signs_in_with_totp(app: webtest.TestApp, clock) -> bool:
    """A new sign-in, a minute later (a code is accepted once), with the code the phone shows."""
    clock.advance(minutes=1)
    fresh = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(fresh, "admin", "demo-admin-2026")
    return fresh.get("/intranet/console/", expect_errors=True).status_int == 200


def audit_actions(registry) -> list[str]:
    with transaction_scope(registry) as request:
        query = sa.select(AuditEntry.action).where(AuditEntry.action.startswith("core:secrets:"))
        return list(request.db.scalars(query.order_by(AuditEntry.id)))


def test_the_totp_secret_is_stored_encrypted_and_the_sign_in_still_works(app, registry, clock, demo):
    shown = enrol_admin(app)
    [stored] = stored_totp_secrets(registry)
    assert shown not in stored
    assert stored.startswith("gAAAAA")
    assert get_secrets(registry).decrypt(stored).replace(" ", "") == shown.replace(" ", "")
    assert signs_in_with_totp(app, clock)


def test_the_encrypted_column_refuses_clear_text(registry, demo):
    with pytest.raises(sa.exc.StatementError, match="never clear text"), transaction_scope(registry) as request:
        request.db.add(SampleNote(title="Code en clair", access_code="1234-5678"))
        request.db.flush()


def test_rotation_reencrypts_the_core_and_the_modules_secrets_then_the_old_key_goes(
    app, registry, clock, demo, run, ring_path
):
    enrol_admin(app)
    with transaction_scope(registry) as request:
        code = request.find_service(ISecrets).encrypt("code-du-coffre")
        request.db.add(SampleNote(title="Coffre", access_code=code))
    [before] = stored_totp_secrets(registry)
    old = keyring.read(ring_path).fingerprints[0]

    rotated = run("secrets", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "2 secret(s) chiffré(s)" in rotated.output
    assert "sample_note.access_code : 1" in rotated.output
    assert "second_factor.secret : 1" in rotated.output
    ring = keyring.read(ring_path)
    assert len(ring.keys) == 2 and ring.fingerprints[1] == old
    [after] = stored_totp_secrets(registry)
    assert after != before
    new_key_only = keyring.KeyRing(ring.keys[:1]).fernet
    assert new_key_only.decrypt(after.encode())  # the new key alone opens it
    assert signs_in_with_totp(app, clock)  # the running application read the new ring by itself

    refused = run("secrets", "drop", ring.fingerprints[0])
    assert refused.exit_code == 1
    assert "celle qui chiffre" in refused.output
    dropped = run("secrets", "drop", old)
    assert dropped.exit_code == 0, dropped.output
    assert keyring.read(ring_path).fingerprints == ring.fingerprints[:1]
    assert signs_in_with_totp(app, clock)
    with transaction_scope(registry) as request:
        note = request.db.scalars(sa.select(SampleNote).where(SampleNote.title == "Coffre")).one()
        assert request.find_service(ISecrets).decrypt(note.access_code) == "code-du-coffre"
    listed = run("secrets", "keys")
    assert listed.exit_code == 0, listed.output
    assert f"clé {ring.fingerprints[0]} (chiffre et déchiffre) : 2 secret(s)" in listed.output
    assert audit_actions(registry) == ["core:secrets:rotate", "core:secrets:drop"]


def test_a_key_still_needed_is_not_dropped(app, registry, clock, demo, run, ring_path):
    enrol_admin(app)
    first = keyring.read(ring_path).fingerprints[0]
    added = run("secrets", "add-key")
    assert added.exit_code == 0, added.output
    second = keyring.read(ring_path).fingerprints[1]
    assert f"cagou secrets rotate --to {second}" in added.output
    assert run("secrets", "rotate", "--to", second).exit_code == 0
    # Someone puts the old key back in front: the secrets still need the other one.
    ring = keyring.read(ring_path)
    keyring.write(ring_path, keyring.KeyRing((ring.keys[1], ring.keys[0])))
    refused = run("secrets", "drop", second)
    assert refused.exit_code == 1
    assert "déchiffre encore second_factor.secret" in refused.output
    assert keyring.read(ring_path).fingerprints == (first, second)
    assert signs_in_with_totp(app, clock)


def test_production_refuses_to_start_without_its_key_ring(settings, monkeypatch, ring_path):
    monkeypatch.setenv("CAGOU_SECRET", "s" * 48)
    ring_path.unlink()
    with pytest.raises(ConfigurationError, match="Trousseau de clés introuvable"):
        configure(production(settings))
    assert not ring_path.exists()


def test_production_refuses_a_key_ring_anybody_can_read(settings, monkeypatch, ring_path):
    monkeypatch.setenv("CAGOU_SECRET", "s" * 48)
    ring_path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="lisible par tous"):
        configure(production(settings))


def test_development_creates_its_key_ring(settings, ring_path):
    ring_path.unlink()
    registry = configure(settings).registry
    assert ring_path.stat().st_mode & 0o777 == 0o600
    assert keyring.read(ring_path).keys
    get_engine(registry).dispose()


def test_the_wrong_key_ring_stops_the_server_and_a_running_one_answers_503_in_french(
    app, registry, demo, settings, ring_path
):
    enrol_admin(app)
    ring_path.unlink()
    keyring.create(ring_path)  # a ring from elsewhere
    with pytest.raises(ConfigurationError, match=r"ne déchiffre pas les secrets .*second_factor\.secret"):
        main({}, **settings)
    # The process already running reads the new ring: the second factor cannot be checked, and says so.
    fresh = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    page = fresh.get("/intranet/connexion")
    page.forms[0]["login"] = "admin"
    page.forms[0]["password"] = "demo-admin-2026"
    asked = page.forms[0].submit().follow()
    asked.forms["formulaire-second-facteur"]["code"] = "123456"
    unavailable = asked.forms["formulaire-second-facteur"].submit(status=503)
    assert "Second facteur indisponible" in unavailable.text


@pytest.mark.slow
def test_a_server_process_with_the_wrong_key_ring_does_not_start(app, registry, demo, tmp_path, settings, ring_path):
    enrol_admin(app)
    ring_path.unlink()
    keyring.create(ring_path)
    ini = write_ini(tmp_path / "server.ini", settings, listen="127.0.0.1:0")
    finished = subprocess.run(
        [str(Path(sys.executable).parent / "pserve"), str(ini)],
        env={**os.environ, "PYTHONPATH": PLUGINS_PATH},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "ne déchiffre pas les secrets enregistrés dans la base" in finished.stderr


def test_a_lost_key_means_enrolling_again(app, registry, demo, run, ring_path):
    enrol_admin(app)
    with transaction_scope(registry) as request:
        code = request.find_service(ISecrets).encrypt("code-du-coffre")
        request.db.add(SampleNote(title="Coffre", access_code=code))
    ring_path.unlink()
    keyring.create(ring_path)  # the old ring is lost
    listed = run("secrets", "keys")
    assert listed.exit_code == 1
    assert "2 secret(s) illisible(s)" in listed.output
    forgotten = run("secrets", "forget", "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert "2 secret(s) illisible(s) effacé(s)" in forgotten.output
    assert stored_totp_secrets(registry) == []
    with transaction_scope(registry) as request:
        note = request.db.scalars(sa.select(SampleNote).where(SampleNote.title == "Coffre")).one()
        assert note.access_code is None  # a nullable secret keeps its row
    main({}, **app.app.registry.settings)  # the server starts again
    fresh = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    page = fresh.get("/intranet/connexion")
    page.forms[0]["login"] = "admin"
    page.forms[0]["password"] = "demo-admin-2026"
    enrolment = page.forms[0].submit().follow()
    assert enrolment.html.find("code", class_="secret") is not None  # enrolling again
    assert "core:secrets:forget" in audit_actions(registry)


def test_the_migration_encrypts_the_secrets_stored_in_clear(registry, owner_registry, demo):
    """Back to the revision before, a secret in clear as it was stored then; the upgrade encrypts it."""
    # Migrations run as the database's owner.
    with get_engine(owner_registry).begin() as connection:
        command_config = migrate.alembic_config(owner_registry, connection)
        from alembic import command

        command.downgrade(command_config, "0011_encrypted_secrets-1")
        admin = connection.scalar(sa.text("SELECT id FROM account WHERE login = 'admin'"))
        connection.execute(
            sa.text(
                "INSERT INTO second_factor (account_id, secret, created_at, confirmed_at, last_time_step) "
                "VALUES (:id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', :now, :now, 0)"
            ),
            {"id": admin, "now": "2026-03-20 00:00:00+00:00"},
        )
        connection.execute(
            sa.text(
                "INSERT INTO outbox_mail (message_id, created_at, to_address, subject, body_text, status, attempts, "
                "next_attempt_at) VALUES ('<avant@cagou>', :now, 'jeanne@example.nc', 'Lien', :body, 'pending', 0, "
                ":now)"
            ),
            {"now": "2026-03-20 00:00:00+00:00", "body": "Votre lien : https://cagou.example.nc/mot-de-passe/nouveau"},
        )
    migrate.upgrade(owner_registry)
    assert migrate.missing_heads(registry) == set()
    [stored] = stored_totp_secrets(registry)
    assert stored.startswith("gAAAAA")
    assert get_secrets(registry).decrypt(stored) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert len(totp_code(registry, "admin")) == 6
    [body] = stored_mail_bodies(registry)
    assert "mot-de-passe" not in body
    assert count_due_deliveries(registry) == 1  # the worker's retry sweep sends it, in clear
    [delivered] = delivered_mail(registry)
    assert "https://cagou.example.nc/mot-de-passe/nouveau" in delivered.get_content()


def stored_mail_bodies(registry) -> list[str]:
    with get_engine(registry).connect() as connection:
        return list(connection.scalars(sa.text("SELECT body_text FROM outbox_mail")))


def test_mail_bodies_and_the_links_they_carry_are_stored_encrypted(registry):
    link = "https://cagou.example.nc/mot-de-passe/nouveau?jeton=un-jeton-a-usage-unique"
    with transaction_scope(registry) as request:
        request.find_service(IMailer).send("jeanne@example.nc", "Nouveau mot de passe", f"Suivez : {link}", html=link)
    [body] = stored_mail_bodies(registry)
    assert body.startswith("gAAAAA") and "jeton" not in body
    [delivered] = delivered_mail(registry)
    assert link in delivered.get_body(("plain",)).get_content()
    assert link in delivered.get_body(("html",)).get_content()


def test_in_production_the_commands_refuse_in_french_until_keygen_makes_the_ring(
    tmp_path, settings, monkeypatch, ring_path, cagou_modules
):
    monkeypatch.setenv("CAGOU_SECRET", "s" * 48)
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", " ".join(cagou_modules))
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")
    ini = write_ini(tmp_path / "production.ini", production(settings))
    ring_path.unlink()

    def invoke(*args: str):
        return CliRunner().invoke(build_cli(), ["-c", str(ini), *args], catch_exceptions=False)

    refused = invoke("db", "current")
    assert refused.exit_code == 1
    assert "Erreur : la plateforme refuse de démarrer. Trousseau de clés introuvable" in refused.output
    assert "cagou secrets keygen" in refused.output
    made = invoke("secrets", "keygen")
    assert made.exit_code == 0, made.output
    assert ring_path.stat().st_mode & 0o777 == 0o600
    assert invoke("db", "current").exit_code == 0
