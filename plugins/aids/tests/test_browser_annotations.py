"""Private annotations, the eligibility suggestion and the designer's page in a real browser: axe-core, a refusal
next to its field, reflow at 320 CSS pixels."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cagou.testing_browser import NARROW, OpenPage, assert_accessible, assert_reflows, sign_in

pytestmark = pytest.mark.browser
BUSINESS = "Aide exceptionnelle aux entreprises — plan de soutien COVID-19"


def test_an_instructor_fills_the_annotations_and_a_designer_edits_them(open_page: OpenPage) -> None:
    page = open_page(bypass_csp=True)  # axe-core is injected as an inline script
    sign_in(page, "agent", "demo-agent-2026")
    page.goto("/intranet/demarches/")
    page.get_by_role("link", name=BUSINESS, exact=True).click()
    listing = page.url
    page.locator("#champ-q").fill("AIDE-2020-000002")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="AIDE-2020-000002").click()
    application = page.url
    expect(page.locator("#suggestion-eligibilite")).to_contain_text("Suggestion (ne décide pas)")
    page.get_by_label("Montant proposé (en F CFP)").fill("-5")
    page.get_by_role("button", name="Enregistrer les annotations").click()
    expect(page.locator("#erreur-annotation-montant_propose")).to_contain_text("est un montant en F CFP")
    assert_accessible(page)
    page.get_by_label("Montant proposé (en F CFP)").fill("150 000")
    page.get_by_label("Motif de la proposition").select_option("Éligible")
    page.get_by_role("button", name="Enregistrer les annotations").click()
    expect(page.locator("#annotations")).to_contain_text("150\u00a0000\u00a0F\u00a0CFP")
    assert_accessible(page)
    page.goto(listing)
    page.get_by_role("link", name="Annotations, éligibilité et tri").click()
    designer = page.url
    expect(page.locator("#champ-code-1")).to_have_value("montant_propose")
    page.locator("#champ-loss_threshold").fill("150")
    page.get_by_role("button", name="Enregistrer les règles").click()
    expect(page.locator("#erreur-loss_threshold")).to_contain_text("est un nombre entier de 0 à 100")
    assert_accessible(page)
    narrow = open_page(viewport=NARROW)
    sign_in(narrow, "agent", "demo-agent-2026")
    for path in (application, designer):
        assert_reflows(narrow, path)
