"""A database out of reach answers 503: the French page, JSON on the API, never the 500 page nor a stack trace."""

from __future__ import annotations

import threading

import webtest

from cagou import configure
from cagou.db import get_engine
from cagou.testing import free_port

UNAVAILABLE = "Le service est momentanément indisponible. Réessayez dans quelques instants."


def test_a_database_nobody_answers_on_gives_503_pages_and_json(settings):
    # Nothing listens on that port: every connection is refused, as while PostgreSQL restarts. The
    # application starts all the same (gunicorn may replace a process during an outage).
    unreachable = {**settings, "cagou.database_url": f"postgresql+psycopg://cagou@127.0.0.1:{free_port()}/cagou"}
    config = configure(unreachable)
    app = webtest.TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    form = app.get("/intranet/connexion").forms[0]
    form["login"], form["password"] = "agent", "un-mot-de-passe"
    page = form.submit(status=503)
    assert UNAVAILABLE in page.text and "Traceback" not in page.text
    assert page.headers["Retry-After"] == "5"
    api = app.get("/intranet/api/v1/moi", headers={"Authorization": "Bearer cagou_pat_inconnu"}, status=503)
    assert api.json["error"] == UNAVAILABLE and api.json["request_id"]  # the API's one error format
    assert app.get("/sante", status=503).json == {"status": "error", "database": "unreachable"}
    get_engine(config.registry).dispose()


def test_a_request_that_gets_no_connection_in_time_gives_503_rather_than_waiting(settings):
    app_config = configure({**settings, "cagou.database.pool_size": "1", "cagou.database.max_overflow": "0",
                            "cagou.database.pool_timeout": "0.2"})  # fmt: skip
    app = webtest.TestApp(app_config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    engine = get_engine(app_config.registry)
    held, release = threading.Event(), threading.Event()

    def hold_the_only_connection() -> None:
        with engine.connect():
            held.set()
            release.wait(10)

    form = app.get("/intranet/connexion").forms[0]
    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    held.wait(10)
    try:
        page = form.submit(status=503)
    finally:
        release.set()
        holder.join()
    assert UNAVAILABLE in page.text
    engine.dispose()
