"""The main navigation, the skip link and the Tab order, driven from the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing_browser import CITIZEN, STAFF, sign_in

pytestmark = pytest.mark.browser

#: Describes the focused element: tag, id, accessible text, focus outline.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
  };
}"""

#: Every element a keyboard user must be able to reach, in document order.
FOCUSABLE = """() => Array.from(document.querySelectorAll(
    'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, [tabindex]'
  ))
  .filter(el => el.tabIndex >= 0 && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
  .map(el => el.tagName.toLowerCase() + '|' + el.id + '|'
    + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim())"""


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Navigation principale")


def grant_sample_reader(registry: Registry, login: str) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login(login), "sample:reader")


def test_navigation_lists_the_enabled_modules_the_person_may_use(page: Page, registry: Registry) -> None:
    grant_sample_reader(registry, "agent")
    sign_in(page, "agent", "demo-agent-2026")
    links = main_nav(page).get_by_role("link")
    # With the helpdesk loaded, its "Assistance" comes between: plugins/helpdesk/tests/test_helpdesk_navigation.py.
    expect(links).to_have_text(["Mon espace", "Notes d'exemple"])
    expect(main_nav(page).get_by_role("link", name="Mon espace")).to_have_attribute("aria-current", "page")

    with page.expect_navigation():
        main_nav(page).get_by_role("link", name="Notes d'exemple").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notes d'exemple")
    expect(main_nav(page).get_by_role("link", name="Notes d'exemple")).to_have_attribute("aria-current", "page")
    expect(main_nav(page).get_by_role("link", name="Mon espace")).not_to_have_attribute("aria-current", "page")
    # Exactly one current page.
    expect(main_nav(page).locator("[aria-current]")).to_have_count(1)


def test_navigation_of_the_it_administrator_and_of_the_public_site(page: Page) -> None:
    sign_in(page, "admin", "demo-admin-2026")
    # The helpdesk's entries, when it is loaded, are its suite's (plugins/helpdesk/tests/test_helpdesk_navigation.py).
    expect(main_nav(page).get_by_role("link")).to_have_text(["Mon espace", "Console informatique"])
    with page.expect_navigation():
        main_nav(page).get_by_role("link", name="Console informatique").click()
    expect(main_nav(page).get_by_role("link", name="Console informatique")).to_have_attribute("aria-current", "page")

    page.goto("/")
    expect(main_nav(page).get_by_role("link")).to_have_text(["Accueil", "Exemple public"])
    expect(main_nav(page).get_by_role("link", name="Accueil")).to_have_attribute("aria-current", "page")


def test_skip_link_is_first_and_moves_the_focus_to_the_content(page: Page) -> None:
    sign_in(page, "admin", "demo-admin-2026")
    page.goto("/intranet/console/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    # Hidden off-screen until focused, then shown where a sighted keyboard user looks.
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    assert page.url.endswith("#contenu")
    # The next Tab goes on from the content (the console's first tab), not from the header.
    page.keyboard.press("Tab")
    console_tabs = page.get_by_role("navigation", name="Console informatique")
    expect(console_tabs.get_by_role("link", name="Modules")).to_be_focused()


def tab_through(page: Page) -> list[dict[str, object]]:
    """Press Tab from the top of a freshly loaded page until the focus leaves it; return each stop."""
    stops: list[dict[str, object]] = []
    for _ in range(100):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "body" or (stops and focused == stops[0]):
            break
        stops.append(focused)
    return stops


@pytest.mark.parametrize(
    ("account", "path"),
    [
        pytest.param(("admin", "demo-admin-2026", STAFF), "/intranet/console/", id="console"),
        pytest.param(("agent", "demo-agent-2026", STAFF), "/intranet/recherche?q=note", id="search"),
        pytest.param(("citoyen", "demo-citoyen-2026", CITIZEN), "/", id="citizen-home"),
    ],
)
def test_everything_is_reachable_with_tab(page: Page, account: tuple[str, str, str], path: str) -> None:
    login, password, site = account
    sign_in(page, login, password, site=site)
    page.goto(path)
    stops = tab_through(page)
    reached = [f"{stop['tag']}|{stop['id']}|{stop['text']}" for stop in stops]
    assert reached == page.evaluate(FOCUSABLE)
    assert reached[0].endswith("|Aller au contenu")
    assert any(stop["tag"] == "button" and stop["text"] == "Se déconnecter" for stop in stops)
    # WCAG 2.4.7: each stop shows where the focus is.
    assert [stop for stop in stops if not stop["outline"]] == []
