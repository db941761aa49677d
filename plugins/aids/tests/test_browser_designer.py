"""The designer in a real browser: the repatriation census built from a blank page, published, then applied to.

Everything goes through the pages, as a newcomer would: no service, no
database. Each page action (a click, a field filled, a choice in a list)
is counted by :class:`Actions`; docs/aids.md states the count, which the
test holds to (``MAX_ACTIONS``). axe-core checks the designer's pages.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from cagou.testing_browser import NARROW, OpenPage, assert_accessible, assert_reflows, sign_in

pytestmark = pytest.mark.browser

TITLE = "Recensement des résidents bloqués à l'étranger (2)"
#: The count docs/aids.md states ("The designer's pages"): the designer's part, sign-in aside.
MAX_ACTIONS = 71


class Actions:
    """A person's actions on the page, counted: one per click, per field filled, per choice in a list."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def fill(self, selector: str, text: str) -> None:
        self.page.locator(selector).fill(text)
        self.count += 1

    def choose(self, selector: str, value: str = "", label: str = "") -> None:
        self.page.locator(selector).select_option(**({"label": label} if label else {"value": value}))
        self.count += 1

    def click(self, selector: str) -> None:
        self.page.locator(selector).click()
        self.count += 1

    def button(self, name: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=name, exact=True).click()
        self.count += 1

    def link(self, name: str) -> None:
        self.page.get_by_role("link", name=name, exact=True).first.click()
        self.count += 1

    def add_field(self, kind: str, label: str, required: bool = False, choices: str = "") -> None:
        """A field in one form: its type, its label, required or not, its choices."""
        if kind != "text":
            self.choose("#formulaire-ajout-champ #champ-type", kind)
        self.fill("#formulaire-ajout-champ #champ-label", label)
        if required:
            self.click("#formulaire-ajout-champ #champ-required")
        if choices:
            self.fill("#formulaire-ajout-champ #champ-choices", choices)
        self.button("Ajouter le champ")
        expect(self.page.locator("#apercu")).to_contain_text(label)

    def add_page(self, title: str) -> None:
        self.fill("#champ-titre-page", title)
        self.button("Ajouter la page")


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page(bypass_csp=True)  # axe-core is injected as an inline script


