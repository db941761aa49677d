"""The helpdesk administrator's category tree: adding, renaming, moving, routing, deactivating."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin_helpers import (
    ADMIN,
    audit_entries,
    categories_by_path,
    error_of,
    flashed,
    open_ticket,
    post,
    text_of,
)

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.kit import Invalid
from cagou_helpdesk import rules
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import Category, Ticket
from cagou_helpdesk.services import categories

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
