"""The platform served as in production, by real gunicorn processes, for the core's and the modules' tests.

:func:`start_server` runs ``gunicorn --config gunicorn.conf.py --paste
production.ini`` (one "machine": a master and its worker processes) with the
environment an operator gives it: the test database, a secret, the test
folder as ``CAGOU_VAR``, the suite's modules. Several servers on one database
stand for several machines behind a reverse proxy. :class:`Browser` is a
client with its own cookies; :func:`connections_by_process` counts the
PostgreSQL connections each process holds (their ``application_name``);
:func:`make_agents` makes the people who sign in.

The files are the repository's (``gunicorn.conf.py``, ``production.ini``):
the tests run from its root, as ``make test`` runs them.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import importlib.util
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cagou.db import transaction_scope
from cagou.identity.models import AGENT
from cagou.interfaces import IAccounts
from cagou.testing import free_port

ROOT = Path.cwd()
BIN = Path(sys.executable).parent
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
READY_SECONDS = 60
#: How long :func:`stop` waits for a process asked to stop before killing its group. gunicorn stops in about
#: a second; now and then one of its gthread workers hangs in its exit and the master waits for it: the 20 s
#: waited before cost tests/test_production_processes.py more than the rest of it, to end the same way (killed).
STOP_SECONDS = 5


def module_folders(modules: str) -> list[str]:
    """The folders the server's processes import ``modules`` from (a test module is on no installed path)."""
    folders = []
    for name in modules.split():
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin is not None:
            folders.append(str(Path(spec.origin).parent.parent))
    return folders


def production_environment(settings: dict[str, Any], application_name: str, **extra: str) -> dict[str, str]:
    """What production.ini needs from the environment, on the test's database and folder."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [*module_folders(settings["cagou.plugins.extra"]), os.environ.get("PYTHONPATH", "")])
        ),
        "CAGOU_SECRET": secrets.token_urlsafe(48),
        "CAGOU_DATABASE_URL": settings["cagou.database_url"],
        "CAGOU_VAR": settings["cagou.var"],
        "CAGOU_MAIL_DELIVERY": "folder",
        "CAGOU_PLUGINS_ENTRY_POINTS": "false",
        "CAGOU_PLUGINS_EXTRA": settings["cagou.plugins.extra"],
        "CAGOU_ASSETS_DIRECTORY": settings["cagou.assets.directory"],
        "CAGOU_DATABASE_APPLICATION_NAME": application_name,
        **extra,
    }


@dataclass
class Server:
    """One gunicorn master and its worker processes, listening on ``port``."""

    port: int
    process: subprocess.Popen[bytes]
    application_name: str
    log: Path

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def browser(self) -> Browser:
        return Browser(self.port)


def wait_until_serving(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if Browser(port).send("GET", "/sante")[0] == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"the server did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def start_server(folder: Path, environment: dict[str, str], workers: int = 2, threads: int = 4) -> Iterator[Server]:
    """gunicorn with gunicorn.conf.py and production.ini, ``workers`` × ``threads``; stopped afterwards."""
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    command = [
        str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "--paste", str(ROOT / "production.ini"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_serving(port, process, log)
        yield Server(port, process, environment["CAGOU_DATABASE_APPLICATION_NAME"], log)
    finally:
        stop(process)


@contextlib.contextmanager
def start_worker(folder: Path, environment: dict[str, str], threads: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    """``cagou -c production.ini worker``, as systemd runs it beside the server."""
    log = folder / f"worker-{secrets.token_hex(3)}.log"
    command = [str(BIN / "cagou"), "-c", str(ROOT / "production.ini"), "worker", "--workers", str(threads)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop(process, signal.SIGTERM)


def stop(process: subprocess.Popen[bytes], signal_number: int = signal.SIGINT) -> None:
    """A quick stop, asked of the main process only; its process group is killed if it lingers.

    gunicorn's SIGINT does not wait for the clients' keep-alive connections;
    the master passes it on to its workers (a gthread worker signalled twice,
    by the master and directly, can hang in its exit). huey's is SIGTERM.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal_number)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Browser:
    """One person's browser: a keep-alive connection and its cookies, behind a TLS-terminating proxy.

    The session cookie is ``Secure`` in production: the proxy on 127.0.0.1
    says the request came over HTTPS (``X-Forwarded-Proto``), as it would.
    """

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    connection: http.client.HTTPConnection | None = None

    def send(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        keep_cookies: bool = True,
    ) -> tuple[int, str, str]:
        """(status, Location, body); a broken connection raises OSError or HTTPException."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        # Over HTTPS, Pyramid checks that a form comes from the same origin.
        sent = {"X-Forwarded-Proto": "https", "Origin": f"https://127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        if response.headers.get("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        for header in response.headers.get_all("Set-Cookie") or [] if keep_cookies else []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers.get("Location", ""), text

    def csrf(self, path: str) -> str:
        status, _, page = self.send("GET", path)
        found = CSRF_FIELD.search(page)
        assert status == 200 and found is not None, f"GET {path}: {status}"
        return html.unescape(found.group(1))

    def sign_in(self, login: str, password: str) -> int:
        token = self.csrf("/intranet/connexion")
        form = {"login": login, "password": password, "csrf_token": token}
        return self.send("POST", "/intranet/connexion", form)[0]


def connections_by_process(url: str, application_name: str) -> dict[str, set[int]]:
    """The PostgreSQL backends (their pids) of each client process named ``application_name`` followed by its pid."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    query = sa.text("SELECT application_name, pid FROM pg_stat_activity WHERE application_name LIKE :name")
    found: dict[str, set[int]] = {}
    with engine.connect() as connection:
        for name, backend in connection.execute(query, {"name": f"{application_name} %"}):
            found.setdefault(name, set()).add(backend)
    engine.dispose()
    return found


#: Every password of :func:`make_agents`'s people.
PASSWORD = "un-mot-de-passe-solide-2026"  # noqa: S105  (test accounts, on the tests' own database)


def make_agents(registry: Any, count: int, prefix: str = "agent") -> list[str]:
    """``count`` agents without a role, ``agent0``…, whose password is :data:`PASSWORD`; their logins."""
    logins = [f"{prefix}{n}" for n in range(count)]
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        for login in logins:
            accounts.create(login, login.capitalize(), AGENT, email=f"{login}@province-sud.nc", password=PASSWORD)
    return logins
