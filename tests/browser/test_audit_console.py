"""The audit log's pages in a real browser: accessible, filtered with htmx, and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts, IAuditLog
from cagou.testing_browser import OpenPage, assert_accessible, sign_in
from cagou_sample.models import SampleNote

pytestmark = pytest.mark.browser

JOURNAL = "/intranet/console/journal/"


@pytest.fixture
def entries(registry: Registry, live_server: str) -> int:
    """A few sample entries about a note, and the note's id."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("technicien"), "sample:reader")
        note = SampleNote(title="Budget 2026")
        request.db.add(note)
        request.db.flush()
        audit = request.find_service(IAuditLog)
        audit.record("sample:note:create", "Note « Budget 2026 » ajoutée.", "sample", "note", str(note.id))
        audit.record(
            "sample:note:edit",
            "Note « Budget 2026 » renommée « Budget 2027 ».",
            "sample",
            "note",
            str(note.id),
            changes={"before": {"title": "Budget 2026"}, "after": {"title": "Budget 2027"}},
        )
        return note.id


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    # axe-core is injected as an inline script, which the CSP refuses; the markup is what is checked.
    return open_page(bypass_csp=True)


def test_the_journal_and_an_entry_are_accessible(page: Page, entries: int) -> None:
    sign_in(page, "admin", "demo-admin-2026")
    page.goto(JOURNAL)
    expect(page.get_by_role("heading", name="Journal d'audit")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{JOURNAL}?du=31/02/2026")
    expect(page.get_by_label("Du", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.goto(f"{JOURNAL}?module=sample")
    with page.expect_navigation():
        page.get_by_role("link", name="Entrée n°").first.click()
    expect(page.get_by_role("table", name="Valeurs avant et après")).to_be_visible()
    assert_accessible(page)


def test_filters_update_the_table_with_htmx(open_page: OpenPage, entries: int) -> None:
    page = open_page()
    sign_in(page, "admin", "demo-admin-2026")
    page.goto(JOURNAL)
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Module").select_option("sample")
    page.get_by_label("Mots du résumé").fill("renommée")
    page.get_by_role("button", name="Filtrer").click()
    rows = page.locator("#entrees-journal tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Budget 2027")
    expect(page.locator("#journal-statut-message")).to_have_text("Entrées affichées : 1")
    assert page.evaluate("window.notReloaded") is True  # swapped, not reloaded
    assert "module=sample" in page.url and "q=renomm" in page.url  # the address can be shared or reloaded


def test_filters_work_without_javascript(open_page: OpenPage, entries: int) -> None:
    page = open_page(java_script_enabled=False)
    sign_in(page, "admin", "demo-admin-2026")
    page.goto(JOURNAL)
    page.get_by_label("Module").select_option("sample")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#entrees-journal tbody tr")).to_have_count(2)


def test_an_agent_reads_the_history_of_a_note(page: Page, entries: int) -> None:
    sign_in(page, "technicien", "demo-technicien-2026")
    page.goto(f"/intranet/journal/note/{entries}")
    expect(page.locator("#historique-objet tbody tr")).to_have_count(2)
    assert_accessible(page)
