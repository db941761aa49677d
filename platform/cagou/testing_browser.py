"""Browser fixtures and helpers for the core's tests and for every module's: Chromium through Playwright.

A suite's root ``conftest.py`` names it beside the fixtures it builds on:
``pytest_plugins = ["cagou.testing", "cagou.testing_browser"]``. The
application is the one :mod:`cagou.testing` makes (``app_config``, with the
suite's modules), served by waitress on a free port of 127.0.0.1 in a
background thread, with the demonstration data loaded. The browser is
Debian's Chromium: Playwright cannot download its own here.

The helpers are plain functions rather than fixtures, so that a test reads as
a sequence of steps a person would take: :func:`sign_in` through the real
form, :func:`assert_accessible` with axe-core (``node_modules`` of the
repository's root, where the tests run).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
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


#: axe-core, installed by ``npm ci`` at the root of the repository (the tests run from there).
AXE_SCRIPT = Path.cwd() / "node_modules" / "axe-core" / "axe.min.js"

#: The rules we hold the pages to: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Impacts that fail a test; "minor" and "moderate" ones are printed, not fatal.
BLOCKING_IMPACTS = ("serious", "critical")

#: A phone, or 400 % zoom: the width at which pages must reflow (WCAG 2.1, criterion 1.4.10).
NARROW = {"width": 320, "height": 700}

STAFF = "intranet"
CITIZEN = "public"


def sign_in(page: Page, login: str, password: str, site: str = STAFF) -> None:
    """Sign in through the real login form of ``site``, as a person would."""
    page.goto("/intranet/connexion" if site == STAFF else "/connexion")
    # By their labels: the form is usable only if its fields are labelled.
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    if "/second-facteur" in page.url:
        enrol_second_factor(page)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def enrol_second_factor(page: Page) -> None:
    """Do what an IT administrator's phone does at the first sign-in: read the key, give the code."""
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()
    with page.expect_navigation():
        page.get_by_role("link", name="J'ai noté mes codes, continuer").click()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its WCAG A/AA violations."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `npm ci` at the root of the repository")
    page.add_script_tag(path=str(AXE_SCRIPT))
    results: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """The violations, one block each: what is wrong and on which elements."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary']}".replace("\n", " "))
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No serious or critical WCAG 2.0/2.1 A/AA violation on the page."""
    violations = axe_violations(page)
    if violations:
        # Shown with -rP or on failure: the lesser ones are worth fixing too.
        print(f"axe on {page.url}:\n{describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"Accessibility violations on {page.url}:\n{describe(blocking)}"


def overflow(page: Page) -> list[str]:
    """What sticks out of the window on the right, outside a table's own scrolling box."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".table-scroll"))
            .slice(0, 5)
            .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)} px`)"""
    )
    return found


def assert_reflows(page: Page, path: str) -> None:
    """The page at ``path`` opens and does not scroll sideways at :data:`NARROW` (WCAG 2.1, 1.4.10)."""
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= NARROW["width"], f"{path} scrolls sideways ({page_width} px): {overflow(page)}"


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
