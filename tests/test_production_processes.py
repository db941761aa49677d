"""Production's processes agree, on one machine and on several: gunicorn with gunicorn.conf.py and production.ini.

Two servers on the test database stand for two machines behind a reverse
proxy, each with two processes of four threads, and a worker beside each.
What a person does on one lands on the other: the session, the rate limits,
the module switches (the sample module's). The queue of tickets, jobs run
once and the connections each process holds are the helpdesk's tests
(plugins/helpdesk/tests/test_production_processes.py): they need its tickets.

On PostgreSQL only: production runs on PostgreSQL (production.ini requires
it), and several machines cannot share a SQLite file. What SQLite has of
several processes (one machine) is tested in tests/test_across_processes.py.
"""

from __future__ import annotations

import time

import pytest

from cagou.db import get_engine, transaction_scope
from cagou.modules.services import module_states
from cagou.testing import is_postgresql
from cagou.testing_production import PASSWORD, Browser, make_agents, production_environment, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql,
    pytest.mark.skipif(not is_postgresql(), reason="production runs on PostgreSQL; machines cannot share SQLite"),
]

#: As in gunicorn.conf.py; more agents than threads on each machine.
THREADS = 8
#: The sample module's public page, which needs no role.
SAMPLE_PAGE = "/exemple/"


@pytest.fixture
def machines(tmp_path, settings, registry):
    """Two servers (2 processes × 8 threads each), on the test database."""
    name = f"cagou-test-{tmp_path.name[-12:]}"
    environment = production_environment(settings, name)
    with (
        start_server(tmp_path, environment, workers=2, threads=THREADS) as one,
        start_server(tmp_path, environment, workers=2, threads=THREADS) as two,
    ):
        yield one, two
    get_engine(registry).dispose()


def eventually(check, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_sessions_rate_limits_and_module_switches_hold_across_machines(registry, machines):
    one, two = machines
    make_agents(registry, 2)
    # A session opened on one machine is the same on the other; signing out there ends it everywhere.
    here = Browser(one.port)
    assert here.sign_in("agent0", PASSWORD) == 303
    there = Browser(two.port, cookies=dict(here.cookies))
    status, _, page = there.send("GET", "/intranet/")
    assert status == 200 and "Agent0" in page
    kept = dict(here.cookies)
    token = there.csrf("/intranet/")
    assert there.send("POST", "/intranet/deconnexion", {"csrf_token": token})[0] == 303
    status, location, _ = Browser(one.port, cookies=kept).send("GET", "/intranet/")
    assert status == 303 and "/intranet/connexion" in location
    # Five failed sign-ins pause the account, wherever they were tried.
    for number in range(5):
        assert Browser((one, two)[number % 2].port).sign_in("agent1", "mauvais") == 401
    assert Browser(one.port).sign_in("agent1", PASSWORD) == 429
    assert Browser(two.port).sign_in("agent1", PASSWORD) == 429
    # A module switched off disappears from every process of every machine within the refresh delay.
    signed_in = [Browser(server.port) for server in (one, two) for _ in range(4)]
    for browser in signed_in:
        assert browser.sign_in("agent0", PASSWORD) == 303
    for enabled, expected in ((False, 404), (True, 200)):
        with transaction_scope(registry) as request:
            module_states(registry).set_enabled(request, "sample", "public", enabled)
        eventually(lambda status=expected: all(b.send("GET", SAMPLE_PAGE)[0] == status for b in signed_in), 3.0)
