"""The helpdesk administrator's pages: categories, groups, priority matrix, service levels.

Each test checks what the database holds afterwards, what the page says, and
what the audit log recorded; bad input answers 400 with the message next to
its field and stores nothing.
"""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
import webtest

from cagou import configure
from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.kit import Invalid
from cagou.testing import csrf_token, login
from cagou_helpdesk import permissions, rules
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import NEW, Category, Group, Member, PriorityRule, ServiceLevel, Ticket
from cagou_helpdesk.services import categories

ADMIN = "/intranet/assistance/administration"
PASSWORD = "un-mot-de-passe-solide-2026"  # the fixture's (plugins/helpdesk/tests/conftest.py)
PAGES = [
    f"{ADMIN}/",
    f"{ADMIN}/categories/",
    f"{ADMIN}/categories/{{vpn}}",
    f"{ADMIN}/groupes/",
    f"{ADMIN}/groupes/{{bau}}",
    f"{ADMIN}/priorites",
    f"{ADMIN}/niveaux-de-service",
]


def page_url(template: str, helpdesk) -> str:
    return template.format(vpn=helpdesk.categories["vpn"], bau=helpdesk.groups["BAU"])


def post(app: webtest.TestApp, url: str, data: dict[str, str], status: int | str = 303) -> webtest.TestResponse:
    """Post ``data`` to ``url`` with the session's CSRF token, as the page's form would."""
    token = csrf_token(app.get("/intranet/"))
    return app.post(url, {"csrf_token": token, **data}, status=status)


def text_of(element) -> str:
    """The words of a piece of page, one space between them whatever the tags."""
    return " ".join(element.get_text(" ").split())


def flashed(page: webtest.TestResponse) -> list[str]:
    """The flash messages the page shows."""
    return [text_of(message) for message in page.html.find_all("p", class_="alert-ok")]


def categories_by_path(registry) -> dict[str, tuple[bool, int | None]]:
    """Every category: path -> (active, default group id)."""
    with transaction_scope(registry) as request:
        return {c.path: (c.active, c.default_group_id) for c in request.db.scalars(sa.select(Category))}


def audit_entries(registry, action: str) -> list[tuple[str, str | None, dict | None]]:
    with transaction_scope(registry) as request:
        rows = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(row.summary, row.object_id, row.changes) for row in rows]


def error_of(page: webtest.TestResponse, field: str) -> str:
    """The error message next to ``field``, checked to be tied to the field by aria-describedby."""
    message = page.html.find(id=f"erreur-{field}")
    assert message is not None, f"no error next to {field}"
    control = page.html.find(id=f"champ-{field}")
    assert control is not None
    assert f"erreur-{field}" in control["aria-describedby"].split()
    assert control["aria-invalid"] == "true"
    return message.text.strip()


def open_ticket(registry, category: str, urgency: str = "2", impact: str = "1", requester: str = "agent") -> int:
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(requester)
        data = TicketInput(title="Plus de réseau", description="Rien ne marche.", category=category)
        data.urgency, data.impact = urgency, impact
        return request.find_service(ITickets).open(data, account).id


# --- Access -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["agent", "tech1", "chef"])
@pytest.mark.parametrize("template", PAGES)
def test_only_the_helpdesk_administrator_opens_the_administration(app, sign_in, helpdesk, name, template):
    sign_in(name)
    app.get(page_url(template, helpdesk), status=403)


@pytest.mark.parametrize("template", PAGES)
def test_the_helpdesk_administrator_opens_every_page(app, sign_in, helpdesk, template):
    sign_in("hdadmin")
    page = app.get(page_url(template, helpdesk), status=200)
    assert page.html.find("nav", class_="console-tabs") is not None


def test_a_technician_cannot_post_to_the_administration(app, sign_in, helpdesk, registry):
    sign_in("tech1")
    token = csrf_token(app.get("/intranet/assistance/"))
    app.post(f"{ADMIN}/categories/", {"csrf_token": token, "name": "Imprimantes", "parent": ""}, status=403)
    app.post(f"{ADMIN}/groupes/", {"csrf_token": token, "code": "PIRATE", "name": "Pirates"}, status=403)
    assert "Imprimantes" not in categories_by_path(registry)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Group)) == 2


# --- Categories ---------------------------------------------------------------------------------------------------