def test_a_newcomer_builds_the_census_from_a_blank_page_publishes_it_and_a_resident_applies(
    page: Page, open_page: OpenPage
) -> None:
    sign_in(page, "agent", "demo-agent-2026")
    you = Actions(page)
    page.goto("/intranet/demarches/")
    you.link("Nouvelle démarche")
    assert_accessible(page)
    you.fill("#champ-title", TITLE)
    you.fill("#champ-receipt_prefix", "RAPB")
    you.button("Créer la démarche")
    expect(page.locator("#etat")).to_have_text("Brouillon")
    you.add_field("text", "Nom", required=True)
    you.add_field("text", "Prénoms", required=True)
    you.add_field("date", "Date de naissance", required=True)
    assert_accessible(page)
    you.add_page("Où vous êtes")
    you.add_field("country", "Pays où vous vous trouvez", required=True)
    you.add_field("text", "Ville", required=True)
    you.add_field("date", "Sur place depuis le", required=True)
    you.add_field("date", "Date de retour prévue")
    you.add_page("Les personnes qui voyagent avec vous")
    you.add_field("yesno", "Des personnes voyagent-elles avec vous ?", required=True)
    you.add_field("repeat", "Personnes qui voyagent avec vous")
    you.link("Modifier « Personnes qui voyagent avec vous »")
    you.choose("#champ-show_if", label="Seulement si « Des personnes voyagent-elles avec vous ? » vaut « Oui »")
    expect(page.locator("#apercu")).to_contain_text("seulement si")  # the preview follows the edit (htmx)
    assert_accessible(page)
    you.button("Enregistrer le champ")
    you.link("Modifier « Personnes qui voyagent avec vous »")
    you.choose("#formulaire-ajout-sous-champ #champ-sous-type", "integer")
    you.fill("#champ-sous-label", "Âge")
    you.button("Ajouter à chaque ligne")
    you.link(TITLE)
    you.add_page("Votre situation")
    you.add_field("choices", "Votre situation relève-t-elle d'un de ces cas ?",
                  choices="Besoin médical\nGrossesse\nEnfants en bas âge\nProfessionnel de santé")  # fmt: skip
    you.add_field("textarea", "Décrivez votre situation particulière")
    you.add_field("phone", "Téléphone où vous joindre", required=True)
    you.add_field("email", "Adresse électronique", required=True)
    you.link("Réglages")
    you.fill("#champ-legal_basis", "Mission d'intérêt public (RGPD, art. 6-1-e)")
    you.fill("#champ-purpose", "Organiser les retours")
    you.fill("#champ-retention_months", "24")
    you.fill("#champ-dpo_contact", "dpo@province-sud.nc")
    assert_accessible(page)
    you.button("Enregistrer les réglages")
    you.button("Publier")
    expect(page.locator("#etat")).to_have_text("Publiée")
    assert_accessible(page)
    print(f"\nThe designer's actions, from the Démarches page to the publication: {you.count}")
    assert you.count <= MAX_ACTIONS
    link = page.locator("#lien-public").get_attribute("href")
    assert link is not None

    resident = open_page()
    sign_in(resident, "citoyen", "demo-citoyen-2026", site="public")
    resident.goto(link)
    resident.get_by_role("button", name="Commencer la démarche").click()
    resident.get_by_label(re.compile("^Nom")).fill("Martin")
    resident.get_by_label("Prénoms").fill("Jeanne")
    resident.get_by_label("Date de naissance").fill("1985-07-03")
    resident.get_by_role("button", name="Suivant").click()
    resident.get_by_label("Pays où vous vous trouvez").select_option("AU")
    resident.get_by_label("Ville").fill("Sydney")
    resident.get_by_label("Sur place depuis le").fill("2020-02-10")
    resident.get_by_role("button", name="Suivant").click()
    resident.get_by_label("Non", exact=True).check()
    resident.get_by_role("button", name="Suivant").click()
    resident.get_by_label("Besoin médical").check()
    resident.get_by_label("Téléphone où vous joindre").fill("+61 4 12 34 56 78")
    resident.get_by_label("Adresse électronique").fill("jeanne.martin@example.nc")
    resident.get_by_role("button", name="Suivant").click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("Vérifiez vos réponses")
    resident.get_by_label(re.compile("J'atteste sur l'honneur")).check()
    resident.get_by_role("button", name="Déposer ma demande").click()
    expect(
        resident.get_by_text(re.compile(r"Votre demande est déposée sous le numéro RAPB-\d{4}-\d{6}\."))
    ).to_be_visible()


def test_the_designer_s_pages_reflow_at_320_pixels(open_page: OpenPage) -> None:
    page = open_page(viewport=NARROW)
    sign_in(page, "agent", "demo-agent-2026")
    assert_reflows(page, "/intranet/demarches/nouvelle")
    page.goto("/intranet/demarches/")
    page.get_by_role("link", name=re.compile("^Concevoir « Recensement")).click()
    designer = page.url
    assert_reflows(page, designer)
    assert_reflows(page, f"{designer}/reglages")
    page.goto(designer)
    page.get_by_role("link", name="Modifier « Nom »").click()
    assert_reflows(page, page.url)


def test_reordering_with_the_keyboard_swaps_the_list_in_place_and_keeps_the_focus(page: Page) -> None:
    sign_in(page, "agent", "demo-agent-2026")
    page.goto("/intranet/demarches/")
    page.get_by_role("link", name=re.compile("^Concevoir « Recensement")).click()
    rows = page.locator("#page-1 .designer-fields tbody tr")
    expect(rows.first).to_have_id("ligne-nom")
    page.locator("#descendre-nom").focus()
    page.keyboard.press("Enter")
    expect(rows.first).to_have_id("ligne-prenoms")  # htmx swapped the designer's region, no page load
    expect(page.locator("#descendre-nom")).to_be_focused()
    expect(page.locator("#nouvelle-version")).to_have_count(0)  # the change opened version 2
    expect(page.locator("#etat")).to_have_text("Publiée")
    assert_accessible(page)
