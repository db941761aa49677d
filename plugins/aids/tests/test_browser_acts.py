"""The envelope's and the acts' pages in a real browser: axe-core, a refusal next to its field, reflow at 320 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_browser_workflow import BUSINESS

from cagou.testing_browser import NARROW, OpenPage, assert_accessible, assert_reflows, sign_in

pytestmark = pytest.mark.browser


def test_the_envelope_and_the_acts_pages_are_accessible(open_page: OpenPage) -> None:
    page = open_page(bypass_csp=True)  # axe-core is injected as an inline script
    sign_in(page, "agent", "demo-agent-2026")
    page.goto("/intranet/demarches/")
    page.get_by_role("link", name=BUSINESS, exact=True).click()
    page.get_by_role("link", name="Enveloppe budgétaire").click()
    expect(page.locator("#enveloppe-montant")).to_contain_text(re.compile(r"1\s000\s000\s000"))
    expect(page.get_by_role("img", name=re.compile("utilisation de l'enveloppe"))).to_be_visible()
    assert_accessible(page)
    page.locator("#champ-montant").fill("beaucoup")
    page.get_by_role("button", name="Enregistrer l'enveloppe").click()
    expect(page.locator("#erreur-montant")).to_contain_text("nombre entier")
    expect(page.locator("#champ-montant")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    envelope = page.url
    page.get_by_role("link", name="Les arrêtés de la démarche").click()
    expect(page.get_by_role("heading", name="Arrêtés de la démarche")).to_be_visible()
    assert_accessible(page)
    acts = page.url
    page.get_by_role("link", name="Modèle des arrêtés").click()
    assert_accessible(page)
    narrow = open_page(viewport=NARROW)
    sign_in(narrow, "agent", "demo-agent-2026")
    for path in (envelope, acts, page.url):
        assert_reflows(narrow, path)
