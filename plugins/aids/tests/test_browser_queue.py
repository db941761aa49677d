"""The instructors' queue in a real browser: axe-core on the filtered list with columns and on a bulk action's
report, the keyboard alone through the bulk form, a refusal next to its field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cagou.testing_browser import OpenPage, assert_accessible, sign_in

pytestmark = pytest.mark.browser
BUSINESS = "Aide exceptionnelle aux entreprises — plan de soutien COVID-19"


def test_an_instructor_filters_the_queue_and_acts_on_a_selection(open_page: OpenPage) -> None:
    page = open_page(bypass_csp=True)  # axe-core is injected as an inline script
    sign_in(page, "agent", "demo-agent-2026")
    page.goto("/intranet/demarches/")
    page.get_by_role("link", name=BUSINESS, exact=True).click()
    page.get_by_text("Filtrer sur les réponses").click()
    page.locator("#filtre-commune").select_option("Thio")
    page.get_by_text("Colonnes affichées").click()
    page.locator("#colonne-montant_demande").check()
    page.get_by_label("Ordre").select_option("ancien")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#demandes thead")).to_contain_text("Montant de l'aide demandée")
    assert_accessible(page)
    first = page.locator("#demandes tbody tr").first.locator("td a").first.inner_text()
    page.get_by_role("checkbox", name=f"Sélectionner {first}").check()
    page.get_by_label("Action", exact=True).select_option(label="Refuser (motivation)")
    page.get_by_role("button", name="Appliquer à la sélection").click()
    expect(page.locator("#erreur-motivation")).to_have_text("La motivation est obligatoire.")
    expect(page.locator("#champ-motivation")).to_have_attribute("aria-describedby", "erreur-motivation")
    assert_accessible(page)
    # With the keyboard alone: the action, then the button.
    page.get_by_label("Action", exact=True).select_option(label="Prendre en instruction")
    page.get_by_label("Action", exact=True).focus()
    page.keyboard.press("Tab")  # the motivation
    page.keyboard.press("Tab")  # the first field to reopen…
    page.get_by_role("button", name="Appliquer à la sélection").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#bilan")).to_have_text("1 dossier(s) traité(s), 0 refusé(s).")
    expect(page.locator("#faits")).to_contain_text(first)
    assert_accessible(page)
