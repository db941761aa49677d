"""Expert opinions in a real browser: the form on the application's page refused next to its fields, the answer page
of « Avis demandés », axe-core on both and reflow at 320 CSS pixels."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cagou.testing_browser import NARROW, OpenPage, assert_accessible, assert_reflows, sign_in

pytestmark = pytest.mark.browser
QUESTION = "Cette entreprise a-t-elle des dettes fiscales ?"


def test_an_opinion_is_asked_of_another_directorate_and_answered_on_accessible_pages(open_page: OpenPage) -> None:
    page = open_page(bypass_csp=True)  # axe-core is injected as an inline script
    sign_in(page, "agent", "demo-agent-2026")
    page.goto("/intranet/demarches/2/demandes/AIDE-2020-000001")  # the business aid's first application (demo)
    expect(page.locator("h1")).to_have_text("Demande AIDE-2020-000001")
    application = page.url
    page.get_by_text("Demander un avis").click()
    page.get_by_role("button", name="Demander l'avis").click()  # nothing chosen: refused next to each field
    expect(page.locator("#erreur-question")).to_have_text("La question est obligatoire.")
    expect(page.locator("#champ-question")).to_have_attribute("aria-describedby", "erreur-question")
    expect(page.locator("#erreur-direction")).to_contain_text("Choisissez une autre direction")
    assert_accessible(page)
    page.locator("#champ-question").fill(QUESTION)
    page.locator("#champ-direction").select_option(label="Secrétariat général")
    page.get_by_role("button", name="Demander l'avis").click()
    expect(page.locator("#liste-avis")).to_contain_text("En attente de réponse.")
    # The demo agent instructs for the Secrétariat général too: the opinion waits in its « Avis demandés ».
    page.get_by_role("link", name="Avis demandés").click()
    listed = page.url
    assert_accessible(page)
    page.get_by_role("link", name=QUESTION).click()
    answer = page.url
    page.get_by_role("button", name="Rendre mon avis").click()
    expect(page.locator("#erreur-avis")).to_have_text("Choisissez votre avis : favorable ou défavorable.")
    assert_accessible(page)
    page.get_by_label("Favorable", exact=True).check()
    page.locator("#champ-texte").fill("Aucune dette fiscale connue.")
    page.get_by_role("button", name="Rendre mon avis").click()
    expect(page.get_by_text("Votre avis est rendu")).to_be_visible()
    page.goto(application)
    expect(page.locator("#liste-avis")).to_contain_text("Avis favorable")
    narrow = open_page(viewport=NARROW)
    sign_in(narrow, "agent", "demo-agent-2026")
    for path in (application, listed, answer):
        assert_reflows(narrow, path)
