"""The helpdesk in a real browser: the live article suggestion, opening a ticket, taking one.

The live server carries the demonstration data; each test makes sure of the
few things it relies on (a published article, the technician's group) so
that it does not depend on how rich the demonstration is.
"""

from __future__ import annotations

import datetime
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.identity.models import Account
from cagou.interfaces import IAccounts
from cagou.testing_browser import OpenPage, assert_accessible, sign_in
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import Article, CannedAnswer, Category, Group, Member, Ticket, id_of_reference

pytestmark = pytest.mark.browser

AGENT = ("agent", "demo-agent-2026")
TECHNICIAN = ("technicien", "demo-technicien-2026")
ARTICLE = "Se connecter au VPN depuis son domicile"


@pytest.fixture
def bureau(live_server: str, registry: Registry) -> None:
    """The technician works in a group; a published article talks about the VPN; a category exists."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        technician = accounts.by_login(TECHNICIAN[0])
        if "helpdesk:technician" not in accounts.roles_of(technician):
            accounts.grant(technician, "helpdesk:technician")
        group = request.db.scalars(sa.select(Group).order_by(Group.id)).first()
        if group is None:
            group = Group(code="BAU", name="Bureau de l'assistance aux utilisateurs")
            request.db.add(group)
            request.db.flush()
        if request.db.get(Member, (group.id, technician.id)) is None:
            request.db.add(Member(group_id=group.id, account_id=technician.id))
        if request.db.scalars(sa.select(Category).where(Category.path == "Logiciels")).first() is None:
            request.db.add(Category(name="Logiciels", path="Logiciels", default_group=group))
        now = datetime.datetime.now(datetime.UTC)
        request.db.add(Article(title=ARTICLE, body="Le client VPN se lance depuis le menu Démarrer.", published=True,
                               author=technician, created_at=now, updated_at=now))  # fmt: skip


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page(bypass_csp=True)  # axe-core is injected as an inline script


def test_the_article_appears_while_the_agent_types_the_title(page: Page, bureau) -> None:
    sign_in(page, *AGENT)
    page.goto("/intranet/assistance/nouvelle")
    page.get_by_label("Titre").press_sequentially("connexion vpn domicile", delay=20)
    suggestion = page.locator("#suggestions").get_by_role("link", name=ARTICLE)
    expect(suggestion).to_be_visible()
    assert page.locator("#suggestions").get_attribute("aria-live") == "polite"
    page.get_by_label("Titre").fill("imprimante du troisième")
    page.get_by_label("Titre").press("End")
    page.get_by_label("Titre").press_sequentially("x", delay=20)
    expect(page.locator("#suggestions").get_by_role("link")).to_have_count(0)
    assert_accessible(page)


def test_an_agent_opens_a_ticket_with_the_keyboard_only(page: Page, registry: Registry, bureau) -> None:
    sign_in(page, *AGENT)
    page.goto("/intranet/assistance/nouvelle")
    page.get_by_label("Titre").fill("Ma session Windows se ferme")
    page.get_by_label("Catégorie").fill("Logiciels")
    page.get_by_label("Description").fill("Toutes les dix minutes.")
    page.get_by_label("Description").focus()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ma session Windows se ferme")
    expect(page.get_by_text("Votre demande est enregistrée sous la référence")).to_be_visible()
    assert_accessible(page)
    with transaction_scope(registry) as request:
        assert (
            request.db.scalar(sa.select(Ticket.title).order_by(Ticket.id.desc()).limit(1))
            == "Ma session Windows se ferme"
        )


def test_a_request_typed_while_the_session_expired_is_not_lost(open_page: OpenPage, registry: Registry, bureau, clock):
    page = open_page()  # with the application's Content-Security-Policy: no script of ours is involved
    sign_in(page, *AGENT)
    page.goto("/intranet/assistance/nouvelle")
    page.get_by_label("Titre").fill("Imprimante du 2e bloquée")
    page.get_by_label("Catégorie").fill("Logiciels")
    page.get_by_label("Description").fill("Voyant orange depuis ce matin.")
    clock.advance(minutes=45)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("alert")).to_contain_text("n'est pas encore enregistré")
    page.get_by_label("Identifiant").fill(AGENT[0])
    page.get_by_label("Mot de passe").fill(AGENT[1])
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reprendre votre envoi")
    expect(page.get_by_text("Voyant orange depuis ce matin.")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imprimante du 2e bloquée")
    expect(page.get_by_text("Votre demande est enregistrée sous la référence")).to_be_visible()


def test_the_pages_that_carry_a_form_through_the_sign_in_are_accessible(page: Page, bureau, clock) -> None:
    sign_in(page, *AGENT)
    page.goto("/intranet/assistance/nouvelle")
    page.get_by_label("Description").fill("Première ligne.\nDeuxième ligne.")
    clock.advance(minutes=45)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").click()
    assert_accessible(page)
    page.get_by_label("Identifiant").fill(AGENT[0])
    page.get_by_label("Mot de passe").fill(AGENT[1])
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reprendre votre envoi")
    assert_accessible(page)
    shown = page.locator(".resubmitted li")
    expect(shown).to_have_text(["Première ligne.\nDeuxième ligne."])  # the line break is shown as typed


def test_every_field_in_error_is_drawn_alike(page: Page, bureau) -> None:
    sign_in(page, *AGENT)
    page.goto("/intranet/assistance/nouvelle")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("La description est obligatoire.")).to_be_visible()
    for label in ("Titre", "Catégorie", "Description"):  # two text fields and a text area
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_css("border-top-width", "2px")
        expect(field).to_have_css("border-top-color", "rgb(164, 0, 29)")
    assert_accessible(page)


def test_a_technician_takes_the_next_ticket_from_the_queue(page: Page, registry: Registry, bureau) -> None:
    with transaction_scope(registry) as request:
        agent = request.db.scalars(sa.select(Account).where(Account.login == AGENT[0])).one()
        data = TicketInput(title="Écran bleu au démarrage", description="Code 0x0000007B.", category="Logiciels")
        request.find_service(ITickets).open(data, agent)
    sign_in(page, *TECHNICIAN)
    page.goto("/intranet/assistance/file/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Prendre le suivant").click()
    expect(page.get_by_text(re.compile(r"Vous avez pris le ticket HD-\d{6}\."))).to_be_visible()
    reference = page.locator("h1 .reference").inner_text()
    assert_accessible(page)
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, id_of_reference(reference))
        assert ticket.assignee is not None and ticket.assignee.login == TECHNICIAN[0]


def test_a_technician_takes_a_ticket_from_its_page(page: Page, registry: Registry, bureau) -> None:
    with transaction_scope(registry) as request:
        agent = request.db.scalars(sa.select(Account).where(Account.login == AGENT[0])).one()
        data = TicketInput(title="Clavier qui double les lettres", description="Depuis hier.", category="Logiciels")
        ticket_id = request.find_service(ITickets).open(data, agent).id
    sign_in(page, *TECHNICIAN)
    page.goto(f"/intranet/assistance/tickets/{ticket_id}")
    with page.expect_navigation():
        page.get_by_role("button", name="Prendre ce ticket").click()
    expect(page.get_by_text(f"Vous avez pris le ticket HD-{ticket_id:06d}.")).to_be_visible()
    expect(page.get_by_role("button", name="Prendre ce ticket")).to_have_count(0)
    assert_accessible(page)
    # Each choice of "Qui le lira ?" is a radio button just left of its label, on the same line.
    public, note = "Réponse publique, envoyée au demandeur par courriel", "Note interne, pour les techniciens seulement"
    for choice in (public, note):
        radio = page.get_by_label(choice).bounding_box()
        label = page.get_by_text(choice, exact=True).bounding_box()
        assert radio is not None and label is not None
        assert radio["width"] < 40 and radio["x"] + radio["width"] <= label["x"] < radio["x"] + 60
        assert abs((radio["y"] + radio["height"] / 2) - (label["y"] + label["height"] / 2)) < label["height"]


def test_a_technician_filters_the_canned_answers_and_fills_the_reply(page: Page, registry: Registry, bureau) -> None:
    with transaction_scope(registry) as request:
        for title in ("Imprimante relancée", "VPN rétabli"):
            if request.db.scalars(sa.select(CannedAnswer).where(CannedAnswer.title == title)).first() is None:
                request.db.add(CannedAnswer(title=title, body=f"Bonjour, {title.lower()}."))
        agent = request.db.scalars(sa.select(Account).where(Account.login == AGENT[0])).one()
        data = TicketInput(title="Imprimante du 3e bloquée", description="Voyant orange.", category="Logiciels")
        ticket_id = request.find_service(ITickets).open(data, agent).id
    sign_in(page, *TECHNICIAN)
    page.goto(f"/intranet/assistance/tickets/{ticket_id}")
    page.get_by_text("Réponses types", exact=True).click()
    page.get_by_label("Filtrer par titre").fill("imprimante rel")
    choices = page.locator("#reponses-types a.canned-link")
    expect(choices).to_have_count(1)
    assert_accessible(page)
    choices.first.click()
    expect(page.get_by_label("Votre message")).to_have_value("Bonjour, imprimante relancée.")
    assert page.url.endswith(f"/intranet/assistance/tickets/{ticket_id}")  # htmx swapped the form, no reload
