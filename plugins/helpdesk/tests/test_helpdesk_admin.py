"""The helpdesk administration and knowledge base in a real browser: axe-core, errors, the live search.

The live server carries the demonstration data; the fixture makes the
demonstration technician a helpdesk administrator and makes sure of the few
things the tests rely on (a group, a category, a published article, a canned
answer), so that they do not depend on how rich the demonstration is.
"""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing_browser import OpenPage, assert_accessible, sign_in
from cagou_helpdesk.models import Article, CannedAnswer, Category, Group, Member

pytestmark = pytest.mark.browser

AGENT = ("agent", "demo-agent-2026")
TECHNICIAN = ("technicien", "demo-technicien-2026")
ARTICLE = "Brancher un second écran au portable"
ADMIN = "/intranet/assistance/administration"


@pytest.fixture
def bureau(live_server: str, registry: Registry) -> dict[str, int]:
    """The technician administers the helpdesk and works in a group; an article and a canned answer exist."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        technician = accounts.by_login(TECHNICIAN[0])
        for role in ("helpdesk:technician", "helpdesk:admin"):
            if role not in accounts.roles_of(technician):
                accounts.grant(technician, role)
        group = request.db.scalars(sa.select(Group).order_by(Group.id)).first()
        if group is None:
            group = Group(code="BAU", name="Bureau de l'assistance aux utilisateurs")
            request.db.add(group)
            request.db.flush()
        if request.db.get(Member, (group.id, technician.id)) is None:
            request.db.add(Member(group_id=group.id, account_id=technician.id))
        category = request.db.scalars(sa.select(Category).where(Category.parent_id.is_(None))).first()
        if category is None:
            category = Category(name="Logiciels", path="Logiciels", default_group=group)
            request.db.add(category)
        now = datetime.datetime.now(datetime.UTC)
        article = Article(title=ARTICLE, body="Branchez le câble HDMI.\n\nPuis appuyez sur Windows + P.",
                          published=True, author=technician, created_at=now, updated_at=now)  # fmt: skip
        request.db.add(article)
        if request.db.scalars(sa.select(CannedAnswer).where(CannedAnswer.title == "Écran réglé")).first() is None:
            request.db.add(CannedAnswer(title="Écran réglé", body="Votre second écran fonctionne."))
        request.db.flush()
        return {"group": group.id, "category": category.id, "article": article.id}


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page(bypass_csp=True)  # axe-core is injected as an inline script


@pytest.mark.parametrize(
    "path",
    [
        f"{ADMIN}/",
        f"{ADMIN}/categories/",
        f"{ADMIN}/categories/{{category}}",
        f"{ADMIN}/groupes/",
        f"{ADMIN}/groupes/{{group}}",
        f"{ADMIN}/priorites",
        f"{ADMIN}/niveaux-de-service",
        "/intranet/assistance/articles/",
        "/intranet/assistance/articles/{article}",
        "/intranet/assistance/articles/nouveau",
        "/intranet/assistance/reponses-types/",
        "/intranet/assistance/reponses-types/choix?ticket=1",
    ],
)
def test_every_page_passes_axe(page: Page, bureau: dict[str, int], path: str) -> None:
    sign_in(page, *TECHNICIAN)
    response = page.goto(path.format(**bureau))
    assert response is not None and response.status == 200
    assert_accessible(page)


def test_service_levels_with_errors_pass_axe_and_name_the_faulty_fields(page: Page, bureau: dict[str, int]) -> None:
    sign_in(page, *TECHNICIAN)
    page.goto(f"{ADMIN}/niveaux-de-service")
    page.get_by_label("Minutes (Première réponse, P3 — normale)").fill("75")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les niveaux de service").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    field = page.get_by_label("Minutes (Première réponse, P3 — normale)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description("Première réponse en P3 — normale : les minutes vont de 0 à 59.")
    assert_accessible(page)


def test_a_duplicate_category_is_announced_next_to_its_field(page: Page, bureau: dict[str, int]) -> None:
    sign_in(page, *TECHNICIAN)
    page.goto(f"{ADMIN}/categories/")
    existing = page.locator("ul.category-tree > li > a").first.inner_text()
    page.get_by_label("Nom").fill(existing.upper())
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter la catégorie").click()
    name = page.get_by_label("Nom")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(
        f"Par exemple « VPN » sous « Réseau ». Le nom est unique parmi les catégories de même niveau. "
        f"Une catégorie « {existing} » existe déjà à la racine : choisissez un autre nom."
    )
    assert_accessible(page)


def test_the_knowledge_base_filters_while_the_agent_types(page: Page, bureau: dict[str, int]) -> None:
    sign_in(page, *AGENT)
    page.goto("/intranet/assistance/articles/")
    results = page.locator("#resultats-articles")
    assert results.get_attribute("aria-live") == "polite"
    page.get_by_label("Rechercher dans les articles").press_sequentially("second écran", delay=20)
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results.get_by_role("link", name=ARTICLE)).to_be_visible()
    assert page.url.endswith("/intranet/assistance/articles/")  # htmx swapped the results, no navigation
    with page.expect_navigation():
        results.get_by_role("link", name=ARTICLE).click()
    paragraphs = page.locator(".kb-body p")
    expect(paragraphs).to_have_text(["Branchez le câble HDMI.", "Puis appuyez sur Windows + P."])
    assert_accessible(page)
