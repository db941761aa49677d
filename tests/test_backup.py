"""``cagou backup`` of a running platform, ``cagou restore`` into an empty one: every record and file is back.

The platform is served by a real process (waitress through pserve) while the
commands run as an operator runs them, in their own processes. The keys are
not in the archive: the test puts them in place on the restored side first,
as the operator brings them from where they are kept. The records are the
core's and the sample module's; plugins/helpdesk/tests/test_backup_helpdesk.py
does the same with a helpdesk ticket and its attachment.
"""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from click.testing import CliRunner

from cagou import configure, testing
from cagou.cli import build_cli
from cagou.db import get_engine, transaction_scope
from cagou.demo import load_demo
from cagou.identity import tokens
from cagou.interfaces import IAccounts, IFileStorage
from cagou.secrets import keyring
from cagou.testing import free_port, is_postgresql, login, write_ini
from cagou.testing_production import module_folders
from cagou_sample.models import SampleNote

MODULES = "cagou_sample"
PLUGINS_PATH = os.pathsep.join(module_folders(MODULES))
CAGOU = str(Path(sys.executable).parent / "cagou")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ATTACHMENT = "09:00 le client VPN répond « erreur 809 »\n".encode() * 50


def command(ini: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``cagou -c INI …`` in its own process, as an operator (or cron) runs it."""
    environment = {
        **os.environ,
        "PYTHONPATH": PLUGINS_PATH,
        "CAGOU_PLUGINS_ENTRY_POINTS": "false",
        "CAGOU_PLUGINS_EXTRA": MODULES,
    }
    return subprocess.run([CAGOU, "-c", str(ini), *args], env=environment, capture_output=True, text=True, timeout=300)


class Browser:
    """A person's browser on the served platform: cookies, and the CSRF token of the last page."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return str(response.read().decode())

    def submit(self, path: str, fields: dict[str, str]) -> int:
        """GET the form's page, then POST ``fields`` with its CSRF token; the final status."""
        token = CSRF.search(self.get(path))
        assert token is not None
        body = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def post_json(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST as an API client with a personal token."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (loopback)
        answer: dict[str, Any] = json.loads(response.read())
    return answer


@pytest.fixture
def served(tmp_path, settings) -> Iterator[tuple[str, Path]]:
    """The platform served by its own process; its address and configuration file."""
    ini = write_ini(tmp_path / "served.ini", settings, listen=f"127.0.0.1:{free_port()}")
    with testing.served(ini, {"PYTHONPATH": PLUGINS_PATH}) as base:
        yield base, ini


@pytest.fixture
def restored_database(tmp_path, settings) -> Iterator[str]:
    """An empty database beside the test one: a second PostgreSQL database, or a SQLite file not made yet."""
    url = testing.test_database_url()
    if url is None:
        yield "sqlite:///" + str(tmp_path / "restauree" / "var" / "cagou.sqlite")
        return
    target = sa.engine.make_url(url)
    name = f"{target.database}_restore"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield target.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def write_data(registry, base: str, clock_free_app: webtest.TestApp) -> str:
    """Accounts, a note, a file, audit entries, through the served process where a person would; the file's key."""
    with transaction_scope(registry) as request:
        load_demo(request)
        accounts = request.find_service(IAccounts)
        agent = accounts.by_login("agent")
        accounts.grant(agent, "sample:reader")
        _token, clear = tokens.issue(request, agent, "sauvegarde", ["sample:note:view"], 30)
        key = request.find_service(IFileStorage).store(ATTACHMENT, "vpn.log", "text/plain")
    for number in (1, 2):
        status = Browser(base).submit(
            "/inscription",
            {
                "kind": "particulier",
                "display_name": f"Résidente {number}",
                "ridet": "",
                "email": f"residente{number}@example.nc",
                "password": "un-mot-de-passe-solide-2026",
                "password_confirm": "un-mot-de-passe-solide-2026",
            },
        )
        assert status == 200  # the "mail sent" page, after the redirect
    refused = Browser(base).submit("/intranet/connexion", {"login": "agent", "password": "pas-le-bon"})
    assert refused == 401
    note = post_json(f"{base}/intranet/api/v1/exemple/notes", clear, {"title": "Le VPN refuse la connexion"})
    assert note["title"] == "Le VPN refuse la connexion"
    # The IT administrator enrols the second factor: a secret encrypted with the key ring.
    login(clock_free_app, "admin", "demo-admin-2026")
    return key


def snapshot(registry) -> dict[str, Any]:
    """What the platform holds, to compare before and after."""
    with transaction_scope(registry) as request:
        return {
            "accounts": sorted(request.find_service(IAccounts).by_id(i).login for i in account_ids(request)),
            "notes": sorted(request.db.scalars(sa.select(SampleNote.title))),
            "audit": audit_entries(request),
        }


def account_ids(request) -> list[int]:
    return list(request.db.scalars(sa.text("SELECT id FROM account")))


def audit_entries(request) -> list[tuple[int, str, str]]:
    rows = request.db.execute(sa.text("SELECT id, action, digest FROM audit_entry ORDER BY id"))
    return [tuple(row) for row in rows]


def keep_writing(base: str, stop: threading.Event) -> None:
    """Failed sign-ins, audited, while the backup runs: the platform is in use."""
    while not stop.is_set():
        Browser(base).submit("/intranet/connexion", {"login": "technicien", "password": "pas-le-bon"})


@pytest.mark.slow
def test_a_running_platform_backed_up_and_restored_into_an_empty_one(
    tmp_path, settings, registry, app, served, restored_database
):
    base, ini = served
    source_var = Path(settings["cagou.var"])
    assert command(ini, "audit", "keygen").returncode == 0
    file_key = write_data(registry, base, app)
    checkpoint = command(ini, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    before = snapshot(registry)
    assert "Le VPN refuse la connexion" in before["notes"]  # beside the demonstration's

    archive = tmp_path / "sauvegarde.tar"
    stop = threading.Event()
    writer = threading.Thread(target=keep_writing, args=(base, stop))
    writer.start()
    try:
        made = command(ini, "backup", str(archive))
    finally:
        stop.set()
        writer.join()
    assert made.returncode == 0, made.stderr
    assert "Sauvegarde écrite" in made.stdout
    assert archive.stat().st_mode & 0o777 == 0o600
    assert not any(name.endswith(("secrets.keys", "audit.keys", "audit-signing.key")) for name in tar_names(archive))

    # The restored side: an empty database and var folder, and the keys brought from where they are kept.
    restored_var = tmp_path / "restauree" / "var"
    restored_var.mkdir(parents=True)
    for key in ("secrets.keys", "audit.keys", "audit-signing.key", "audit-signing.key.pub"):
        shutil.copy2(source_var / key, restored_var / key)
    restored_settings = {**settings, "cagou.var": str(restored_var), "cagou.database_url": restored_database}
    restored_ini = write_ini(tmp_path / "restauree.ini", restored_settings)
    restored = command(restored_ini, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "conformes au manifeste" in restored.stdout

    verified = command(restored_ini, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Journal d'audit intact" in verified.stdout
    assert "point(s) de contrôle signé(s) concordent" in verified.stdout

    other = configure(restored_settings).registry
    try:
        after = snapshot(other)
        assert after["accounts"] == before["accounts"]
        assert after["notes"] == before["notes"]
        assert after["audit"][: len(before["audit"])] == before["audit"]  # and the entries written during the backup
        with transaction_scope(other) as request:
            assert request.find_service(IFileStorage).open(file_key).read() == ATTACHMENT
        # The second factor restored opens with the key ring put in place.
        restored_app = webtest.TestApp(
            configure(restored_settings).make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"}
        )
        assert login(restored_app, "admin", "demo-admin-2026").status_int == 200
        assert restored_app.get("/intranet/console/").status_int == 200
    finally:
        get_engine(other).dispose()

    again = command(restored_ini, "restore", str(archive))
    assert again.returncode == 1
    assert "n'est pas vide" in again.stderr


def tar_names(archive: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        return tar.getnames()


@pytest.mark.slow
def test_a_restore_without_the_right_key_ring_changes_nothing(tmp_path, settings, registry, app, restored_database):
    ini = write_ini(tmp_path / "source.ini", settings)
    with transaction_scope(registry) as request:
        load_demo(request)
    login(app, "admin", "demo-admin-2026")  # a second factor, encrypted
    archive = tmp_path / "sauvegarde.tar"
    made = command(ini, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    restored_var = tmp_path / "restauree" / "var"
    restored_var.mkdir(parents=True)
    keyring.create(restored_var / "secrets.keys")  # another instance's ring
    restored_settings = {**settings, "cagou.var": str(restored_var), "cagou.database_url": restored_database}
    restored_ini = write_ini(tmp_path / "restauree.ini", restored_settings)
    refused = command(restored_ini, "restore", str(archive))
    assert refused.returncode == 1
    assert "n'a pas la ou les clé(s)" in refused.stderr
    assert "Traceback" not in refused.stderr
    other = configure(restored_settings).registry
    with get_engine(other).connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        assert [name for name in tables if not name.startswith("huey_")] == []  # the job queue's own, made at start
    get_engine(other).dispose()
    forced = command(restored_ini, "restore", "--ignore-missing-keys", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert "cagou secrets forget" in forced.stdout
    assert "cagou audit verify --lost-key" in forced.stdout  # the audit log's keys of the instance are not there
    assert is_postgresql() or (restored_var / "cagou.sqlite").exists()


def rewrite_member(archive: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    """Replace the content of one member of the archive by ``change(content)``, as someone tampering would."""
    with tarfile.open(archive) as tar:
        members = [(member, tar.extractfile(member).read()) for member in tar.getmembers() if member.isfile()]
    with tarfile.open(archive, "w") as tar:
        for member, content in members:
            if member.name == name:
                content = change(content)
                member.size = len(content)
            tar.addfile(member, io.BytesIO(content))


@pytest.fixture
def run(monkeypatch, cagou_modules):
    """``cagou`` in this process (faster than a new one), on the configuration file given."""
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", " ".join(cagou_modules))
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")

    def invoke(ini: Path, *args: str):
        return CliRunner().invoke(build_cli(), ["-c", str(ini), *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def backed_up(tmp_path, settings, registry, run) -> tuple[Path, Path, dict[str, Any]]:
    """An archive of a platform with a stored file; the restored side's ini and settings, keys in place."""
    with transaction_scope(registry) as request:
        load_demo(request)
        request.find_service(IFileStorage).store(ATTACHMENT, "vpn.log", "text/plain")
    archive = tmp_path / "sauvegarde.tar"
    source = write_ini(tmp_path / "source.ini", settings)
    assert run(source, "backup", str(archive)).exit_code == 0
    again = run(source, "backup", str(archive))
    assert again.exit_code == 1
    assert "existe déjà" in again.output
    return archive, source, settings


def restored_side(tmp_path, settings, database: str) -> tuple[Path, dict[str, Any]]:
    var = tmp_path / "restauree" / "var"
    var.mkdir(parents=True, exist_ok=True)
    for ring in ("secrets.keys", "audit.keys"):
        shutil.copy2(Path(settings["cagou.var"]) / ring, var / ring)
    restored = {**settings, "cagou.var": str(var), "cagou.database_url": database}
    return write_ini(tmp_path / "restauree.ini", restored), restored


def tables_of(settings: dict[str, Any]) -> list[str]:
    registry = configure(settings).registry
    with get_engine(registry).connect() as connection:
        names = [name for name in sa.inspect(connection).get_table_names() if not name.startswith("huey_")]
    get_engine(registry).dispose()
    return names


def test_a_damaged_file_in_the_archive_is_refused_and_nothing_is_restored(tmp_path, backed_up, run, restored_database):
    archive, _source, settings = backed_up
    [name] = [name for name in tar_names(archive) if name.startswith("files/")]
    rewrite_member(archive, name, lambda content: content.replace(b"809", b"666"))
    ini, restored = restored_side(tmp_path, settings, restored_database)
    refused = run(ini, "restore", str(archive))
    assert refused.exit_code == 1
    assert "est abîmé : rien n'a été restauré" in refused.output
    assert tables_of(restored) == []


@pytest.mark.skipif(not is_postgresql(), reason="transaction ids are PostgreSQL's")
def test_a_new_server_whose_transactions_are_behind_the_backups_is_refused(tmp_path, backed_up, run, restored_database):
    archive, _source, settings = backed_up

    def far_ahead(content: bytes) -> bytes:
        manifest = json.loads(content)
        manifest["audit_transaction_id"] = (7 << 32) + 123
        return json.dumps(manifest).encode()

    rewrite_member(archive, "manifest.json", far_ahead)
    ini, restored = restored_side(tmp_path, settings, restored_database)
    refused = run(ini, "restore", str(archive))
    assert refused.exit_code == 1
    assert "pg_resetwal -e 7 -x 124" in refused.output
    assert tables_of(restored) == []