def test_the_tree_is_nested_lists_in_alphabetical_order(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/categories/")
    tree = page.html.find("ul", class_="category-tree")
    roots = [item.find("a").text for item in tree.find_all("li", recursive=False)]
    assert roots == ["Comptes et accès", "Logiciels", "Matériel", "Réseau"]
    network = tree.find(id=f"categorie-{helpdesk.categories['vpn']}").find_parent("li")
    assert network.find("a").text == "Réseau"
    vpn = network.find("ul").find("li")
    assert vpn.find("a").text == "VPN"
    assert "tickets pour Bureau des infrastructures" in text_of(vpn)
    logiciels = tree.find(id=f"categorie-{helpdesk.categories['logiciels']}")
    assert "groupe par défaut (BAU)" in text_of(logiciels)


def test_adding_a_category_under_a_parent(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    network = helpdesk.categories["vpn"] - 1  # "Réseau", made just before "VPN"
    with transaction_scope(registry) as request:
        assert request.db.get_one(Category, network).path == "Réseau"
    page = post(
        app,
        f"{ADMIN}/categories/",
        {"name": "  Wi-Fi   des bureaux ", "parent": str(network), "group": str(helpdesk.groups["INFRA"])},
    ).follow()
    assert flashed(page) == ["Catégorie « Réseau > Wi-Fi des bureaux » ajoutée."]
    assert categories_by_path(registry)["Réseau > Wi-Fi des bureaux"] == (True, helpdesk.groups["INFRA"])
    with transaction_scope(registry) as request:
        found = rules.find_category(request, "réseau > wi-fi des bureaux")
        assert found is not None and found.parent_id == network
        assert rules.group_for(request, found).code == "INFRA"
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:category:create")
    assert summary == "Catégorie « Réseau > Wi-Fi des bureaux » ajoutée."
    assert object_id == str(found.id)
    assert changes == {"before": None, "after": {"path": "Réseau > Wi-Fi des bureaux", "group": "INFRA"}}


def test_a_category_at_the_root_without_group_goes_to_the_default_group(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(app, f"{ADMIN}/categories/", {"name": "Téléphonie", "parent": "", "group": ""})
    assert categories_by_path(registry)["Téléphonie"] == (True, None)
    ticket_id = open_ticket(registry, "Téléphonie")
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, ticket_id).group.code == "BAU"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Le nom est obligatoire."),
        ("   ", "Le nom est obligatoire."),
        ("x" * 101, "Le nom fait 100 caractères au plus (vous en avez saisi 101)."),
        ("Réseau > Wi-Fi", "Le nom ne peut pas contenir le signe « > », qui sépare les niveaux de l'arborescence."),
        ("vpn", "Une catégorie « VPN » existe déjà sous « Réseau » : choisissez un autre nom."),
        ("VPN", "Une catégorie « VPN » existe déjà sous « Réseau » : choisissez un autre nom."),
    ],
)
def test_a_bad_name_is_refused_next_to_the_field(app, sign_in, helpdesk, registry, name, message):
    sign_in("hdadmin")
    before = categories_by_path(registry)
    network = str(helpdesk.categories["vpn"] - 1)
    page = post(app, f"{ADMIN}/categories/", {"name": name, "parent": network, "group": ""}, status=400)
    assert error_of(page, "name") == message
    assert page.html.title.text.startswith("Erreur")
    assert page.html.find(id="champ-parent").find("option", selected=True)["value"] == network
    assert categories_by_path(registry) == before
    assert audit_entries(registry, "helpdesk:category:create") == []


