"""The IT console's module switch, in a real browser: with htmx, and without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing_browser import OpenPage, sign_in

pytestmark = pytest.mark.browser

TOGGLE = "#bascule-sample-intranet"
#: The sample module's cell for the intranet: module, version, intranet, public, health.
INTRANET_CELL = "#module-sample > td:nth-child(3)"
DISABLED_MESSAGE = "Module « Module d'exemple » désactivé sur l'intranet."
ENABLED_MESSAGE = "Module « Module d'exemple » activé sur l'intranet."


@pytest.fixture
def admin_reads_notes(registry: Registry) -> None:
    """Give the IT administrator the sample module's role, so its menu entry shows."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("admin"), "sample:reader")


@pytest.fixture
def browser_errors(page: Page) -> Iterator[list[str]]:
    """Script errors and console errors (a CSP violation is one) seen by the page."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _keep_error(errors, message))
    yield errors


def _keep_error(errors: list[str], message: ConsoleMessage) -> None:
    # 404 pages are part of the test; the browser logs them as errors.
    if message.type == "error" and "404" not in message.text:
        errors.append(message.text)


def expect_state(page: Page, state: str, action: str, timeout: float | None = None) -> None:
    """The intranet cell of the sample module says ``state`` and its button offers ``action``."""
    cell = page.locator(INTRANET_CELL)
    expect(cell.locator(".state-on, .state-off")).to_have_text(state, timeout=timeout)
    expect(page.locator(TOGGLE)).to_have_text(re.compile(rf"^\s*{action}\b"), timeout=timeout)


def expect_sample_entry(page: Page, present: bool) -> None:
    page.goto("/intranet/")
    entry = page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Notes d'exemple")
    expect(entry).to_have_count(1 if present else 0)
    response = page.goto("/intranet/exemple/")
    assert response is not None and response.status == (200 if present else 404)


def click_toggle(page: Page, press_enter: bool = False) -> None:
    """Switch the sample module on the intranet with htmx; wait for the answer to land."""
    with page.expect_response(re.compile(r"/intranet/console/modules/sample/intranet$")) as answer:
        if press_enter:
            page.locator(TOGGLE).focus()
            page.keyboard.press("Enter")
        else:
            page.locator(TOGGLE).click()
    assert answer.value.request.headers.get("hx-request") == "true"


def test_htmx_toggle_stays_on_the_page(page: Page, browser_errors: list[str], admin_reads_notes: None) -> None:
    sign_in(page, "admin", "demo-admin-2026")
    expect_sample_entry(page, present=True)
    page.goto("/intranet/console/")
    expect_state(page, "Activé", "Désactiver")

    # A full page load would lose both the variable and the live region's node.
    page.evaluate("window.pasRechargee = true; window.regionAvant = document.getElementById('console-status')")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    click_toggle(page)
    status = page.locator("#console-status")
    expect(status).to_have_text(DISABLED_MESSAGE)
    expect(status).to_have_attribute("role", "status")
    # htmx gives the focus back to the re-rendered button, found by its stable id.
    expect(page.locator(TOGGLE)).to_be_focused()
    assert page.evaluate("window.pasRechargee") is True
    assert navigations == []
    # Screen readers announce a change inside a live region that was already
    # there; a region swapped in with its text already set is often silent.
    assert page.evaluate("window.regionAvant === document.getElementById('console-status')")

    page.reload()
    expect_state(page, "Désactivé", "Activer")
    expect_sample_entry(page, present=False)

    # Back on, from the keyboard this time.
    page.goto("/intranet/console/")
    click_toggle(page, press_enter=True)
    expect(page.locator("#console-status")).to_have_text(ENABLED_MESSAGE)
    expect(page.locator(TOGGLE)).to_be_focused()
    page.reload()
    expect_state(page, "Activé", "Désactiver")
    expect_sample_entry(page, present=True)
    assert browser_errors == []


def test_htmx_toggle_shows_the_new_state_in_the_row(page: Page) -> None:
    sign_in(page, "admin", "demo-admin-2026")
    page.goto("/intranet/console/")
    click_toggle(page)
    expect(page.locator("#console-status")).to_have_text(DISABLED_MESSAGE)
    expect_state(page, "Désactivé", "Activer", timeout=1000)


def test_toggle_without_javascript_posts_the_form(open_page: OpenPage, admin_reads_notes: None) -> None:
    page = open_page(java_script_enabled=False)
    sign_in(page, "admin", "demo-admin-2026")
    page.goto("/intranet/console/")
    expect_state(page, "Activé", "Désactiver")

    with page.expect_navigation():
        page.locator(TOGGLE).click()
    # Post, then redirect (303) back to the list, which shows the flash message.
    assert re.search(r"/intranet/console/$", page.url)
    expect(page.locator(".alert-ok")).to_have_text(DISABLED_MESSAGE)
    expect(page.locator(".alert-ok")).to_have_attribute("role", "status")
    expect_state(page, "Désactivé", "Activer")
    expect_sample_entry(page, present=False)

    page.goto("/intranet/console/")
    with page.expect_navigation():
        page.locator(TOGGLE).click()
    expect(page.locator(".alert-ok")).to_have_text(ENABLED_MESSAGE)
    expect_state(page, "Activé", "Désactiver")
    expect_sample_entry(page, present=True)
