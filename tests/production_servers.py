"""The platform served as in production, by real gunicorn processes, for the tests that need them.

:func:`start_server` runs ``gunicorn --config gunicorn.conf.py --paste
production.ini`` (one "machine": a master and its worker processes) with the
environment an operator gives it: the test database, a secret, the test
folder as ``CAGOU_VAR``, the test modules. Several servers on one database
stand for several machines behind a reverse proxy. :class:`Browser` is a
client with its own cookies; :func:`connections_by_process` counts the
PostgreSQL connections each process holds (their ``application_name``).
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import secrets
import signal
import socket
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

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PLUGINS_PATH = str(Path(__file__).resolve().parent / "plugins")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
READY_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_environment(settings: dict[str, Any], application_name: str, **extra: str) -> dict[str, str]:
    """What production.ini needs from the environment, on the test's database and folder."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [PLUGINS_PATH, os.environ.get("PYTHONPATH", "")])),
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
        process.wait(timeout=20)
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


# -- a small helpdesk bureau, its tickets --------------------------------------------------------

#: Every password of :func:`make_bureau`'s people.
PASSWORD = "un-mot-de-passe-solide-2026"
CATEGORY = "Production > Poste de travail"
NEW_TICKET = "/intranet/assistance/nouvelle"
NEXT_TICKET = "/intranet/assistance/file/suivant"
QUEUE = "/intranet/assistance/file/"
TICKET_PATH = re.compile(r"/intranet/assistance/tickets/(\d+)$")


@dataclass(frozen=True)
class Bureau:
    agents: list[str]
    technicians: list[str]


def make_bureau(registry: Any, agents: int, technicians: int) -> Bureau:
    """Agents who open tickets, technicians of one group that receives them; the helpdesk enabled on the intranet.

    Production enables no module by default (production.ini).
    """
    from cagou.db import transaction_scope
    from cagou.identity.models import AGENT
    from cagou.interfaces import IAccounts
    from cagou.modules.services import module_states
    from cagou_helpdesk.models import Category, Group, Member

    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        group = Group(code="PROD", name="Bureau de la production")
        request.db.add(group)
        request.db.flush()
        parent = Category(name="Production", path="Production")
        request.db.add(parent)
        request.db.add(Category(name="Poste de travail", path=CATEGORY, parent=parent, default_group=group))
        made = Bureau([f"agent{n}" for n in range(agents)], [f"tech{n}" for n in range(technicians)])
        for login in made.agents + made.technicians:
            account = accounts.create(login, login.capitalize(), AGENT, email=f"{login}@province-sud.nc",
                                      password=PASSWORD)  # fmt: skip
            if login in made.technicians:
                accounts.grant(account, "helpdesk:technician")
                request.db.add(Member(group_id=group.id, account_id=account.id))
        module_states(registry).set_enabled(request, "helpdesk", "intranet", True)
    return made


def ticket_form(token: str, title: str) -> dict[str, str]:
    return {
        "csrf_token": token, "title": title, "description": "Mon poste ne démarre plus depuis ce matin.",
        "category": CATEGORY, "urgency": "2", "impact": "1", "contact_phone": "27 45 12",
    }  # fmt: skip


def stored_tickets(registry: Any) -> dict[str, list[int]]:
    """Title -> ids of the tickets with that title."""
    from cagou.db import transaction_scope
    from cagou_helpdesk.models import Ticket

    found: dict[str, list[int]] = {}
    with transaction_scope(registry) as request:
        for ticket_id, title in request.db.execute(sa.select(Ticket.id, Ticket.title)):
            found.setdefault(title, []).append(ticket_id)
    return found


def whole_tickets(registry: Any) -> tuple[set[int], set[int]]:
    """(every ticket, those with their audit entry and their acknowledgement in the outbox): whole or absent."""
    from cagou.audit.models import AuditEntry
    from cagou.db import transaction_scope
    from cagou.mail.models import OutboxMail
    from cagou_helpdesk.models import Ticket

    with transaction_scope(registry) as request:
        tickets = set(request.db.scalars(sa.select(Ticket.id)))
        audited = {
            int(object_id)
            for object_id in request.db.scalars(
                sa.select(AuditEntry.object_id).where(
                    AuditEntry.object_type == "ticket", AuditEntry.action == "helpdesk:ticket:create"
                )
            )
        }
        mails = request.db.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
    assert mails is not None and mails >= len(tickets), f"{mails} mails in the outbox for {len(tickets)} tickets"
    return tickets, tickets & audited
