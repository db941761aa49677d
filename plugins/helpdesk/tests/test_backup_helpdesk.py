"""``cagou backup`` of a running platform with the helpdesk, ``cagou restore`` into an empty one: tickets are back.

The core's own backup tests (tests/test_backup.py) run without the helpdesk;
this one is theirs with a ticket and its attachment, sent to the helpdesk's
API as a program would.

The platform is served by a real process (waitress through pserve) while the
commands run as an operator runs them, in their own processes. The keys are
not in the archive: the test puts them in place on the restored side first,
as the operator brings them from where they are kept.
"""

from __future__ import annotations

import http.cookiejar
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
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import webtest

from cagou import configure, testing
from cagou.db import get_engine, transaction_scope
from cagou.demo import load_demo
from cagou.identity import tokens
from cagou.interfaces import IAccounts, IFileStorage
from cagou.testing import free_port, login, write_ini
from cagou.testing_production import module_folders
from cagou_helpdesk.models import Attachment, Ticket

MODULES = "cagou_sample cagou_helpdesk"
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


def post_multipart(url: str, token: str, fields: dict[str, str], files: list[tuple[str, bytes]]) -> dict[str, Any]:
    """POST as an API client with a personal token: ``fields`` and one ``attachments`` part per file."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  (loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
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


def write_data(registry, base: str, clock_free_app: webtest.TestApp) -> dict[str, Any]:
    """Accounts, a ticket with its attachment, audit entries: through the served process where a person would."""
    with transaction_scope(registry) as request:
        load_demo(request)
        agent = request.find_service(IAccounts).by_login("agent")
        _token, clear = tokens.issue(request, agent, "sauvegarde", ["helpdesk:ticket:create"], 30)
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
    ticket = post_multipart(
        f"{base}/intranet/api/v1/assistance/tickets",
        clear,
        {
            "title": "Le VPN refuse la connexion",
            "description": "Erreur 809 depuis ce matin.",
            "category": "Réseau > VPN",
        },
        [("vpn.log", ATTACHMENT)],
    )
    # The IT administrator enrols the second factor: a secret encrypted with the key ring.
    login(clock_free_app, "admin", "demo-admin-2026")
    return ticket


def snapshot(registry) -> dict[str, Any]:
    """What the platform holds, to compare before and after."""
    with transaction_scope(registry) as request:
        return {
            "accounts": sorted(request.find_service(IAccounts).by_id(i).login for i in account_ids(request)),
            "tickets": sorted(request.db.scalars(sa.select(Ticket.title))),
            "attachments": sorted((a.filename, a.file_key) for a in request.db.scalars(sa.select(Attachment))),
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
    ticket = write_data(registry, base, app)
    checkpoint = command(ini, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    before = snapshot(registry)
    assert len(before["attachments"]) == 1 and before["tickets"] == ["Le VPN refuse la connexion"]

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
        assert after["tickets"] == before["tickets"]
        assert after["attachments"] == before["attachments"]
        assert after["audit"][: len(before["audit"])] == before["audit"]  # and the entries written during the backup
        [(_name, key)] = after["attachments"]
        with transaction_scope(other) as request:
            assert request.find_service(IFileStorage).open(key).read() == ATTACHMENT
        assert ticket["attachments"][0]["filename"] == "vpn.log"
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
