"""Pages reflow at 320 CSS pixels wide (WCAG 2.1, criterion 1.4.10): a phone, or 400 % zoom.

Nothing makes the page itself scroll sideways; a table too wide for the
screen scrolls on its own, inside the page, and the text around it stays
readable without horizontal scrolling.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from cagou.testing_browser import sign_in
from cagou.testing_browser import OpenPage

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 700}

ANONYMOUS = ["/", "/connexion", "/inscription", "/intranet/connexion"]
STAFF = {
    ("agent", "demo-agent-2026"): [
        "/intranet/",
        "/intranet/assistance/",
        "/intranet/assistance/nouvelle",
        "/intranet/jetons/",
        "/intranet/recherche?q=vpn",
    ],
    ("technicien", "demo-technicien-2026"): [
        "/intranet/",
        "/intranet/assistance/file/",
        "/intranet/assistance/reponses-types/",
        "/intranet/assistance/articles/",
    ],
    ("responsable", "demo-responsable-2026"): ["/intranet/assistance/tableau-de-bord/"],
    ("admin", "demo-admin-2026"): [
        "/intranet/console/",
        "/intranet/console/comptes/",
        "/intranet/console/journal/",
        "/intranet/assistance/administration/",
        "/intranet/assistance/administration/priorites",
    ],
}


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
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= NARROW["width"], f"{path} scrolls sideways ({page_width} px): {overflow(page)}"


def test_anonymous_pages_reflow(open_page: OpenPage) -> None:
    page = open_page(viewport=NARROW)
    for path in ANONYMOUS:
        assert_reflows(page, path)


@pytest.mark.parametrize("account", list(STAFF), ids=[login for login, _ in STAFF])
def test_staff_pages_reflow(open_page: OpenPage, account: tuple[str, str]) -> None:
    page = open_page(viewport=NARROW)
    sign_in(page, *account)
    for path in STAFF[account]:
        assert_reflows(page, path)


def test_a_wide_table_scrolls_on_its_own(open_page: OpenPage) -> None:
    page = open_page(viewport=NARROW)
    sign_in(page, "technicien", "demo-technicien-2026")
    assert_reflows(page, "/intranet/assistance/file/")
    box = page.locator(".table-scroll").filter(has=page.locator("table.queue"))
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    ticket = page.locator("table.queue a[href*='/assistance/tickets/']").first.get_attribute("href")
    assert ticket is not None
    assert_reflows(page, ticket)