def test_a_duplicate_at_the_root_is_refused_whatever_the_case_and_accents(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    page = post(app, f"{ADMIN}/categories/", {"name": "COMPTES ET ACCES", "parent": ""}, status=400)
    assert (
        error_of(page, "name")
        == "Une catégorie « Comptes et accès » existe déjà à la racine : choisissez un autre nom."
    )
    assert "COMPTES ET ACCES" not in categories_by_path(registry)


def test_the_same_name_under_two_parents_is_allowed(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(app, f"{ADMIN}/categories/", {"name": "Autre", "parent": str(helpdesk.categories["vpn"] - 1)})
    post(app, f"{ADMIN}/categories/", {"name": "Autre", "parent": str(helpdesk.categories["portable"] - 1)})
    paths = categories_by_path(registry)
    assert "Réseau > Autre" in paths and "Matériel > Autre" in paths


def test_an_unknown_parent_is_refused(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    page = post(app, f"{ADMIN}/categories/", {"name": "Orphelin", "parent": "9999"}, status=400)
    assert error_of(page, "parent") == "Choisissez la catégorie parente dans la liste."
    assert "Orphelin" not in categories_by_path(registry)


def test_renaming_a_category_renames_the_path_of_its_descendants(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    network = helpdesk.categories["vpn"] - 1
    post(app, f"{ADMIN}/categories/", {"name": "Client", "parent": str(helpdesk.categories["vpn"])})
    page = post(app, f"{ADMIN}/categories/{network}", {"name": "Réseaux et télécoms", "parent": "", "group": ""})
    assert flashed(page.follow()) == ["Catégorie « Réseaux et télécoms » : renommée « Réseaux et télécoms »."]
    paths = categories_by_path(registry)
    assert {path for path in paths if path.startswith("Rés")} == {
        "Réseaux et télécoms",
        "Réseaux et télécoms > VPN",
        "Réseaux et télécoms > VPN > Client",
    }
    with transaction_scope(registry) as request:
        assert rules.find_category(request, "Réseau > VPN") is None
        found = rules.find_category(request, "Réseaux et télécoms > VPN")
        assert found is not None and found.id == helpdesk.categories["vpn"]
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:category:rename")
    assert summary == "Catégorie « Réseau » renommée « Réseaux et télécoms »."
    assert object_id == str(network)
    assert changes == {
        "before": {"name": "Réseau", "path": "Réseau"},
        "after": {"name": "Réseaux et télécoms", "path": "Réseaux et télécoms"},
    }


def test_moving_a_category_rewrites_its_subtree_and_keeps_its_tickets(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    vpn = helpdesk.categories["vpn"]
    post(app, f"{ADMIN}/categories/", {"name": "Client", "parent": str(vpn)})
    ticket_id = open_ticket(registry, "Réseau > VPN")
    materiel = str(helpdesk.categories["portable"] - 1)
    post(app, f"{ADMIN}/categories/{vpn}", {"name": "VPN", "parent": materiel, "group": str(helpdesk.groups["INFRA"])})
    paths = categories_by_path(registry)
    assert "Matériel > VPN" in paths and "Matériel > VPN > Client" in paths
    assert "Réseau > VPN" not in paths and "Réseau" in paths
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, ticket_id).category.path == "Matériel > VPN"
    [(summary, _, changes)] = audit_entries(registry, "helpdesk:category:move")
    assert summary == "Catégorie « Réseau > VPN » déplacée sous « Matériel »."
    assert changes == {
        "before": {"parent": "Réseau", "path": "Réseau > VPN"},
        "after": {"parent": "Matériel", "path": "Matériel > VPN"},
    }
    assert audit_entries(registry, "helpdesk:category:rename") == []


def test_moving_to_the_root(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(app, f"{ADMIN}/categories/{helpdesk.categories['vpn']}", {"name": "VPN", "parent": "", "group": ""})
    assert categories_by_path(registry)["VPN"] == (True, None)
    [(summary, _, _)] = audit_entries(registry, "helpdesk:category:move")
    assert summary == "Catégorie « Réseau > VPN » déplacée à la racine."


@pytest.mark.parametrize("target", ["itself", "child", "grandchild"])
def test_a_category_cannot_move_under_its_own_branch(app, sign_in, helpdesk, registry, target):
    sign_in("hdadmin")
    network, vpn = helpdesk.categories["vpn"] - 1, helpdesk.categories["vpn"]
    post(app, f"{ADMIN}/categories/", {"name": "Client", "parent": str(vpn)})
    before = categories_by_path(registry)
    with transaction_scope(registry) as request:
        client = request.db.scalar(sa.select(Category.id).where(Category.path == "Réseau > VPN > Client"))
    parent = {"itself": network, "child": vpn, "grandchild": client}[target]
    page = post(app, f"{ADMIN}/categories/{network}", {"name": "Réseau", "parent": str(parent)}, status=400)
    path = {"itself": "Réseau", "child": "Réseau > VPN", "grandchild": "Réseau > VPN > Client"}[target]
    assert error_of(page, "parent") == (
        f"« Réseau » ne peut pas être rangée sous « {path} », qui est elle-même ou l'une de ses sous-catégories."
    )
    assert categories_by_path(registry) == before
    assert audit_entries(registry, "helpdesk:category:move") == []


def test_the_edit_page_does_not_offer_the_own_branch_as_parent(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/categories/{helpdesk.categories['vpn'] - 1}")
    offered = [option.text for option in page.html.find(id="champ-parent").find_all("option")]
    assert offered == [
        "Aucune : à la racine",
        "Comptes et accès",
        "Logiciels",
        "Matériel",
        "Matériel > Ordinateur portable",
    ]


def test_renaming_to_a_sibling_name_is_refused(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    before = categories_by_path(registry)
    page = post(
        app, f"{ADMIN}/categories/{helpdesk.categories['logiciels']}", {"name": "réseau", "parent": ""}, status=400
    )
    assert error_of(page, "name") == "Une catégorie « Réseau » existe déjà à la racine : choisissez un autre nom."
    assert page.html.find(id="champ-name")["value"] == "réseau"
    assert categories_by_path(registry) == before


def test_moving_next_to_a_namesake_is_refused(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(app, f"{ADMIN}/categories/", {"name": "VPN", "parent": ""})
    before = categories_by_path(registry)
    page = post(app, f"{ADMIN}/categories/{helpdesk.categories['vpn']}", {"name": "VPN", "parent": ""}, status=400)
    assert error_of(page, "name") == "Une catégorie « VPN » existe déjà à la racine : choisissez un autre nom."
    assert categories_by_path(registry) == before


def test_changing_the_case_of_a_name_is_a_rename(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(app, f"{ADMIN}/categories/{helpdesk.categories['logiciels']}", {"name": "LOGICIELS", "parent": ""})
    assert "LOGICIELS" in categories_by_path(registry)


def another_administrator_adds_meanwhile(monkeypatch, registry, path: str) -> None:
    """Just after this request checked the tree (and found no namesake), another administrator stores ``path``.

    The lost race, made certain: the competitor commits between the
    application's check and its INSERT or UPDATE, as a second administrator
    clicking at the same instant may.
    """
    check_path_lengths = categories.check_path_lengths

    def check_then_lose(*args, **kwargs):
        check_path_lengths(*args, **kwargs)
        parent_path, _, name = path.rpartition(" > ")
        with transaction_scope(registry) as request:
            parent = request.db.scalar(sa.select(Category).where(Category.path == parent_path)) if parent_path else None
            request.db.add(Category(name=name, path=path, parent=parent))

    monkeypatch.setattr(categories, "check_path_lengths", check_then_lose)


def test_a_category_added_meanwhile_by_another_administrator_is_refused_next_to_the_field(
    app, sign_in, helpdesk, registry, monkeypatch
):
    sign_in("hdadmin")
    another_administrator_adds_meanwhile(monkeypatch, registry, "IMPRIMANTES")
    before = categories_by_path(registry)
    page = post(app, f"{ADMIN}/categories/", {"name": "Imprimantes", "parent": "", "group": ""}, status=400)
    assert error_of(page, "name") == "Une catégorie « IMPRIMANTES » existe déjà à la racine : choisissez un autre nom."
    assert page.html.find(id="champ-name")["value"] == "Imprimantes"
    assert categories_by_path(registry) == before | {"IMPRIMANTES": (True, None)}
    assert audit_entries(registry, "helpdesk:category:create") == []


def test_a_rename_that_loses_the_race_changes_nothing(app, sign_in, helpdesk, registry, monkeypatch):
    sign_in("hdadmin")
    network = helpdesk.categories["vpn"] - 1
    another_administrator_adds_meanwhile(monkeypatch, registry, "Téléphonie")
    before = categories_by_path(registry)
    page = post(app, f"{ADMIN}/categories/{network}", {"name": "téléphonie", "parent": ""}, status=400)
    assert error_of(page, "name") == "Une catégorie « Téléphonie » existe déjà à la racine : choisissez un autre nom."
    assert page.html.find(id="champ-name")["value"] == "téléphonie"
    paths = categories_by_path(registry)
    assert paths == before | {"Téléphonie": (True, None)}
    assert {"Réseau", "Réseau > VPN"} <= paths.keys()
    assert audit_entries(registry, "helpdesk:category:rename") == []


def test_a_move_that_loses_the_race_changes_nothing(app, sign_in, helpdesk, registry, monkeypatch):
    sign_in("hdadmin")
    another_administrator_adds_meanwhile(monkeypatch, registry, "Matériel > vpn")
    before = categories_by_path(registry)
    materiel = str(helpdesk.categories["portable"] - 1)
    page = post(
        app, f"{ADMIN}/categories/{helpdesk.categories['vpn']}", {"name": "VPN", "parent": materiel}, status=400
    )
    assert error_of(page, "name") == "Une catégorie « vpn » existe déjà sous « Matériel » : choisissez un autre nom."
    assert categories_by_path(registry) == before | {"Matériel > vpn": (True, None)}
    assert audit_entries(registry, "helpdesk:category:move") == []


def test_a_refusal_of_the_database_that_is_no_lost_race_is_not_disguised(helpdesk, registry):
    """Only a namesake found on reading the tree again becomes the form's error; anything else stays an error."""
    refusal = sa.exc.IntegrityError("INSERT …", {}, Exception("FOREIGN KEY constraint failed"))
    with transaction_scope(registry) as request, pytest.raises(sa.exc.IntegrityError) as raised:
        categories.lost_race(request, refusal, "Imprimantes", "", None)
    assert raised.value is refusal


def test_the_default_group_of_a_category_routes_its_new_tickets(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    logiciels = helpdesk.categories["logiciels"]
    page = post(
        app,
        f"{ADMIN}/categories/{logiciels}",
        {"name": "Logiciels", "parent": "", "group": str(helpdesk.groups["INFRA"])},
    )
    assert flashed(page.follow()) == [
        "Catégorie « Logiciels » : tickets pour le groupe « Bureau des infrastructures »."
    ]
    assert categories_by_path(registry)["Logiciels"] == (True, helpdesk.groups["INFRA"])
    ticket_id = open_ticket(registry, "Logiciels")
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, ticket_id).group.code == "INFRA"
    [(summary, _, changes)] = audit_entries(registry, "helpdesk:category:group")
    assert summary == "Les tickets de « Logiciels » vont désormais au groupe « Bureau des infrastructures »."
    assert changes == {"before": {"group": None}, "after": {"group": "INFRA"}}


def test_a_subcategory_without_group_inherits_its_parents(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(app, f"{ADMIN}/categories/", {"name": "Client", "parent": str(helpdesk.categories["vpn"])})
    ticket_id = open_ticket(registry, "Réseau > VPN > Client")
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, ticket_id).group.code == "INFRA"
    page = app.get(f"{ADMIN}/categories/")
    assert "comme sa catégorie parente : Bureau des infrastructures" in text_of(page.html.find("main"))


def test_an_unknown_group_is_refused(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    page = post(
        app, f"{ADMIN}/categories/{helpdesk.categories['logiciels']}", {"name": "Logiciels", "group": "77"}, status=400
    )
    assert error_of(page, "group") == "Choisissez un groupe de la liste."
    assert categories_by_path(registry)["Logiciels"] == (True, None)


def test_saving_without_change_records_nothing(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    vpn = helpdesk.categories["vpn"]
    page = post(
        app,
        f"{ADMIN}/categories/{vpn}",
        {"name": "VPN", "parent": str(vpn - 1), "group": str(helpdesk.groups["INFRA"])},
    )
    assert flashed(page.follow()) == ["Aucune modification."]
    with transaction_scope(registry) as request:
        count = request.db.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.module == "helpdesk")
        )
    assert count == 0


def test_deactivating_a_category_deactivates_its_subtree_and_refuses_it_for_new_tickets(
    app, sign_in, helpdesk, registry
):
    sign_in("hdadmin")
    network, vpn = helpdesk.categories["vpn"] - 1, helpdesk.categories["vpn"]
    existing = open_ticket(registry, "Réseau > VPN")
    page = post(app, f"{ADMIN}/categories/{network}/etat", {"active": "0"}).follow()
    assert flashed(page) == [
        "Catégorie « Réseau » désactivée avec 1 sous-catégorie : les nouveaux tickets ne peuvent plus la choisir, "
        "les tickets existants la gardent."
    ]
    paths = categories_by_path(registry)
    assert paths["Réseau"][0] is False and paths["Réseau > VPN"][0] is False
    assert paths["Logiciels"][0] is True
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, existing).category_id == vpn
        agent = request.find_service(IAccounts).by_login("agent")
        with pytest.raises(Invalid) as refused:
            request.find_service(ITickets).open(
                TicketInput(title="VPN", description="En panne", category="Réseau > VPN"), agent
            )
        assert (
            refused.value.errors["category"]
            == "Catégorie inconnue : « Réseau > VPN ». Choisissez-en une dans la liste."
        )
    [(summary, _, changes)] = audit_entries(registry, "helpdesk:category:deactivate")
    assert summary == "Catégorie « Réseau » désactivée, avec ses sous-catégories : Réseau > VPN."
    assert changes == {"before": {"active": True}, "after": {"active": False, "subcategories": ["Réseau > VPN"]}}
    tree = app.get(f"{ADMIN}/categories/").html.find(id=f"categorie-{network}")
    assert "(désactivée)" in tree.find("span", class_="state-off").text


def test_reactivating_under_an_inactive_parent_is_refused(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    network, vpn = helpdesk.categories["vpn"] - 1, helpdesk.categories["vpn"]
    post(app, f"{ADMIN}/categories/{network}/etat", {"active": "0"})
    page = post(app, f"{ADMIN}/categories/{vpn}/etat", {"active": "1"}, status=409)
    assert (
        page.html.find(id="erreur-state").text
        == "La catégorie parente « Réseau » est désactivée : réactivez-la d'abord."
    )
    assert categories_by_path(registry)["Réseau > VPN"][0] is False
    post(app, f"{ADMIN}/categories/{network}/etat", {"active": "1"})
    paths = categories_by_path(registry)
    assert paths["Réseau"][0] is True and paths["Réseau > VPN"][0] is False
    post(app, f"{ADMIN}/categories/{vpn}/etat", {"active": "1"})
    assert categories_by_path(registry)["Réseau > VPN"][0] is True
    assert [entry[0] for entry in audit_entries(registry, "helpdesk:category:activate")] == [
        "Catégorie « Réseau » réactivée.",
        "Catégorie « Réseau > VPN » réactivée.",
    ]


def test_nothing_is_added_or_moved_under_an_inactive_category(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    network = helpdesk.categories["vpn"] - 1
    post(app, f"{ADMIN}/categories/{network}/etat", {"active": "0"})
    page = post(app, f"{ADMIN}/categories/", {"name": "Wi-Fi", "parent": str(network)}, status=400)
    assert error_of(page, "parent") == "La catégorie « Réseau » est désactivée : réactivez-la d'abord."
    page = post(
        app,
        f"{ADMIN}/categories/{helpdesk.categories['logiciels']}",
        {"name": "Logiciels", "parent": str(network)},
        status=400,
    )
    assert error_of(page, "parent") == "La catégorie « Réseau » est désactivée : réactivez-la d'abord."
    assert "Réseau > Wi-Fi" not in categories_by_path(registry) and "Réseau > Logiciels" not in categories_by_path(
        registry
    )


def test_an_unknown_category_is_404(app, sign_in, helpdesk):
    sign_in("hdadmin")
    app.get(f"{ADMIN}/categories/9999", status=404)


# --- Groups -------------------------------------------------------------------------------------------------------


def groups_in(registry) -> dict[str, tuple[str, str | None, list[str]]]:
    """code -> (name, manager login, member logins)."""
    with transaction_scope(registry) as request:
        return {
            group.code: (group.name, group.manager.login if group.manager else None, [m.login for m in group.members])
            for group in request.db.scalars(sa.select(Group))
        }


def test_the_groups_page_lists_each_group_with_its_manager_and_members(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    open_ticket(registry, "Logiciels")
    table = app.get(f"{ADMIN}/groupes/").html.find("table")
    assert table.find("caption").text == "Les groupes et leur file"
    rows = [[cell.text.strip() for cell in row.find_all(["th", "td"])] for row in table.find("tbody").find_all("tr")]
    assert rows == [
        ["Bureau de l'assistance aux utilisateurs (groupe par défaut)", "BAU", "Chloé Cheffe", "2", "1"],
        ["Bureau des infrastructures", "INFRA", "Aucun", "1", "0"],
    ]


def test_creating_a_group(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    page = post(app, f"{ADMIN}/groupes/", {"code": " tel ", "name": "Bureau de la téléphonie"})
    assert flashed(page.follow()) == ["Groupe « Bureau de la téléphonie » créé : ajoutez-lui des membres."]
    assert groups_in(registry)["TEL"] == ("Bureau de la téléphonie", None, [])
    [(summary, _, changes)] = audit_entries(registry, "helpdesk:group:create")
    assert summary == "Groupe de techniciens « Bureau de la téléphonie » (TEL) créé."
    assert changes == {"before": None, "after": {"code": "TEL", "name": "Bureau de la téléphonie"}}


@pytest.mark.parametrize(
    ("code", "name", "field", "message"),
    [
        ("", "Téléphonie", "code", "Le code est obligatoire."),
        ("bau", "Téléphonie", "code", "Un groupe a déjà le code « BAU »."),
        ("B A U", "Téléphonie", "code", "Le code fait 32 caractères au plus : des lettres sans accent, des chiffres, "
         "« - » ou « _ » (par exemple BAU)."),
        ("TÉL", "Téléphonie", "code", "Le code fait 32 caractères au plus : des lettres sans accent, des chiffres, "
         "« - » ou « _ » (par exemple BAU)."),
        ("TEL", "", "name", "Le nom est obligatoire."),
        ("TEL", "x" * 201, "name", "Le nom fait 200 caractères au plus (vous en avez saisi 201)."),
        ("TEL", "bureau des INFRASTRUCTURES", "name", "Le groupe « INFRA » porte déjà ce nom."),
    ],
)  # fmt: skip
def test_a_bad_group_is_refused_next_to_the_field(app, sign_in, helpdesk, registry, code, name, field, message):
    sign_in("hdadmin")
    page = post(app, f"{ADMIN}/groupes/", {"code": code, "name": name}, status=400)
    assert error_of(page, field) == message
    assert set(groups_in(registry)) == {"BAU", "INFRA"}
    assert audit_entries(registry, "helpdesk:group:create") == []


def test_renaming_a_group(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    infra = helpdesk.groups["INFRA"]
    post(app, f"{ADMIN}/groupes/{infra}", {"name": "Bureau des réseaux"})
    assert groups_in(registry)["INFRA"][0] == "Bureau des réseaux"
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:group:rename")
    assert (summary, object_id) == ("Groupe INFRA renommé « Bureau des réseaux ».", str(infra))
    assert changes == {"before": {"name": "Bureau des infrastructures"}, "after": {"name": "Bureau des réseaux"}}
    page = post(app, f"{ADMIN}/groupes/{infra}", {"name": "  "}, status=400)
    assert error_of(page, "name") == "Le nom est obligatoire."
    assert groups_in(registry)["INFRA"][0] == "Bureau des réseaux"


def test_setting_and_removing_the_manager(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    infra = helpdesk.groups["INFRA"]
    page = post(app, f"{ADMIN}/groupes/{infra}/responsable", {"manager": " CHEF "}).follow()
    assert flashed(page) == ["Chloé Cheffe est responsable du groupe « Bureau des infrastructures »."]
    assert groups_in(registry)["INFRA"][1] == "chef"
    with transaction_scope(registry) as request:
        chef = request.find_service(IAccounts).by_login("chef")
        assert {group.code for group in permissions.groups_of(request, chef)} == {"BAU", "INFRA"}
    post(app, f"{ADMIN}/groupes/{infra}/responsable", {"manager": ""})
    assert groups_in(registry)["INFRA"][1] is None
    assert [entry[2] for entry in audit_entries(registry, "helpdesk:group:manager")] == [
        {"before": {"manager": None}, "after": {"manager": "chef"}},
        {"before": {"manager": "chef"}, "after": {"manager": None}},
    ]


@pytest.mark.parametrize(
    ("login", "message"),
    [
        ("personne", "Aucun compte n'a l'identifiant « personne »."),
        ("tech1", "Théo Technicien (tech1) n'a pas le rôle de responsable d'un groupe de techniciens : "
         "accordez-le d'abord depuis la console informatique (Comptes)."),
        ("agent", "Paul Agent (agent) n'a pas le rôle de responsable d'un groupe de techniciens : "
         "accordez-le d'abord depuis la console informatique (Comptes)."),
    ],
)  # fmt: skip
def test_a_manager_needs_the_manager_role(app, sign_in, helpdesk, registry, login, message):
    sign_in("hdadmin")
    page = post(app, f"{ADMIN}/groupes/{helpdesk.groups['INFRA']}/responsable", {"manager": login}, status=400)
    assert error_of(page, "manager") == message
    assert page.html.find(id="champ-manager")["value"] == login
    assert groups_in(registry)["INFRA"][1] is None


def test_adding_a_member_by_login(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    infra = helpdesk.groups["INFRA"]
    page = post(app, f"{ADMIN}/groupes/{infra}/membres", {"member": "tech1"}).follow()
    assert flashed(page) == ["Théo Technicien est membre du groupe « Bureau des infrastructures »."]
    assert groups_in(registry)["INFRA"][2] == ["reseau", "tech1"]  # ordered by display name: Rémi, Théo
    members = page.html.find(id="membres-titre").find_parent("section").find("table")
    assert [row.find("th").text for row in members.find("tbody").find_all("tr")] == ["Rémi Réseau", "Théo Technicien"]
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:group:member_add")
    assert (summary, object_id) == ("Théo Technicien rejoint le groupe « Bureau des infrastructures ».", str(infra))
    assert changes == {"before": None, "after": {"member": "tech1"}}


def test_a_manager_may_be_a_member(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(app, f"{ADMIN}/groupes/{helpdesk.groups['INFRA']}/membres", {"member": "chef"})
    assert groups_in(registry)["INFRA"][2] == ["chef", "reseau"]


@pytest.mark.parametrize(
    ("login", "message"),
    [
        ("", "Indiquez l'identifiant de connexion de la personne."),
        ("inconnu", "Aucun compte n'a l'identifiant « inconnu »."),
        ("agent", "Paul Agent (agent) n'a pas le rôle de technicien ni de responsable : "
         "accordez-le d'abord depuis la console informatique (Comptes)."),
        ("hdadmin", "Hugo Administrateur (hdadmin) n'a pas le rôle de technicien ni de responsable : "
         "accordez-le d'abord depuis la console informatique (Comptes)."),
        ("reseau", "Rémi Réseau est déjà membre du groupe « Bureau des infrastructures »."),
    ],
)  # fmt: skip
def test_a_bad_member_is_refused_next_to_the_field(app, sign_in, helpdesk, registry, login, message):
    sign_in("hdadmin")
    page = post(app, f"{ADMIN}/groupes/{helpdesk.groups['INFRA']}/membres", {"member": login}, status=400)
    assert error_of(page, "member") == message
    assert groups_in(registry)["INFRA"][2] == ["reseau"]


def test_a_deactivated_technician_cannot_join(app, sign_in, helpdesk, registry):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.deactivate(accounts.by_login("tech2"))
    sign_in("hdadmin")
    page = post(app, f"{ADMIN}/groupes/{helpdesk.groups['INFRA']}/membres", {"member": "tech2"}, status=400)
    assert error_of(page, "member") == "Le compte « tech2 » (Inès Technicienne) est désactivé."
    assert groups_in(registry)["INFRA"][2] == ["reseau"]


def test_the_member_field_suggests_technicians_not_yet_members(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/groupes/{helpdesk.groups['INFRA']}")
    offered = [option["value"] for option in page.html.find(id="liste-member").find_all("option")]
    assert offered == ["chef", "tech2", "tech1"]  # Chloé, Inès, Théo; not reseau (a member), not agent nor hdadmin


def test_removing_a_member_gives_their_open_tickets_back_to_the_queue(app, sign_in, helpdesk, registry):
    ticket_id = open_ticket(registry, "Logiciels")
    other = open_ticket(registry, "Réseau > VPN")
    with transaction_scope(registry) as request:
        tech1 = request.find_service(IAccounts).by_login("tech1")
        request.find_service(ITickets).take(request.db.get_one(Ticket, ticket_id), tech1)
        request.db.add(Member(group_id=helpdesk.groups["INFRA"], account_id=tech1.id))
        request.db.flush()
        request.find_service(ITickets).take(request.db.get_one(Ticket, other), tech1)
    sign_in("hdadmin")
    bau, tech1_id = helpdesk.groups["BAU"], helpdesk.accounts["tech1"]
    page = post(app, f"{ADMIN}/groupes/{bau}/membres/{tech1_id}/retirer", {}).follow()
    assert flashed(page) == [
        "Théo Technicien ne fait plus partie du groupe « Bureau de l'assistance aux utilisateurs ». "
        "Le ticket ouvert qui lui était attribué retourne dans la file du groupe."
    ]
    assert groups_in(registry)["BAU"][2] == ["tech2"]
    with transaction_scope(registry) as request:
        returned = request.db.get_one(Ticket, ticket_id)
        assert (returned.assignee_id, returned.status, returned.group.code) == (None, NEW, "BAU")
        kept = request.db.get_one(Ticket, other)  # in INFRA, where tech1 still works
        assert kept.assignee_id == tech1_id
    [(summary, _, changes)] = audit_entries(registry, "helpdesk:group:member_remove")
    assert summary == "Théo Technicien quitte le groupe « Bureau de l'assistance aux utilisateurs »."
    assert changes == {"before": {"member": "tech1"}, "after": None}
    [(summary, object_id, _)] = audit_entries(registry, "helpdesk:ticket:release")
    assert object_id == str(ticket_id)
    assert summary.endswith("Théo Technicien a quitté le groupe.")


def test_removing_someone_who_is_not_a_member_is_404(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    post(
        app, f"{ADMIN}/groupes/{helpdesk.groups['INFRA']}/membres/{helpdesk.accounts['tech1']}/retirer", {}, status=404
    )
    post(app, f"{ADMIN}/groupes/{helpdesk.groups['INFRA']}/membres/9999/retirer", {}, status=404)
    assert groups_in(registry)["INFRA"][2] == ["reseau"]


def test_an_unknown_group_is_404(app, sign_in, helpdesk):
    sign_in("hdadmin")
    app.get(f"{ADMIN}/groupes/9999", status=404)


# --- Priority matrix ----------------------------------------------------------------------------------------------


def matrix_form(page: webtest.TestResponse, **changes: str) -> dict[str, str]:
    values = {}
    for select in page.html.find("table", class_="priority-matrix").find_all("select"):
        values[select["name"]] = select.find("option", selected=True)["value"]
    values.update({name.replace("_", "-"): value for name, value in changes.items()})
    return values


def test_the_matrix_shows_the_default_priorities(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/priorites")
    table = page.html.find("table", class_="priority-matrix")
    assert table.find("caption").text == "Priorité pour chaque urgence (en ligne) et chaque impact (en colonne)"
    assert matrix_form(page) == {f"cell-{u}-{i}": str(p) for (u, i), p in rules.DEFAULT_MATRIX.items()}
    label = page.html.find("label", attrs={"for": "champ-cell-3-2"})
    assert label.text == "Urgence : Haute, impact : Un service"


def test_saving_the_matrix_sets_the_priority_of_new_tickets(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    before = open_ticket(registry, "Logiciels", urgency="2", impact="1")
    page = app.get(f"{ADMIN}/priorites")
    response = app.post(f"{ADMIN}/priorites", {"csrf_token": csrf_token(page), **matrix_form(page, cell_2_1="2")})
    assert flashed(response.follow()) == [
        "Matrice des priorités enregistrée (1 case modifiée) : elle s'applique aux nouveaux tickets."
    ]
    with transaction_scope(registry) as request:
        stored = {(r.urgency, r.impact): r.priority for r in request.db.scalars(sa.select(PriorityRule))}
        assert stored == {**rules.DEFAULT_MATRIX, (2, 1): 2}
        assert rules.priority_matrix(request)[(2, 1)] == 2
    after = open_ticket(registry, "Logiciels", urgency="2", impact="1")
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, before).priority == 3
        assert request.db.get_one(Ticket, after).priority == 2
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:priority_matrix:update")
    assert summary == "Matrice des priorités modifiée (urgence normale × une personne : P3 → P2)."
    assert object_id is None
    assert changes == {"before": {"2-1": 3}, "after": {"2-1": 2}}
    assert matrix_form(app.get(f"{ADMIN}/priorites"))["cell-2-1"] == "2"


@pytest.mark.parametrize("value", ["0", "5", "", "P1", "-1"])
def test_a_bad_cell_is_refused_next_to_it(app, sign_in, helpdesk, registry, value):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/priorites")
    form = matrix_form(page, cell_1_1="1", cell_3_3=value)
    response = app.post(f"{ADMIN}/priorites", {"csrf_token": csrf_token(page), **form}, status=400)
    assert error_of(response, "cell-3-3") == (
        "Urgence « haute », impact « toute une direction ou plus » : choisissez une priorité de la liste."
    )
    assert response.html.find(id="champ-cell-1-1").find("option", selected=True)["value"] == "1"
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(PriorityRule)) == 0
    assert audit_entries(registry, "helpdesk:priority_matrix:update") == []


def test_saving_an_unchanged_matrix_stores_nothing(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/priorites")
    response = app.post(f"{ADMIN}/priorites", {"csrf_token": csrf_token(page), **matrix_form(page)})
    assert flashed(response.follow()) == ["Aucune modification."]
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(PriorityRule)) == 0


# --- Service levels -----------------------------------------------------------------------------------------------


def save_levels(app, status: int = 303, **values: str) -> webtest.TestResponse:
    page = app.get(f"{ADMIN}/niveaux-de-service")
    form = {field["name"]: field["value"] for field in page.html.find_all("input", type="number")}
    form.update(values)
    return app.post(f"{ADMIN}/niveaux-de-service", {"csrf_token": csrf_token(page), **form}, status=status)


def test_the_service_levels_page_shows_the_levels_and_the_working_hours_in_force(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/niveaux-de-service")
    facts = text_of(page.html.find(id="horaires-titre").find_parent("section"))
    assert "Horaires de 07:30 à 11:30, de 12:30 à 16:30 (Pacific/Noumea)" in facts
    assert "Jours du lundi au vendredi, sauf les jours fériés de Nouvelle-Calédonie" in facts
    assert "Une journée ouvrée 8 h" in facts
    assert (
        "Ces horaires viennent des réglages de la plateforme, helpdesk.working_hours et helpdesk.working_days" in facts
    )
    assert page.html.find(id="champ-first_response-1-hours")["value"] == "0"
    assert page.html.find(id="champ-first_response-1-minutes")["value"] == "30"
    assert page.html.find(id="champ-resolution-4-hours")["value"] == "40"
    label = page.html.find("label", attrs={"for": "champ-resolution-4-hours"})
    assert " ".join(label.text.split()) == "Heures (Résolution, P4 — basse)"


def test_the_working_hours_shown_are_those_of_the_settings(settings, helpdesk):
    custom = {**settings, "helpdesk.working_hours": "08:00-12:00 13:00-15:30", "helpdesk.working_days": "1-4,6"}
    browser = webtest.TestApp(configure(custom).make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    login(browser, "hdadmin", PASSWORD)
    page = browser.get(f"{ADMIN}/niveaux-de-service")
    facts = text_of(page.html.find(id="horaires-titre").find_parent("section"))
    assert "Horaires de 08:00 à 12:00, de 13:00 à 15:30 (Pacific/Noumea)" in facts
    assert "Jours du lundi au jeudi, samedi, sauf les jours fériés" in facts
    assert "Une journée ouvrée 6 h 30" in facts


def test_saving_a_service_level_applies_to_new_tickets(app, sign_in, helpdesk, registry, clock):
    sign_in("hdadmin")
    page = save_levels(app, **{"first_response-1-hours": "0", "first_response-1-minutes": "45",
                               "resolution-1-hours": "6", "resolution-1-minutes": "15"})  # fmt: skip
    assert flashed(page.follow()) == [
        "Niveaux de service enregistrés (P1 — critique) : ils s'appliquent aux tickets ouverts désormais."
    ]
    with transaction_scope(registry) as request:
        stored = [
            (s.priority, s.first_response_minutes, s.resolution_minutes)
            for s in request.db.scalars(sa.select(ServiceLevel))
        ]
        assert stored == [(1, 45, 375)]
        assert rules.service_levels(request) == {**rules.DEFAULT_SERVICE_LEVELS, 1: (45, 375)}
    ticket_id = open_ticket(registry, "Logiciels", urgency="3", impact="3")
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, ticket_id)
        calendar = helpdesk_settings.get(registry).calendar
        assert ticket.priority == 1
        assert ticket.first_response_due == calendar.add(ticket.created_at, datetime.timedelta(minutes=45))
        assert ticket.resolution_due == calendar.add(ticket.created_at, datetime.timedelta(minutes=375))
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:service_level:update")
    assert (
        summary
        == "Niveau de service P1 — critique : première réponse en 45 min, résolution en 6 h 15 (heures ouvrées)."
    )
    assert object_id == "1"
    assert changes == {
        "before": {"first_response_minutes": 30, "resolution_minutes": 240},
        "after": {"first_response_minutes": 45, "resolution_minutes": 375},
    }


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"resolution-2-hours": "0", "resolution-2-minutes": "30"}, "resolution-2",
         "Résolution en P2 — haute : le délai de résolution ne peut pas être plus court que celui de la première "
         "réponse (1 h)."),
        ({"first_response-3-hours": "0", "first_response-3-minutes": "0"}, "first_response-3",
         "Première réponse en P3 — normale : le délai doit être positif (au moins une minute ouvrée)."),
        ({"first_response-3-hours": "", "first_response-3-minutes": ""}, "first_response-3",
         "Première réponse en P3 — normale : le délai doit être positif (au moins une minute ouvrée)."),
        ({"first_response-2-minutes": "60"}, "first_response-2",
         "Première réponse en P2 — haute : les minutes vont de 0 à 59."),
        ({"resolution-4-hours": "-3"}, "resolution-4",
         "Résolution en P4 — basse : écrivez un nombre entier d'heures et de minutes."),
        ({"resolution-4-hours": "2,5"}, "resolution-4",
         "Résolution en P4 — basse : écrivez un nombre entier d'heures et de minutes."),
        ({"resolution-4-hours": "1001"}, "resolution-4", "Résolution en P4 — basse : 1000 heures ouvrées au plus."),
    ],
)  # fmt: skip
def test_a_bad_service_level_is_refused_next_to_its_fields(app, sign_in, helpdesk, registry, values, field, message):
    sign_in("hdadmin")
    page = save_levels(app, status=400, **{"first_response-1-minutes": "20", **values})
    error = page.html.find(id=f"erreur-{field}")
    assert error.text == message
    for part in ("hours", "minutes"):
        control = page.html.find(id=f"champ-{field}-{part}")
        assert control["aria-invalid"] == "true" and control["aria-describedby"] == f"erreur-{field}"
    assert page.html.find(id="champ-first_response-1-minutes")["value"] == "20"  # what was typed stays
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(ServiceLevel)) == 0
    assert audit_entries(registry, "helpdesk:service_level:update") == []


def test_the_overview_sums_up_the_configuration(app, sign_in, helpdesk, registry):
    with transaction_scope(registry) as request:
        request.db.add(PriorityRule(urgency=1, impact=1, priority=3))
        request.db.add(ServiceLevel(priority=2, first_response_minutes=90, resolution_minutes=600))
        request.db.get_one(Category, helpdesk.categories["logiciels"]).active = False
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/")
    text = text_of(page.html.find("main"))
    assert "Catégories : 6, dont désactivées : 1." in text
    assert "Cases qui diffèrent des valeurs d'origine : 1 sur 9." in text
    assert "P2 — haute 1 h 30 10 h" in text
    assert "Bureau de l'assistance aux utilisateurs (BAU, groupe par défaut)" in text


def test_the_pages_speak_english_too(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/niveaux-de-service?_LOCALE_=en")
    assert page.html.find("h1").text == "Service levels"
    assert "Monday to Friday, except New Caledonia's public holidays" in text_of(page.html.find("main"))
