"""Step definitions of features/helpdesk/administration.feature (French Gherkin).

The administrator works through the pages' own forms (read from the page,
filled in and submitted as a browser would); agents open their requests
through the helpdesk's services.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from feature_helpers import Browser, form_with_action, step
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.kit import Invalid
from cagou_helpdesk import rules
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import IMPACTS, PRIORITIES, URGENCIES, Category, Group, Ticket

scenarios("helpdesk/administration.feature")

ADMIN = "/intranet/assistance/administration"


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app)


def category_id(registry, path: str) -> int:
    with transaction_scope(registry) as request:
        found = request.db.scalar(sa.select(Category.id).where(Category.path == path))
    assert found is not None, f"no category {path}"
    return int(found)


def group_id(registry, code: str) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(Group.id).where(Group.code == code)))


def by_label(choices: dict[int, str], label: str) -> int:
    return next(key for key, value in choices.items() if value == label)


def open_request(registry, login_name: str, path: str, urgency: int = 2, impact: int = 1) -> int:
    with transaction_scope(registry) as request:
        requester = request.find_service(IAccounts).by_login(login_name)
        data = TicketInput(title="Besoin d'aide", description="Ça ne marche plus.", category=path)
        data.urgency, data.impact = str(urgency), str(impact)
        return request.find_service(ITickets).open(data, requester).id


# --- Given ----------------------------------------------------------------------------------------------------------


@given("le bureau d'assistance avec ses techniciens et ses catégories")
def bureau(helpdesk):
    return helpdesk


@given(step('je suis connecté comme "…"', "name"))
def signed_in(browser, sign_in, name):
    browser.page = sign_in(name)


@given(step('"…" a ouvert une demande dans la catégorie "…"', "login_name", "path"))
def request_opened(browser, registry, login_name, path):
    browser.ticket_id = open_request(registry, login_name, path)


# --- When -----------------------------------------------------------------------------------------------------------


@when(step('je renomme la catégorie "…" en "…"', "path", "name"))
def rename_category(browser, registry, path, name):
    url = f"{ADMIN}/categories/{category_id(registry, path)}"
    form = form_with_action(browser.app.get(url), url)
    form["name"] = name
    browser.submit(form)


@when(step('je range la catégorie "…" sous "…"', "path", "parent"))
def move_category(browser, registry, path, parent):
    url = f"{ADMIN}/categories/{category_id(registry, path)}"
    page = browser.app.get(url)
    form = form_with_action(page, url)
    wanted = str(category_id(registry, parent))
    offered = [value for value, _, _ in form["parent"].options]
    if wanted not in offered:  # the page does not offer its own branch: post it anyway, as a crafted form would
        form["parent"].force_value(wanted)
    else:
        form["parent"] = wanted
    browser.submit(form)


def add_category(browser, registry, name: str, parent: str, code: str = "") -> None:
    url = f"{ADMIN}/categories/"
    form = form_with_action(browser.app.get(url), url)
    form["name"] = name
    form["parent"] = str(category_id(registry, parent))
    form["group"] = str(group_id(registry, code)) if code else ""
    browser.submit(form)


@when(step('j\'ajoute la catégorie "…" sous "…"', "name", "parent"))
def add_category_under(browser, registry, name, parent):
    add_category(browser, registry, name, parent)


@when(step('j\'ajoute la catégorie "…" sous "…" pour le groupe "…"', "name", "parent", "code"))
def add_category_for_group(browser, registry, name, parent, code):
    add_category(browser, registry, name, parent, code)


@when(step('"…" ouvre une demande dans la catégorie "…"', "login_name", "path"))
def open_in_category(browser, registry, login_name, path):
    browser.ticket_id = open_request(registry, login_name, path)


@when(
    step(
        '"…" ouvre une demande d\'urgence "…" pour "…" dans la catégorie "…"', "login_name", "urgency", "impact", "path"
    )
)
def open_with_urgency(browser, registry, login_name, urgency, impact, path):
    browser.ticket_id = open_request(
        registry, login_name, path, by_label(URGENCIES, urgency), by_label(IMPACTS, impact)
    )


@when(step('je désactive la catégorie "…"', "path"))
def deactivate(browser, registry, path):
    identifier = category_id(registry, path)
    page = browser.app.get(f"{ADMIN}/categories/{identifier}")
    browser.submit(form_with_action(page, f"{ADMIN}/categories/{identifier}/etat"))


@when(step('j\'ajoute "…" au groupe "…"', "login_name", "code"))
def add_member(browser, registry, login_name, code):
    url = f"{ADMIN}/groupes/{group_id(registry, code)}"
    form = form_with_action(browser.app.get(url), f"{url}/membres")
    form["member"] = login_name
    browser.submit(form)


@when(step('je mets la priorité "…" pour l\'urgence "…" et l\'impact "…"', "priority", "urgency", "impact"))
def set_priority(browser, priority, urgency, impact):
    url = f"{ADMIN}/priorites"
    form = form_with_action(browser.app.get(url), url)
    form[f"cell-{by_label(URGENCIES, urgency)}-{by_label(IMPACTS, impact)}"] = str(by_label(PRIORITIES, priority))
    browser.submit(form)


@when(
    parsers.re(
        r'je règle pour "(?P<priority>[^"]+)" une première réponse en (?P<fh>\d+) h (?P<fm>\d+) '
        r"et une résolution en (?P<rh>\d+) h (?P<rm>\d+)$"
    )
)
def set_levels(browser, priority, fh, fm, rh, rm):
    url = f"{ADMIN}/niveaux-de-service"
    form = form_with_action(browser.app.get(url), url)
    level = by_label(PRIORITIES, priority)
    form[f"first_response-{level}-hours"], form[f"first_response-{level}-minutes"] = fh, fm
    form[f"resolution-{level}-hours"], form[f"resolution-{level}-minutes"] = rh, rm
    browser.submit(form)


@when("j'ouvre l'administration de l'assistance")
def open_admin(browser):
    browser.page = browser.app.get(f"{ADMIN}/", expect_errors=True)


# --- Then -----------------------------------------------------------------------------------------------------------


@then(parsers.parse("la page répond {status:d}"))
def answers(browser, status):
    assert browser.current.status_int == status


@then(step('le champ "…" signale "…"', "field", "message"))
def field_error(browser, field, message):
    page = browser.current
    error = page.html.find(id=f"erreur-{field}")
    assert error is not None and error.text.strip() == message
    tied = page.html.find_all(attrs={"aria-describedby": True, "aria-invalid": "true"})
    assert any(f"erreur-{field}" in element["aria-describedby"].split() for element in tied)


@then(step('l\'arborescence montre "…" sous "…"', "child", "parent"))
def tree_shows(browser, child, parent):
    tree = browser.app.get(f"{ADMIN}/categories/").html.find("ul", class_="category-tree")
    item = next(li for li in tree.find_all("li") if li.find("a").text == parent)
    assert [a.text for a in item.find("ul").find_all("a")] == [child]


@then(step('la catégorie "…" existe', "path"))
def exists(registry, path):
    category_id(registry, path)


@then(step('la catégorie "…" n\'existe plus', "path"))
def does_not_exist(registry, path):
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Category.id).where(Category.path == path)) is None


@then(step('la catégorie "…" est désactivée', "path"))
def is_inactive(registry, path):
    with transaction_scope(registry) as request:
        assert request.db.get_one(Category, category_id(registry, path)).active is False


@then(step('"…" ne peut plus ouvrir de demande dans la catégorie "…"', "login_name", "path"))
def refused_category(registry, login_name, path):
    with pytest.raises(Invalid) as refused:
        open_request(registry, login_name, path)
    assert refused.value.errors["category"] == f"Catégorie inconnue : « {path} ». Choisissez-en une dans la liste."


@then(step('cette demande garde la catégorie "…"', "path"))
def keeps_category(browser, registry, path):
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, browser.ticket_id).category.path == path


@then(step('cette demande est dans la file du groupe "…"', "code"))
def in_queue(browser, registry, code):
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, browser.ticket_id).group.code == code


@then(step('cette demande a la priorité "…"', "label"))
def has_priority(browser, registry, label):
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, browser.ticket_id).priority_label == label


@then(step('les membres du groupe "…" sont "…"', "code", "names"))
def members_are(browser, registry, code, names):
    page = browser.app.get(f"{ADMIN}/groupes/{group_id(registry, code)}")
    table = page.html.find(id="membres-titre").find_parent("section").find("table")
    assert ", ".join(row.find("th").text for row in table.find("tbody").find_all("tr")) == names


@then(step('le journal d\'audit contient "…"', "summary"))
def audited(registry, summary):
    with transaction_scope(registry) as request:
        found = request.db.scalar(sa.select(AuditEntry.action).where(AuditEntry.summary == summary))
    assert found is not None and found.startswith("helpdesk:")


@then(parsers.re(r'les délais de "(?P<priority>[^"]+)" sont de (?P<first>\d+) et (?P<resolution>\d+) minutes ouvrées$'))
def levels_are(registry, priority, first, resolution):
    with transaction_scope(registry) as request:
        assert rules.service_levels(request)[by_label(PRIORITIES, priority)] == (int(first), int(resolution))


@then(step('la page montre les heures ouvrées "…"', "hours"))
def shows_hours(browser, hours):
    section = browser.current.html.find(id="horaires-titre").find_parent("section")
    assert hours in " ".join(section.get_text(" ").split())
