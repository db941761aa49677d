"""The assignment's pages in a real browser: axe-core on "Mes dossiers", the application's section "Attribution et
suivi" with a refusal next to its field, the groups' page; reflow at 320 CSS pixels."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pyramid.registry import Registry

from cagou.kit import AGENT, IAccounts, transaction_scope
from cagou.testing_browser import NARROW, OpenPage, assert_accessible, assert_reflows, sign_in

pytestmark = pytest.mark.browser


def test_an_instructor_reads_their_files_and_a_refused_transfer_says_why(
    open_page: OpenPage, registry: Registry
) -> None:
    with transaction_scope(registry) as request:  # a colleague to transfer to
        accounts = request.find_service(IAccounts)
        colleague = accounts.create("lea", "Léa Nguyen", AGENT, email="lea@example.nc",
                                    password="lagon-vanille-tricot-2026")  # fmt: skip
        accounts.grant(colleague, "aids:instructor", accounts.directorate("DEFE-SAE"))
    page = open_page(bypass_csp=True)  # axe-core is injected as an inline script
    sign_in(page, "agent", "demo-agent-2026")
    page.goto("/intranet/demarches/mes-dossiers")
    expect(page.locator("#mes-dossiers tbody tr")).to_have_count(8)  # the demonstration's files on the agent's desk
    assert_accessible(page)
    page.locator("#mes-dossiers tbody tr a").first.click()
    expect(page.locator("#attribuee-a")).to_have_text("Paul Wahetra")
    expect(page.locator("#groupe-instructeur")).to_have_text("Nouméa")
    application = page.url
    assert_accessible(page)
    page.get_by_role("button", name="Transmettre", exact=True).click()
    expect(page.locator("#erreur-message")).to_have_text("Le message à votre collègue est obligatoire.")
    expect(page.locator("#champ-message")).to_have_attribute("aria-describedby", "erreur-message")
    assert_accessible(page)
    page.goto(application.split("/demandes/")[0] + "/groupes")
    expect(page.locator("#groupes li")).to_have_count(3)
    groups = page.url
    assert_accessible(page)
    narrow = open_page(viewport=NARROW)
    sign_in(narrow, "agent", "demo-agent-2026")
    # "Mes dossiers" is left out: its table is a data table, which WCAG's reflow criterion lets scroll (as the
    # applications' list).
    for path in (application, groups):
        assert_reflows(narrow, path)
