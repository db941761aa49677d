"""The helpdesk's pages in a real browser: the IT administrator's navigation, and reflow at 320 CSS pixels wide.

The core's pages are the core's tests (tests/browser/test_keyboard_navigation.py,
tests/browser/test_reflow.py). Reflow is WCAG 2.1, criterion 1.4.10: nothing
makes the page itself scroll sideways; a table too wide for the screen
scrolls on its own, inside the page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing_browser import NARROW, OpenPage, assert_reflows, sign_in

pytestmark = pytest.mark.browser

STAFF = {
    ("agent", "demo-agent-2026"): [
        "/intranet/assistance/",
        "/intranet/assistance/nouvelle",
    ],
    ("technicien", "demo-technicien-2026"): [
        "/intranet/assistance/file/",
        "/intranet/assistance/reponses-types/",
        "/intranet/assistance/articles/",
    ],
    ("responsable", "demo-responsable-2026"): ["/intranet/assistance/tableau-de-bord/"],
    ("admin", "demo-admin-2026"): [
        "/intranet/assistance/administration/",
        "/intranet/assistance/administration/priorites",
    ],
}


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Navigation principale")


def test_navigation_lists_the_helpdesk_among_the_enabled_modules(page: Page, registry: Registry) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")
    sign_in(page, "agent", "demo-agent-2026")
    expect(main_nav(page).get_by_role("link")).to_have_text(["Mon espace", "Assistance", "Notes d'exemple"])


def test_navigation_of_the_it_administrator(page: Page) -> None:
    sign_in(page, "admin", "demo-admin-2026")
    # The demonstration makes the IT administrator the helpdesk's administrator too.
    helpdesk = [
        "Assistance",
        "Files des techniciens",
        "Tableau de bord de l'assistance",
        "Administration de l'assistance",
    ]
    expect(main_nav(page).get_by_role("link")).to_have_text(["Mon espace", *helpdesk, "Console informatique"])


@pytest.mark.parametrize("account", list(STAFF), ids=[login for login, _ in STAFF])
def test_helpdesk_pages_reflow(open_page: OpenPage, account: tuple[str, str]) -> None:
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
