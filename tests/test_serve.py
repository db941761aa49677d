"""make run's server: it says once where the platform answers, and logs each request in development."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest
from waitress import create_server
from waitress.server import BaseWSGIServer
from waitress.wasyncore import close_all

from cagou import configure
from cagou.contributions import INTRANET, PUBLIC
from cagou.testing import free_port, write_ini
from cagou.web.serve import announce_when_answering, announcement

#: development.ini's logging, shortened: what pserve shows of the platform.
LOGGING = """
[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(name)s %(message)s
"""


@pytest.fixture
def answering() -> Iterator[str]:
    """A waitress server whose /sante answers 200, on a free port."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = create_server(app, host="127.0.0.1", port=0)
    assert isinstance(server, BaseWSGIServer)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.trigger.pull_trigger(lambda: close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()


def test_the_address_is_announced_once_the_platform_answers(answering, caplog):
    with caplog.at_level(logging.INFO, logger="cagou.web.serve"):
        assert announce_when_answering(answering, "Cagou est servi") is True
    # Only the announcer's records: a busy machine makes waitress log its queue's depth too.
    assert [record.getMessage() for record in caplog.records if record.name == "cagou.web.serve"] == ["Cagou est servi"]


def test_a_server_that_never_answers_is_reported_not_announced(caplog):
    with caplog.at_level(logging.INFO, logger="cagou.web.serve"):
        assert announce_when_answering(f"http://127.0.0.1:{free_port()}", "Cagou est servi", timeout=0.5) is False
    announced = [record for record in caplog.records if record.name == "cagou.web.serve"]
    assert [record.levelname for record in announced] == ["WARNING"]
    assert "ne répond pas" in announced[0].getMessage()


def test_the_announcement_names_the_sites_served():
    base = "http://localhost:6543"
    assert announcement(base, (PUBLIC, INTRANET)) == (
        "Cagou est servi sur http://localhost:6543 "
        "(intranet : http://localhost:6543/intranet/, extension publique : http://localhost:6543/)"
    )
    assert announcement(base, (INTRANET,)) == (
        "Cagou est servi sur http://localhost:6543 (intranet : http://localhost:6543/intranet/)"
    )


def request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "cagou.requests"]


def test_development_logs_each_request_with_the_status_the_client_got(settings, caplog):
    app = webtest.TestApp(configure({**settings, "cagou.log_requests": "true"}).make_wsgi_app())
    with caplog.at_level(logging.INFO, logger="cagou.requests"):
        app.get("/sante?x=1", extra_environ={"REMOTE_ADDR": "192.0.2.4"})
        app.get("/intranet/pas-de-page", status=404)
    first, second = request_lines(caplog)
    assert first.startswith("192.0.2.4 GET /sante?x=1 200 ")
    assert first.endswith(" ms")
    # The exception view's 404, not a 500: the line is written above it.
    assert second.split()[1:4] == ["GET", "/intranet/pas-de-page", "404"]


def test_without_the_setting_no_request_is_logged(app, caplog):
    with caplog.at_level(logging.INFO, logger="cagou.requests"):
        app.get("/sante")
    assert request_lines(caplog) == []


@pytest.mark.slow
def test_pserve_says_where_the_platform_is_served(settings, tmp_path):
    """development.ini's server (egg:cagou#waitress), through pserve: one line, once /sante answers."""
    port = free_port()
    ini = write_ini(tmp_path / "serve.ini", settings, listen=f"127.0.0.1:{port}")
    ini.write_text(ini.read_text().replace("egg:waitress#main", "egg:cagou#waitress") + LOGGING)
    log = tmp_path / "pserve.log"
    # tests/plugins holds the sample module, which pytest alone puts on sys.path.
    environ = {**os.environ, "PYTHONPATH": str(Path(__file__).parent / "plugins")}
    with log.open("w") as output:
        process = subprocess.Popen([str(Path(sys.executable).parent / "pserve"), str(ini)], stderr=output, env=environ)
    try:
        deadline = time.monotonic() + 60
        while not (announced := [line for line in log.read_text().splitlines() if line.startswith("cagou.web.serve ")]):
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()
            time.sleep(0.2)
        assert announced == [
            f"cagou.web.serve Cagou est servi sur http://127.0.0.1:{port} "
            f"(intranet : http://127.0.0.1:{port}/intranet/, extension publique : http://127.0.0.1:{port}/)"
        ], log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)
