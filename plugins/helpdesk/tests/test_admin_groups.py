"""The helpdesk administrator's groups: creating, renaming, their manager and members."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin_helpers import (
    ADMIN,
    audit_entries,
    error_of,
    flashed,
    open_ticket,
    post,
)

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou_helpdesk import permissions
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import NEW, Group, Member, Ticket

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
