"""Pages reflow at 320 CSS pixels wide (WCAG 2.1, criterion 1.4.10): a phone, or 400 % zoom.

Nothing makes the page itself scroll sideways; a table too wide for the
screen scrolls on its own, inside the page, and the text around it stays
readable without horizontal scrolling. The pages are the core's; the
helpdesk's are its suite's (plugins/helpdesk/tests/test_helpdesk_navigation.py),
with the same check (cagou.testing_browser.assert_reflows).
"""

from __future__ import annotations

import pytest

from cagou.testing_browser import NARROW, OpenPage, assert_reflows, sign_in

pytestmark = pytest.mark.browser

ANONYMOUS = ["/", "/connexion", "/inscription", "/intranet/connexion"]
STAFF = {
    ("agent", "demo-agent-2026"): [
        "/intranet/",
        "/intranet/jetons/",
        "/intranet/recherche?q=vpn",
    ],
    ("technicien", "demo-technicien-2026"): [
        "/intranet/",
    ],
    ("admin", "demo-admin-2026"): [
        "/intranet/console/",
        "/intranet/console/comptes/",
        "/intranet/console/journal/",
    ],
}


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
    sign_in(page, "admin", "demo-admin-2026")
    assert_reflows(page, "/intranet/console/journal/")
    box = page.locator(".table-scroll").first
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
