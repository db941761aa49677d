"""Step definitions of features/helpdesk/base_de_connaissances.feature (French Gherkin).

People work through the pages' own forms, read from the page, filled in and
submitted as a browser would.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest
from feature_helpers import Browser, form_with_action, step
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou_helpdesk.models import Article

scenarios("helpdesk/base_de_connaissances.feature")

ARTICLES = "/intranet/assistance/articles"
CANNED = "/intranet/assistance/reponses-types"


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app)


def article_id(registry, title: str) -> int:
    with transaction_scope(registry) as request:
        found = request.db.scalar(sa.select(Article.id).where(Article.title == title))
    assert found is not None, f"no article {title}"
    return int(found)


def listed_titles(page: webtest.TestResponse) -> list[str]:
    return [link.text for list_ in page.html.find_all("ul", class_="article-list") for link in list_.find_all("a")]


def write_article(browser: Browser, title: str, body: str) -> None:
    url = f"{ARTICLES}/nouveau"
    form = form_with_action(browser.app.get(url), url)
    form["title"], form["body"] = title, body
    browser.submit(form)


# --- Given ----------------------------------------------------------------------------------------------------------


@given("le bureau d'assistance avec ses techniciens et ses catégories")
def bureau(helpdesk):
    return helpdesk


@given(step('je suis connecté comme "…"', "name"))
@when(step('je me connecte comme "…"', "name"))
def signed_in(browser, sign_in, name):
    browser.page = sign_in(name)


# --- When -----------------------------------------------------------------------------------------------------------


@when(step('je cherche "…" dans la base de connaissances', "words"))
def search(browser, words):
    form = form_with_action(browser.app.get(f"{ARTICLES}/"), f"{ARTICLES}/")
    form["q"] = words
    browser.page = form.submit()


@when(step('je rédige l\'article "…" avec le texte "…"', "title", "body"))
def write(browser, title, body):
    write_article(browser, title, body)


@when(parsers.parse("je rédige un article dont le titre fait {length:d} caractères"))
def write_long(browser, length):
    write_article(browser, "T" * length, "Un texte.")


@when(step('je publie l\'article "…"', "title"))
def publish(browser, registry, title):
    identifier = article_id(registry, title)
    page = browser.app.get(f"{ARTICLES}/{identifier}")
    browser.submit(form_with_action(page, f"{ARTICLES}/{identifier}/publication"))


@when(step('je crée la réponse type "…" avec le texte "…"', "title", "body"))
def create_canned(browser, title, body):
    form = form_with_action(browser.app.get(f"{CANNED}/"), f"{CANNED}/")
    form["title"], form["body"] = title, body
    browser.submit(form)


@when("j'ouvre la page des réponses types")
def open_canned(browser):
    browser.page = browser.app.get(f"{CANNED}/", expect_errors=True)


# --- Then -----------------------------------------------------------------------------------------------------------


@then(parsers.parse("la page répond {status:d}"))
def answers(browser, status):
    assert browser.current.status_int == status


@then(step('le champ "…" signale "…"', "field", "message"))
def field_error(browser, field, message):
    page = browser.current
    assert page.html.find(id=f"erreur-{field}").text.strip() == message
    control = page.html.find(id=f"champ-{field}")
    assert f"erreur-{field}" in control["aria-describedby"].split() and control["aria-invalid"] == "true"


@then(step('je vois l\'article "…"', "title"))
def sees(browser, title):
    assert title in listed_titles(browser.current)


@then(step('je ne vois pas l\'article "…"', "title"))
def does_not_see(browser, title):
    assert title not in listed_titles(browser.current)


@then(step('la page du brouillon "…" répond 404', "title"))
def draft_is_404(browser, registry, title):
    browser.app.get(f"{ARTICLES}/{article_id(registry, title)}", status=404)


@then(step('l\'article "…" est un brouillon', "title"))
def is_draft(browser, registry, title):
    with transaction_scope(registry) as request:
        assert request.db.get_one(Article, article_id(registry, title)).published is False
    assert browser.current.html.find("span", class_="draft-badge") is not None


@then(step('la page de l\'article "…" affiche "…" tel quel', "title", "text"))
def shows_as_text(browser, registry, title, text):
    page = browser.app.get(f"{ARTICLES}/{article_id(registry, title)}")
    body = page.html.find("div", class_="kb-body")
    assert body.get_text().strip() == text
    assert [tag.name for tag in body.find_all(True)] == ["p"]


@then(parsers.parse("la base de connaissances compte {count:d} articles"))
def counts(registry, count):
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Article)) == count


@then(step('le journal d\'audit contient "…"', "summary"))
def audited(registry, summary):
    with transaction_scope(registry) as request:
        found = request.db.scalar(sa.select(AuditEntry.action).where(AuditEntry.summary == summary))
    assert found is not None and found.startswith("helpdesk:")


@then(parsers.re(r'les réponses types proposées pour le ticket (?P<ticket>\d+) sont "(?P<titles>[^"]+)"$'))
def offered(browser, ticket, titles):
    fragment = browser.app.get(f"{CANNED}/choix", {"ticket": ticket}, headers={"HX-Request": "true"})
    browser.page = fragment
    assert ", ".join(link.text for link in fragment.html.find_all("a", class_="canned-link")) == titles


@then(parsers.re(r'le choix "(?P<title>[^"]+)" mène au ticket (?P<ticket>\d+) avec sa réponse préremplie$'))
def leads_to_ticket(browser, title, ticket):
    link = next(a for a in browser.current.html.find_all("a", class_="canned-link") if a.text == title)
    path, _, query = link["href"].partition("?")
    assert path == f"/intranet/assistance/tickets/{ticket}"
    assert query.startswith("reponse_type=") and query.endswith("#reponse")
    assert link["hx-select"] == link["hx-target"] == "#reponse"
