"""Two machines behind Debian's HAProxy, configured as docs/deployment.md says: the documented way, tested.

Two gunicorn servers on the test database stand for the two machines; HAProxy
balances requests between them, checks their health on /sante, writes the
client's address itself and says the request came over HTTPS (as the TLS
termination does). A person signed in through it is served by both
machines; an address a client forges is not believed; when a machine stops,
the proxy sends everyone to the other and nobody is signed out.

PostgreSQL only, like tests/test_production_processes.py; needs Debian's
haproxy package, which .ci/system-packages installs.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cagou.audit.models import AuditEntry
from cagou.db import get_engine, transaction_scope
from cagou.testing import free_port, is_postgresql, require_program
from cagou.testing_production import PASSWORD, Browser, make_agents, production_environment, start_server, stop

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql,
    pytest.mark.skipif(not is_postgresql(), reason="production runs on PostgreSQL; machines cannot share SQLite"),
]


@pytest.fixture(autouse=True)
def haproxy_installed() -> None:
    """On PostgreSQL, a missing haproxy skips the test, or fails it under make test and in CI."""
    require_program(HAPROXY, "haproxy")


#: docs/deployment.md's HAProxy configuration, without TLS (the test speaks plain HTTP to the proxy, which
#: says HTTPS as its TLS termination would) and with quicker health checks.
CONFIGURATION = """\
global
    stats socket {stats} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s

frontend cagou
    bind 127.0.0.1:{port}
    # The client's own headers are not to be believed: the proxy writes them.
    http-request del-header X-Forwarded-For
    http-request set-header X-Forwarded-Proto https
    option forwardfor
    default_backend cagou_web

backend cagou_web
    balance roundrobin
    option httpchk GET /sante
    http-check expect status 200
    default-server inter 200ms fall 2 rise 1
    server web1 127.0.0.1:{one} check
    server web2 127.0.0.1:{two} check
"""


@contextlib.contextmanager
def haproxy(folder: Path, one: int, two: int) -> Iterator[tuple[int, Path]]:
    """HAProxy in the foreground, in front of the servers on ports ``one`` and ``two``."""
    port, stats = free_port(), folder / "haproxy.sock"
    configuration = folder / "haproxy.cfg"
    configuration.write_text(CONFIGURATION.format(stats=stats, port=port, one=one, two=two))
    log = folder / "haproxy.log"
    with log.open("wb") as output:
        process = subprocess.Popen([HAPROXY, "-db", "-f", str(configuration)], stdout=output, stderr=subprocess.STDOUT)
    try:
        eventually(
            lambda: servers_up(stats) == {"web1", "web2"},
            lambda: f"HAProxy: {backend_servers(stats)}\n{log.read_text()[-2000:]}",
        )
        yield port, stats
    finally:
        stop(process, 15)


def statistics(stats: Path) -> list[dict[str, str]]:
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(stats))
        client.sendall(b"show stat\n")
        data = b""
        while chunk := client.recv(65536):
            data += chunk
    return list(csv.DictReader(io.StringIO(data.decode().lstrip("# "))))


def backend_servers(stats: Path) -> dict[str, dict[str, str]]:
    with contextlib.suppress(OSError):
        rows = statistics(stats)
        # The backend's own rows (FRONTEND, BACKEND) aside: its servers.
        return {row["svname"]: row for row in rows if row["pxname"] == "cagou_web" and row["svname"].startswith("web")}
    return {}


def servers_up(stats: Path) -> set[str]:
    return {name for name, row in backend_servers(stats).items() if row["status"] == "UP"}


def eventually(check, message: str | Callable[[], str] = "not reached in time", seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, message() if callable(message) else message
        time.sleep(0.1)


def sign_in_failures(registry) -> list[AuditEntry]:
    with transaction_scope(registry) as request:
        query = sa.select(AuditEntry).where(AuditEntry.action == "core:session:login-failed")
        return list(request.db.scalars(query))


def test_two_machines_behind_haproxy_share_the_people_and_survive_one_stopping(tmp_path, settings, registry):
    make_agents(registry, 1)
    environment = production_environment(settings, f"cagou-proxy-{tmp_path.name[-12:]}")
    with (
        start_server(tmp_path, environment, workers=1, threads=4) as one,
        start_server(tmp_path, environment, workers=1, threads=4) as two,
        haproxy(tmp_path, one.port, two.port) as (port, stats),
    ):
        person = Browser(port)
        assert person.sign_in("agent0", PASSWORD) == 303
        assert all(person.send("GET", "/intranet/")[0] == 200 for _ in range(10))
        served = {name: int(row["stot"]) for name, row in backend_servers(stats).items()}
        assert served["web1"] > 0 and served["web2"] > 0, f"both machines serve the signed-in person: {served}"

        # The address the audit log keeps is the one the proxy saw, not the one a client claims.
        stranger = Browser(port)
        token = stranger.csrf("/intranet/connexion")
        form = {"login": "agent0", "password": "pas le bon", "csrf_token": token}
        stranger.send("POST", "/intranet/connexion", form, headers={"X-Forwarded-For": "203.0.113.66"})
        [failure] = sign_in_failures(registry)
        assert failure.address == "127.0.0.1"

        stop(one.process)
        eventually(lambda: servers_up(stats) == {"web2"}, "HAProxy saw the machine stop")
        assert all(person.send("GET", "/intranet/")[0] == 200 for _ in range(5)), "still signed in, on the other"
    get_engine(registry).dispose()
