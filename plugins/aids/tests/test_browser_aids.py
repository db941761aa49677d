"""The applicant's journey in a real browser: keyboard alone, axe-core on every page, reflow at 320 CSS pixels.

A resident of the demonstration (``citoyen``) applies to the repatriation
census without touching a mouse: each control is reached with Tab (one that
cannot be reached fails the test), filled by typing, and each page is sent
with Enter on its button. On every page of the journey axe-core finds no
serious or critical violation (WCAG 2.1 A and AA).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from cagou_aids.interfaces import IApplications, IDocumentRequests
from cagou_aids.models import Procedure
from playwright.sync_api import Page, expect
from pyramid.registry import Registry
from test_services import ANSWERS

from cagou.kit import IAccounts, transaction_scope
from cagou.testing_browser import NARROW, OpenPage, assert_accessible, assert_reflows, sign_in

pytestmark = pytest.mark.browser

CENSUS = "Recensement des résidents de la province Sud bloqués à l'étranger"
MAX_TABS = 80


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id || ''"))


def tab_to(page: Page, element_id: str) -> None:
    """Press Tab until the control ``element_id`` has the focus: what a keyboard user does."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} is never reached with the Tab key")


def type_into(page: Page, element_id: str, text: str) -> None:
    tab_to(page, element_id)
    page.keyboard.type(text)


def press_button(page: Page, name: str) -> None:
    """Tab to the button called ``name`` and press Enter."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        label = page.evaluate("document.activeElement && document.activeElement.textContent || ''")
        if str(label).strip() == name:
            page.keyboard.press("Enter")
            return
    raise AssertionError(f"the button « {name} » is never reached with the Tab key")


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page(bypass_csp=True)  # axe-core is injected as an inline script


def test_a_resident_applies_with_the_keyboard_alone_on_accessible_pages(page: Page) -> None:
    sign_in(page, "citoyen", "demo-citoyen-2026", site="public")
    page.goto("/demarches/")
    assert_accessible(page)
    page.get_by_role("link", name=CENSUS).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(CENSUS)
    assert_accessible(page)
    press_button(page, "Commencer la démarche")
    expect(page.locator("#etape")).to_have_text("Étape 1 sur 4")
    assert_accessible(page)
    type_into(page, "champ-nom", "Martin")
    type_into(page, "champ-prenoms", "Jeanne")
    type_into(page, "champ-date_naissance", "03071985")  # a date input takes the digits in order
    type_into(page, "champ-commune", "Nouméa")
    press_button(page, "Suivant")
    expect(page.locator("#etape")).to_have_text("Étape 2 sur 4")
    assert_accessible(page)
    type_into(page, "champ-pays", "Australie")
    type_into(page, "champ-ville", "Sydney")
    type_into(page, "champ-depuis", "10022020")
    press_button(page, "Suivant")
    expect(page.locator("#etape")).to_have_text("Étape 3 sur 4")
    tab_to(page, "champ-accompagne-1")
    page.keyboard.press("ArrowDown")  # from "Oui" to "Non": arrows move within a group of radio buttons
    expect(page.locator("#champ-accompagne-2")).to_be_checked()
    assert_accessible(page)
    press_button(page, "Suivant")
    expect(page.locator("#etape")).to_have_text("Étape 4 sur 4")
    type_into(page, "champ-telephone", "+61 4 12 34 56 78")
    press_button(page, "Suivant")  # the address was prefilled from the account
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez vos réponses")
    assert_accessible(page)
    tab_to(page, "champ-declaration")
    page.keyboard.press("Space")
    page.wait_for_timeout(100)
    press_button(page, "Déposer ma demande")
    expect(page.get_by_text(re.compile(r"Votre demande est déposée sous le numéro RAP-\d{4}-\d{6}\."))).to_be_visible()
    assert_accessible(page)


def test_a_refused_page_is_accessible_with_its_messages(page: Page) -> None:
    sign_in(page, "citoyen", "demo-citoyen-2026", site="public")
    page.goto("/demarches/")
    page.get_by_role("link", name=CENSUS).click()
    page.get_by_role("button", name="Commencer la démarche").click()
    page.get_by_role("button", name="Suivant").click()
    expect(page.locator("#erreurs")).to_be_visible()
    assert_accessible(page)


def test_the_applicant_s_pages_reflow_at_320_pixels(open_page: OpenPage) -> None:
    page = open_page(viewport=NARROW)
    sign_in(page, "citoyen", "demo-citoyen-2026", site="public")
    for path in ("/demarches/", "/mes-demarches/"):
        assert_reflows(page, path)
    page.goto("/demarches/")
    page.get_by_role("link", name=CENSUS).click()
    assert_reflows(page, page.url)
    page.get_by_role("button", name="Commencer la démarche").click()
    assert_reflows(page, page.url)


def test_what_is_typed_is_saved_by_itself_and_is_there_after_the_tab_is_closed(open_page: OpenPage) -> None:
    """Autosave (htmx): typing, then waiting, keeps the draft; the person closes the tab without any button
    and finds their answers again from "Mes démarches"."""
    page = open_page()
    sign_in(page, "citoyen", "demo-citoyen-2026", site="public")
    page.goto("/demarches/")
    page.get_by_role("link", name=CENSUS).click()
    page.get_by_role("button", name="Commencer la démarche").click()
    page.locator("#champ-nom").fill("Martin")
    page.locator("#champ-prenoms").press_sequentially("Jeanne")
    expect(page.locator("#sauvegarde")).to_have_text(re.compile(r"Brouillon enregistré à \d\d:\d\d\."), timeout=10_000)
    page.goto("/mes-demarches/")  # the tab's page is left without pressing any button
    page.get_by_role("link", name=CENSUS).first.click()
    expect(page.locator("#champ-nom")).to_have_value("Martin")
    expect(page.locator("#champ-prenoms")).to_have_value("Jeanne")


def test_the_application_s_page_its_messages_and_a_request_for_documents_are_accessible(
    open_page: OpenPage, registry: Registry
) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        person = accounts.by_login("citoyen")
        procedure = request.db.scalars(sa.select(Procedure).where(Procedure.title == CENSUS)).one()
        application = request.find_service(IApplications).submit(
            procedure, dict(ANSWERS), "clef-navigateur", person.email, person
        )
        request.find_service(IDocumentRequests).ask(
            application, ["ville"], "Dans quelle ville êtes-vous exactement ?", accounts.by_login("agent")
        )
        receipt = application.receipt
    page = open_page(bypass_csp=True)
    sign_in(page, "citoyen", "demo-citoyen-2026", site="public")
    page.goto(f"/mes-demarches/{receipt}")
    expect(page.locator("#etat")).to_contain_text("Compléments demandés")
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator("#erreur-texte")).to_have_text("Le message est obligatoire.")
    assert_accessible(page)
    page.get_by_role("link", name="Envoyer les compléments demandés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compléments demandés")
    assert_accessible(page)
    narrow = open_page(viewport=NARROW)
    sign_in(narrow, "citoyen", "demo-citoyen-2026", site="public")
    for path in (f"/mes-demarches/{receipt}", f"/mes-demarches/{receipt}/complements"):
        assert_reflows(narrow, path)
