"""Fixtures of the browser tests: the real application over HTTP, and Chromium.

The application is the one the other tests use (``app_config`` from
:mod:`cagou.testing`, with the sample module), served by waitress on a free
port of 127.0.0.1 in a background thread, with the demonstration data loaded.
The browser is Debian's Chromium: Playwright cannot download its own here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from pyramid.config import Configurator
from waitress import create_server
from waitress.server import BaseWSGIServer
from waitress.wasyncore import close_all

from cagou.testing import require_program

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
#: Playwright's default wait is 30 s; a page of this application takes milliseconds.
TIMEOUT_MS = 10_000

OpenPage = Callable[..., Page]


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The demonstration whole, six weeks of helpdesk tickets included: the dashboard draws them."""
    return {**settings, "helpdesk.demo_history": "true"}


@pytest.fixture
def live_server(app_config: Configurator, demonstration: None) -> Iterator[str]:
    """The base URL of the test application, served over real HTTP with demo data."""
    server = create_server(app_config.make_wsgi_app(), host="127.0.0.1", port=0)
    assert isinstance(server, BaseWSGIServer)  # one address: a single server, not a multi-socket one
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    # Close every socket from inside waitress's loop (thread-safe), which then ends.
    server.trigger.pull_trigger(lambda: close_all(server._map))
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive(), "the waitress server did not stop"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_program(CHROMIUM, "chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser: Browser, live_server: str) -> Iterator[OpenPage]:
    """Open a page in a fresh browser context (its own cookies), closed after the test.

    Keyword arguments go to ``browser.new_context``, e.g. ``java_script_enabled=False``.
    """
    contexts: list[BrowserContext] = []

    def open_(**options: object) -> Page:
        # French-first: without it, headless Chromium asks for English (Accept-Language).
        context = browser.new_context(base_url=live_server, locale="fr-FR", **options)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page()
