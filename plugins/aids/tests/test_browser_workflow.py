"""The workflow's pages in a real browser: axe-core on the application's page, its transitions and the diagram, a
refusal next to its field, reflow at 320 CSS pixels."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cagou.testing_browser import NARROW, OpenPage, assert_accessible, assert_reflows, sign_in

pytestmark = pytest.mark.browser
BUSINESS = "Aide exceptionnelle aux entreprises — plan de soutien COVID-19"


def test_an_instructor_moves_an_application_on_and_reads_the_diagram(open_page: OpenPage) -> None:
    page = open_page(bypass_csp=True)  # axe-core is injected as an inline script
    sign_in(page, "agent", "demo-agent-2026")
    page.goto("/intranet/demarches/")
    page.get_by_role("link", name=BUSINESS, exact=True).click()
    page.locator("#champ-q").fill("AIDE-2020-000001")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="AIDE-2020-000001").click()
    application = page.url
    expect(page.locator("#etat-actuel")).to_have_text("Déposée")
    expect(page.locator('.workflow li[aria-current="step"]')).to_contain_text("Déposée")
    assert_accessible(page)
    page.get_by_role("button", name="Prendre en instruction").click()
    expect(page.locator("#etat-actuel")).to_have_text("En instruction")
    page.get_by_role("button", name="Refuser").click()
    error = page.locator("#motivation-refuser-erreur")
    expect(error).to_have_text("La motivation est obligatoire.")
    expect(page.locator("#motivation-refuser")).to_have_attribute("aria-describedby", "motivation-refuser-erreur")
    assert_accessible(page)
    page.locator("#motivation-proposer").fill("Éligible : 300 000 F CFP (perte de 60 %).")
    page.locator("#montant-proposer").fill("300 000")
    page.get_by_role("button", name="Proposer une décision").click()
    expect(page.locator("#etat-actuel")).to_have_text("Proposée")
    expect(page.get_by_text(re.compile("un autre agent doit la valider"))).to_be_visible()
    page.get_by_role("link", name="Voir le circuit de la démarche").click()
    expect(page.locator("#etat-proposee")).to_contain_text("1 demande(s)")
    assert_accessible(page)
    narrow = open_page(viewport=NARROW)
    sign_in(narrow, "agent", "demo-agent-2026")
    # The applications' list is left out: its table (from the first part) is wider than 320 px, a data table that
    # WCAG's reflow criterion lets scroll; the counts per state above it are a list.
    for path in (application, page.url):
        assert_reflows(narrow, path)
