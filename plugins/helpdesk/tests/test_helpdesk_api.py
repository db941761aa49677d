"""The helpdesk's JSON API: personal tokens, tickets opened, listed, read, updated, answered (with files) and rated.

(Named test_helpdesk_api.py: tests/test_api.py already owns the module name
``test_api`` in this rootdir-based layout.)

Every client is a real token made on the tokens page (see
``helpdesk_api_client``); data is set up through the services, as the web
pages and the mail listener would. Refusals are checked for their status,
their French message, and for what they did not store.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from helpdesk_api_client import CREATE, TICKETS, WORK, ApiClient, issue_token
from openapi_spec_validator import validate

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import delivered_mail
from cagou_helpdesk import checks, queries, views
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import CLOSED, IN_PROGRESS, NOTE, RESOLVED, Attachment, Message, Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def token_for(app, sign_in):
    """``token_for("tech1", CREATE, WORK)``: a client whose token (made by tech1) carries those scopes."""

    def make(login_name: str, *scopes: str) -> ApiClient:
        sign_in(login_name)
        return issue_token(app, scopes or (CREATE,))

    return make


def open_ticket(registry, requester: str, title: str = "Écran noir", category: str = "Logiciels", **more: str) -> int:
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(requester)
        data = checks.TicketInput(title=title, description="Rien ne s'affiche.", category=category, **more)
        ticket_id: int = request.find_service(ITickets).open(data, account).id
    return ticket_id


def act(registry, login_name: str, action, *args: Any) -> None:
    """Run a service as ``login_name`` (a technician working the ticket), outside the API."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        action(request, account, *args)


def ticket_state(registry, ticket_id: int) -> dict[str, Any]:
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, ticket_id)
        return {
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee.login if ticket.assignee else None,
            "group": ticket.group.code,
            "parent": ticket.parent_id,
            "messages": len(ticket.messages),
        }


def count(registry, model, *where) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))


def send_files(api: ApiClient, path: str, fields: dict[str, str], files: list[tuple[str, bytes]], status: int = 201):
    """POST ``fields`` and ``files`` (name, bytes) as multipart/form-data, each file in a part named attachments."""
    uploads = [("attachments", name, data) for name, data in files]
    return api.app.post(path, fields, upload_files=uploads, headers=api.headers, status=status)


def rate(api: ApiClient, ticket_id: int, body: object, status: int = 200):
    return api.app.put_json(f"{TICKETS}/{ticket_id}/rating", body, headers=api.headers, status=status)


def resolve(registry, ticket_id: int, technician: str = "tech1") -> None:
    act(
        registry,
        technician,
        lambda r, t: r.find_service(ITickets).change_status(r.db.get(Ticket, ticket_id), RESOLVED, None, t),
    )


def stored_rating(registry, ticket_id: int) -> tuple[int | None, str | None]:
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, ticket_id)
        return ticket.rating, ticket.rating_comment


def audit_actions(registry, ticket_id: int | None = None) -> list[str]:
    query = sa.select(AuditEntry.action).where(AuditEntry.action.startswith("helpdesk:")).order_by(AuditEntry.id)
    if ticket_id is not None:
        query = query.where(AuditEntry.object_id == str(ticket_id))
    with transaction_scope(registry) as request:
        return list(request.db.scalars(query))


NEW_TICKET = {
    "title": "Le VPN refuse mon mot de passe",
    "description": "Depuis ce matin, le client VPN dit « identifiants invalides ».",
    "category": "Réseau > VPN",
    "urgency": 3,
    "impact": 1,
    "contact_phone": "+687 27 00 00",
}


# ---------------------------------------------------------------------------
# Opening
# ---------------------------------------------------------------------------


def test_an_agent_opens_a_ticket_and_finds_it_in_their_list(registry, token_for, clock):
    api = token_for("agent")
    response = api.post(TICKETS, NEW_TICKET, status=201)
    ticket = response.json
    assert response.location == f"http://localhost{TICKETS}/{ticket['id']}"
    assert ticket["reference"] == f"HD-{ticket['id']:06d}"
    assert ticket["url"].endswith(f"/intranet/assistance/tickets/{ticket['id']}")
    assert (ticket["status"], ticket["status_label"]) == ("new", "Nouveau")
    assert (ticket["category"], ticket["group"]["code"]) == ("Réseau > VPN", "INFRA")
    assert (ticket["urgency"], ticket["impact"], ticket["priority"]) == (3, 1, 2)
    assert ticket["priority_label"] == "P2 — haute"
    assert ticket["requester"] == ticket["opened_by"] == {"login": "agent", "display_name": "Paul Agent"}
    assert ticket["assignee"] is None
    assert ticket["source"] == "api"
    assert ticket["created_at"] == "2026-03-23T22:00:00+00:00"  # the frozen clock, in UTC with its offset
    assert ticket["resolution_due"].endswith("+00:00")
    assert ticket["messages"] == [] and ticket["attachments"] == []
    listed = api.get(TICKETS).json
    assert [item["reference"] for item in listed["items"]] == [ticket["reference"]]
    assert listed["next"] is None
    assert audit_actions(registry, ticket["id"]) == ["helpdesk:ticket:create"]
    acknowledgement = delivered_mail(registry)[-1]
    assert acknowledgement["To"] == "agent@province-sud.nc"
    assert ticket["reference"] in acknowledgement["Subject"]


def test_the_category_may_be_given_by_id_and_urgency_and_impact_have_defaults(helpdesk, token_for):
    api = token_for("agent")
    ticket = api.post(
        TICKETS, {"title": "Word plante", "description": "À l'ouverture.", "category": helpdesk.categories["logiciels"]}
    ).json
    assert (ticket["category"], ticket["group"]["code"]) == ("Logiciels", "BAU")
    assert (ticket["urgency"], ticket["impact"], ticket["priority"]) == (2, 1, 3)


def test_a_technician_opens_a_ticket_on_behalf_of_a_caller(registry, token_for):
    api = token_for("tech1", CREATE, WORK)
    ticket = api.post(TICKETS, {**NEW_TICKET, "requester": "agente"}).json
    assert ticket["requester"]["login"] == "agente"
    assert ticket["opened_by"]["login"] == "tech1"
    assert delivered_mail(registry)[-1]["To"] == "agente@province-sud.nc"
    unknown = api.post(TICKETS, {**NEW_TICKET, "requester": "personne"}, status=400).json
    assert unknown["errors"] == {"requester": "Aucun compte n'a l'identifiant « personne »."}


def test_an_agent_cannot_open_a_ticket_for_someone_else(registry, token_for):
    api = token_for("agent")
    refused = api.post(TICKETS, {**NEW_TICKET, "requester": "agente"}, status=403).json
    assert "Seul un technicien" in refused["error"]
    assert count(registry, Ticket) == 0
    api.post(TICKETS, {**NEW_TICKET, "requester": "agent"}, status=201)  # themselves: fine


def test_bad_input_is_refused_field_by_field_in_french_and_nothing_is_stored(registry, token_for):
    api = token_for("agent")
    # Refused by the core's input guard, before the module reads it.
    bad_json = api.send_raw("POST", TICKETS, '{"title": "sans fin', status=400).json
    assert bad_json == {"error": "Le corps de la requête n'est pas un document JSON valide (UTF-8)."}
    not_an_object = api.post(TICKETS, ["titre"], status=400).json
    assert "objet JSON" in not_an_object["error"]
    long_title = api.post(TICKETS, {**NEW_TICKET, "title": "x" * 10_000}, status=400).json
    assert long_title["errors"] == {"title": "Le titre fait 200 caractères au plus (vous en avez saisi 10 000)."}
    assert long_title["error"] == long_title["errors"]["title"]
    unknown_category = api.post(TICKETS, {**NEW_TICKET, "category": "Matériel > Grille-pain"}, status=400).json
    assert unknown_category["errors"]["category"].startswith("Catégorie inconnue : « Matériel > Grille-pain »")
    empty = api.post(TICKETS, {**NEW_TICKET, "title": " ", "description": ""}, status=400).json
    assert empty["errors"] == {"title": "Le titre est obligatoire.", "description": "La description est obligatoire."}
    typed = api.post(TICKETS, {**NEW_TICKET, "urgency": "3", "title": 12, "colour": "red"}, status=400).json
    assert set(typed["errors"]) == {"urgency", "title", "colour"}
    assert typed["errors"]["urgency"] == "« urgency » doit être un nombre entier parmi 1, 2, 3."
    assert typed["errors"]["colour"].startswith("Champ inconnu : « colour ».")
    assert api.post(TICKETS, {**NEW_TICKET, "impact": 7}, status=400).json["errors"]["impact"]
    phone = api.post(TICKETS, {**NEW_TICKET, "contact_phone": "appelez-moi"}, status=400).json
    assert "Numéro de téléphone invalide" in phone["errors"]["contact_phone"]
    assert count(registry, Ticket) == 0
    assert audit_actions(registry) == []
    assert delivered_mail(registry) == []


def test_an_agent_opens_a_ticket_with_files(registry, token_for):
    """The same fields as multipart/form-data, numbers as text, one ``attachments`` part per file."""
    api = token_for("agent")
    fields = {key: str(value) for key, value in NEW_TICKET.items()}
    ticket = send_files(api, TICKETS, fields, [("écran.png", PNG), ("vpn.log", b"09:00 erreur 809\n")]).json
    assert (ticket["category"], ticket["urgency"], ticket["priority"]) == ("Réseau > VPN", 3, 2)
    assert [(f["filename"], f["content_type"]) for f in ticket["attachments"]] == [
        ("écran.png", "image/png"),
        ("vpn.log", "text/plain"),
    ]
    assert api.get(ticket["attachments"][0]["url"]).body == PNG
    assert audit_actions(registry, ticket["id"]) == ["helpdesk:ticket:create"]


def test_a_ticket_with_a_refused_file_or_field_is_not_opened(registry, token_for):
    api = token_for("agent")
    fields = {key: str(value) for key, value in NEW_TICKET.items()}
    disguised = send_files(api, TICKETS, fields, [("capture.png", b"MZ\x90\x00" + b"\x00" * 200)], 400).json
    assert disguised["errors"]["attachments"].startswith("« capture.png » n'est pas d'un type accepté")
    worded = send_files(api, TICKETS, {**fields, "urgency": "forte"}, [("écran.png", PNG)], 400).json
    assert worded["errors"] == {"urgency": "« urgency » doit être un nombre entier parmi 1, 2, 3."}
    assert count(registry, Ticket) == 0
    assert count(registry, Attachment) == 0
    assert audit_actions(registry) == []
    assert delivered_mail(registry) == []


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def test_internal_notes_never_reach_the_requester_through_the_api(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    technician = token_for("tech1", CREATE, WORK)
    path = f"{TICKETS}/{ticket_id}"
    note = technician.post(f"{path}/messages", {"body": "Note : poste déjà réinstallé en 2025.", "kind": "note"}).json
    assert note["kind"] == "note" and note["author"]["login"] == "tech1"
    technician.post(f"{path}/messages", {"body": "Pouvez-vous redémarrer le poste ?"})
    technician.patch(path, {"priority": 2, "reason": "Chef de service, à voir en interne"})
    seen_by_technician = technician.get(path).json
    assert [m["kind"] for m in seen_by_technician["messages"]] == ["note", "reply"]
    assert seen_by_technician["priority_reason"] == "Chef de service, à voir en interne"

    requester = token_for("agent")
    seen = requester.get(path)
    assert [m["body"] for m in seen.json["messages"]] == ["Pouvez-vous redémarrer le poste ?"]
    assert seen.json["priority_reason"] is None
    listed = requester.get(TICKETS)
    for response in (seen, listed):
        assert "réinstallé" not in response.text
        assert "à voir en interne" not in response.text
    mailed = [message.get_content() for message in delivered_mail(registry)]
    assert not any("réinstallé" in body for body in mailed)


def test_a_ticket_one_may_not_read_is_not_found(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    other = token_for("agente")
    refused = other.get(f"{TICKETS}/{ticket_id}", status=404).json
    assert refused == {"error": f"Pas de ticket HD-{ticket_id:06d} parmi ceux que vous pouvez voir."}
    other.post(f"{TICKETS}/{ticket_id}/messages", {"body": "Je m'invite."}, status=404)
    other.post(f"{TICKETS}/{ticket_id}/messages", {"corps": 1}, status=404)
    assert other.get(f"{TICKETS}/999999", status=404).json["error"].startswith("Pas de ticket HD-999999")
    for path in ("abc", "0", quote("١٢")):  # the last: Arabic-Indic digits
        assert other.get(f"{TICKETS}/{path}", status=404).json == {
            "error": "Pas de ticket à cette adresse parmi ceux que vous pouvez voir."
        }
    for path in ("99999999999999999999", "9" * 5000):  # no record carries such a number: the core answers
        assert other.get(f"{TICKETS}/{path}", status=404).json == {"error": "Ressource introuvable."}
    # A technician of another group does not read it either (the ticket is in BAU's queue).
    token_for("reseau", CREATE, WORK).get(f"{TICKETS}/{ticket_id}", status=404)
    assert ticket_state(registry, ticket_id)["messages"] == 0


def test_a_token_without_the_scope_is_refused(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    profile_only = token_for("agent", "core:profile:read")
    refused = profile_only.get(TICKETS, status=403).json
    assert "portée du jeton" in refused["error"]
    profile_only.post(TICKETS, NEW_TICKET, status=403)
    profile_only.get(f"{TICKETS}/{ticket_id}", status=403)
    # A technician's token made for reading only cannot change tickets, nor read as a technician.
    reader = token_for("tech1", CREATE)
    reader.patch(f"{TICKETS}/{ticket_id}", {"status": "in_progress"}, status=403)
    reader.get(f"{TICKETS}/{ticket_id}", status=404)
    assert reader.get(TICKETS, params={"view": "group"}, status=403).json["error"].startswith("La vue « group »")
    assert count(registry, Ticket) == 1
    assert ticket_state(registry, ticket_id)["status"] == "new"
    # No token at all.
    ApiClient(reader.app.app, "cagou_faux").get(TICKETS, status=401)


# ---------------------------------------------------------------------------
# Listing, a page at a time
# ---------------------------------------------------------------------------


def test_a_requester_pages_through_their_tickets_without_duplicates(registry, token_for):
    ids = [open_ticket(registry, "agent", title=f"Demande {n}") for n in range(5)]
    open_ticket(registry, "agente", title="Pas la mienne")
    api = token_for("agent")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"after": cursor} if cursor else {})}
        page = api.get(TICKETS, params=params).json
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(ids, reverse=True)
    assert [item["id"] for item in api.get(TICKETS, params={"q": "Demande 3"}).json["items"]] == [ids[3]]


def test_a_technician_pages_through_the_queue_by_priority_without_duplicates(registry, token_for, helpdesk):
    urgent = [open_ticket(registry, "agent", title=f"Urgent {n}", urgency="3", impact="2") for n in range(2)]
    usual = [open_ticket(registry, "agente", title=f"Courant {n}") for n in range(3)]
    open_ticket(registry, "agent", title="Pour le réseau", category="Réseau > VPN")  # INFRA's queue
    api = token_for("tech1", CREATE, WORK)
    first = api.get(TICKETS, params={"limit": 3}).json
    assert [item["id"] for item in first["items"]] == [*urgent, usual[0]]
    second = api.get(TICKETS, params={"limit": 3, "after": first["next"]}).json
    assert [item["id"] for item in second["items"]] == usual[1:]
    assert second["next"] is None
    # A ticket taken between two pages neither repeats nor hides another.
    act(
        registry,
        "tech2",
        lambda request, tech2: request.find_service(ITickets).take(request.db.get(Ticket, usual[1]), tech2),
    )
    after_take = api.get(TICKETS, params={"limit": 3, "after": first["next"]}).json
    assert [item["id"] for item in after_take["items"]] == usual[1:]
    unassigned = [item["id"] for item in api.get(TICKETS, params={"view": "unassigned"}).json["items"]]
    assert unassigned == [*urgent, usual[0], usual[2]]
    assert api.get(TICKETS, params={"view": "requested"}).json == {"items": [], "next": None}
    assert [item["id"] for item in api.get(TICKETS, params={"priority": "1"}).json["items"]] == urgent


def test_list_parameters_are_checked(token_for):
    api = token_for("tech1", CREATE, WORK)
    errors = api.get(TICKETS, params={"view": "toutes"}, status=400).json["errors"]
    assert errors == {"view": "Vue inconnue : « toutes ». Vues : requested, mine, group, unassigned, breaching, all."}
    bad = api.get(TICKETS, params={"status": "ouvert", "priority": "9", "limit": "500"}, status=400).json
    assert set(bad["errors"]) == {"status", "priority", "limit"}
    assert bad["error"] == "; ".join(bad["errors"].values())
    # Not base64; ["a", 1] where the priority sort wants a priority; [1, 99999999999999] beyond any id.
    for cursor in ("pas-un-curseur", "WyJhIiwgMV0=", "WzEsIDk5OTk5OTk5OTk5OTk5XQ=="):
        refused = api.get(TICKETS, params={"after": cursor}, status=400).json
        assert refused["errors"]["after"].startswith("Curseur invalide")
    huge = api.get(TICKETS, params={"q": "HD-99999999999999999999"}, status=400).json
    assert "HD-99999999999999999999" in huge["errors"]["q"]
    assert "sort" in api.get(TICKETS, params={"view": "requested", "sort": "due"}, status=400).json["errors"]
    assert "q" in api.get(TICKETS, params={"q": "mot " * 60}, status=400).json["errors"]


def test_a_list_parameter_sent_empty_is_as_if_absent(registry, token_for):
    """?sort= and ?status= alike (a form's "any" choice sends them empty), and every other filter too."""
    for title in ("Écran noir", "Souris morte", "Clavier collant"):
        open_ticket(registry, "agent", title=title)
    api = token_for("tech1", CREATE, WORK)
    absent = api.get(TICKETS).json
    assert len(absent["items"]) == 3
    names = ("view", "status", "priority", "category", "q", "sort", "after", "limit")
    assert api.get(TICKETS, params=dict.fromkeys(names, "")).json == absent
    for name in names:
        assert api.get(TICKETS, params={name: ""}).json == absent, name


# ---------------------------------------------------------------------------
# Updating
# ---------------------------------------------------------------------------


def test_a_technician_moves_a_ticket_through_its_lifecycle(registry, token_for, clock):
    ticket_id = open_ticket(registry, "agent")
    path = f"{TICKETS}/{ticket_id}"
    api = token_for("tech1", CREATE, WORK)
    started = api.patch(path, {"status": "in_progress"}).json
    assert (started["status"], started["assignee"]["login"]) == ("in_progress", "tech1")
    waiting = api.patch(path, {"status": "waiting", "waiting_for": "requester"}).json
    assert (waiting["status"], waiting["waiting_for"]) == ("waiting", "requester")
    clock.advance(hours=2)
    back = api.patch(path, {"status": "in_progress"}).json
    assert back["waiting_for"] is None
    assert back["resolution_due"] > waiting["resolution_due"]  # the clock paused while it waited
    raised = api.patch(path, {"priority": 1, "reason": "Le directeur part en mission demain"}).json
    assert (raised["priority"], raised["priority_label"]) == (1, "P1 — critique")
    handed = api.patch(path, {"assignee": "tech2"}).json
    assert (handed["assignee"]["login"], handed["group"]["code"]) == ("tech2", "BAU")
    moved = api.patch(path, {"group": "INFRA"}).json
    assert (moved["group"]["code"], moved["assignee"], moved["status"]) == ("INFRA", None, "new")
    assert audit_actions(registry, ticket_id) == [
        "helpdesk:ticket:create",
        "helpdesk:ticket:status",
        "helpdesk:ticket:status",
        "helpdesk:ticket:status",
        "helpdesk:ticket:priority",
        "helpdesk:ticket:assign",
        "helpdesk:ticket:assign",
    ]
    # Now in INFRA's queue: tech1 may no longer act on it.
    refused = api.patch(path, {"status": "resolved"}, status=403).json
    assert "dont vous n'êtes pas membre" in refused["error"]


def test_a_technician_links_a_duplicate_to_its_major_incident(registry, token_for):
    parent = open_ticket(registry, "agent", title="Le VPN est tombé")
    child = open_ticket(registry, "agente", title="Plus de VPN")
    api = token_for("tech1", CREATE, WORK)
    linked = api.patch(f"{TICKETS}/{child}", {"parent": f"HD-{parent:06d}"}).json
    assert linked["parent"] == f"HD-{parent:06d}"
    api.patch(f"{TICKETS}/{parent}", {"status": "resolved"})
    assert ticket_state(registry, child)["status"] == RESOLVED
    unknown = api.patch(f"{TICKETS}/{child}", {"parent": "HD-424242"}, status=400).json
    assert unknown["errors"]["parent"].startswith("Aucun ticket « HD-424242 »")


def test_a_technician_outside_the_tickets_groups_gets_403_and_changes_nothing(registry, token_for):
    ticket_id = open_ticket(registry, "agent")  # BAU's queue
    outsider = token_for("reseau", CREATE, WORK)
    path = f"{TICKETS}/{ticket_id}"
    for body in ({"status": "in_progress"}, {"assignee": "reseau"}, {"group": "INFRA"}, {"priority": 1, "reason": "x"}):
        refused = outsider.patch(path, body, status=403).json
        assert refused["error"] == (
            f"Le ticket HD-{ticket_id:06d} est dans la file du groupe « Bureau de l'assistance aux utilisateurs », "
            "dont vous n'êtes pas membre : demandez à un technicien de ce groupe."
        )
    outsider.post(f"{path}/messages", {"body": "Je réponds quand même."}, status=403)
    outsider.patch(path, {"statut": "bidon"}, status=403)  # who may act is answered before what was sent
    assert ticket_state(registry, ticket_id) == {
        "status": "new", "priority": 3, "assignee": None, "group": "BAU", "parent": None, "messages": 0,
    }  # fmt: skip
    assert audit_actions(registry, ticket_id) == ["helpdesk:ticket:create"]


def test_a_refused_update_stores_nothing_even_what_was_already_applied(registry, token_for):
    """The status change succeeds, the next part is refused: the whole request is rolled back."""
    ticket_id = open_ticket(registry, "agent")
    path = f"{TICKETS}/{ticket_id}"
    api = token_for("tech1", CREATE, WORK)
    no_reason = api.patch(path, {"status": "in_progress", "priority": 1}, status=400).json
    assert no_reason["errors"] == {"reason": "La raison du changement de priorité est obligatoire."}
    not_a_member = api.patch(path, {"status": "in_progress", "assignee": "reseau"}, status=400).json
    assert no_reason["error"] and "n'est pas membre du groupe" in not_a_member["error"]
    incident_closed = open_ticket(registry, "agente")
    act(
        registry,
        "tech1",
        lambda r, tech1: r.find_service(ITickets).change_status(
            r.db.get(Ticket, incident_closed), RESOLVED, None, tech1
        ),
    )
    refused = api.patch(path, {"status": "in_progress", "parent": incident_closed}, status=409).json
    assert "ouverts" in refused["error"]
    assert ticket_state(registry, ticket_id) == {
        "status": "new", "priority": 3, "assignee": None, "group": "BAU", "parent": None, "messages": 0,
    }  # fmt: skip
    assert audit_actions(registry, ticket_id) == ["helpdesk:ticket:create"]


def test_update_input_is_checked(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    path = f"{TICKETS}/{ticket_id}"
    api = token_for("tech1", CREATE, WORK)
    assert api.patch(path, {}, status=400).json["error"].startswith("Rien à modifier")
    assert api.send_raw("PATCH", path, "statut=clos", status=400).json["error"].startswith("Le corps")
    unknown = api.patch(path, {"status": "envolé"}, status=400).json
    assert unknown["error"] == "Statut inconnu : « envolé »."
    jump = api.patch(path, {"status": "closed"}, status=409).json
    assert jump["error"] == "Un ticket nouveau ne peut pas passer à « clos »."
    fields = api.patch(
        path, {"waiting_for": "requester", "reason": "sans priorité", "priority": "1", "etat": 1}, status=400
    ).json["errors"]
    assert set(fields) == {"waiting_for", "reason", "priority", "etat"}
    who = api.patch(path, {"assignee": "inconnu", "group": "NOPE"}, status=400).json["errors"]
    assert who == {
        "group": "Aucun groupe de techniciens n'a le code « NOPE ».",
        "assignee": "Aucun compte n'a l'identifiant « inconnu ».",
    }
    assert api.patch(path, {"group": " "}, status=400).json["errors"] == {
        "group": "« group » est le code d'un groupe de techniciens (BAU)."
    }
    api.patch(f"{TICKETS}/424242", {"status": "in_progress"}, status=404)
    api.patch(f"{TICKETS}/424242", {}, status=404)
    assert ticket_state(registry, ticket_id)["status"] == "new"


# ---------------------------------------------------------------------------
# Replies and notes
# ---------------------------------------------------------------------------


def test_replies_wake_a_waiting_ticket_and_reopen_a_resolved_one(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    path = f"{TICKETS}/{ticket_id}"
    technician = token_for("tech1", CREATE, WORK)
    technician.patch(path, {"status": "in_progress"})
    technician.patch(path, {"status": "waiting", "waiting_for": "requester"})
    requester = token_for("agent")
    reply = requester.post(f"{path}/messages", {"body": "Voilà la capture demandée."}, status=201).json
    assert (reply["kind"], reply["source"], reply["author"]["login"]) == ("reply", "api", "agent")
    assert requester.get(path).json["status"] == IN_PROGRESS
    technician.patch(path, {"status": "resolved"})
    requester.post(f"{path}/messages", {"body": "Le problème est revenu."})
    reopened = requester.get(path).json
    assert (reopened["status"], reopened["reopened"]) == (IN_PROGRESS, 1)


def test_a_closed_ticket_takes_no_reply_and_a_requester_writes_no_note(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    path = f"{TICKETS}/{ticket_id}"
    requester = token_for("agent")
    note = requester.post(f"{path}/messages", {"body": "En secret", "kind": "note"}, status=403).json
    assert note["error"] == "Seuls les techniciens écrivent des notes internes."
    assert requester.post(f"{path}/messages", {"body": "x", "kind": "memo"}, status=400).json["errors"]["kind"]
    assert requester.post(f"{path}/messages", {"body": "   "}, status=400).json["errors"] == {
        "body": "Le message est obligatoire."
    }
    act(
        registry,
        "tech1",
        lambda r, t: r.find_service(ITickets).change_status(r.db.get(Ticket, ticket_id), RESOLVED, None, t),
    )
    act(
        registry,
        "tech1",
        lambda r, t: r.find_service(ITickets).change_status(r.db.get(Ticket, ticket_id), CLOSED, None, t),
    )
    closed = requester.post(f"{path}/messages", {"body": "Encore moi."}, status=409).json
    assert closed["error"].startswith(f"Le ticket HD-{ticket_id:06d} est clos : il ne reçoit plus de réponse.")
    assert count(registry, Message) == 0
    assert count(registry, Message, Message.kind == NOTE) == 0


# ---------------------------------------------------------------------------
# Files: sent with a reply, listed with the ticket, downloaded
# ---------------------------------------------------------------------------


def test_a_reply_brings_files_that_the_ticket_lists_and_serves(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    path = f"{TICKETS}/{ticket_id}"
    requester = token_for("agent")
    sent = send_files(
        requester, f"{path}/messages", {"body": "Voici la capture et le journal."},
        [("écran noir.png", PNG), ("vpn.log", b"09:00 erreur 809\n")],
    ).json  # fmt: skip
    assert (sent["kind"], sent["source"], sent["body"]) == ("reply", "api", "Voici la capture et le journal.")
    assert [(f["filename"], f["content_type"], f["size"]) for f in sent["attachments"]] == [
        ("écran noir.png", "image/png", len(PNG)),
        ("vpn.log", "text/plain", 17),
    ]
    ticket = requester.get(path).json
    assert ticket["attachments"] == sent["attachments"] == ticket["messages"][0]["attachments"]
    assert {f["message_id"] for f in ticket["attachments"]} == {sent["id"]}
    picture = ticket["attachments"][0]
    assert picture["url"] == f"http://localhost{path}/attachments/{picture['id']}"
    download = requester.get(picture["url"])
    assert download.body == PNG
    assert download.content_type == "image/png"
    assert download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''%C3%A9cran%20noir.png"
    # The technicians of its group read it too; an agent or a technician of another group does not.
    assert token_for("tech1", CREATE, WORK).get(picture["url"]).body == PNG
    for outsider in (token_for("agente"), token_for("reseau", CREATE, WORK)):
        refused = outsider.get(picture["url"], status=404).json
        assert refused["error"] == f"Pas de ticket HD-{ticket_id:06d} parmi ceux que vous pouvez voir."
    assert audit_actions(registry, ticket_id) == ["helpdesk:ticket:create", "helpdesk:ticket:reply"]


def test_files_are_checked_like_the_web_forms_and_a_refusal_stores_nothing(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    messages = f"{TICKETS}/{ticket_id}/messages"
    api = token_for("agent")
    disguised = send_files(api, messages, {"body": "Ma capture"}, [("capture.png", b"MZ\x90\x00" + b"\x00" * 200)], 400)
    assert disguised.json["errors"]["attachments"].startswith(
        "« capture.png » n'est pas d'un type accepté (d'après son contenu)"
    )
    # The limit is the helpdesk.max_attachment_mb setting, as on the web form.
    registry["helpdesk.settings"] = dataclasses.replace(
        helpdesk_settings.get(registry), max_attachment_bytes=1024 * 1024
    )
    big = send_files(api, messages, {"body": "Mon journal"}, [("vpn.log", b"a" * (1024 * 1024 + 1))], 400).json
    assert big["errors"] == {"attachments": "« vpn.log » pèse 1,0 Mo : la limite est de 1 Mo par fichier."}
    good_and_bad = send_files(api, messages, {"body": "Les deux"}, [("ok.png", PNG), ("vide.txt", b"")], 400).json
    assert good_and_bad["errors"] == {"attachments": "« vide.txt » est vide."}
    no_text = send_files(api, messages, {}, [("ok.png", PNG)], 400).json
    assert no_text["errors"] == {"body": "Le message est obligatoire."}
    assert count(registry, Message) == 0
    assert count(registry, Attachment) == 0
    assert audit_actions(registry, ticket_id) == ["helpdesk:ticket:create"]


def test_a_multipart_body_is_checked_part_by_part(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    messages = f"{TICKETS}/{ticket_id}/messages"
    api = token_for("agent")
    as_text = api.app.post(
        messages,
        {"body": "x", "attachments": "capture.png"},
        headers=api.headers,
        content_type="multipart/form-data",
        status=400,
    )
    assert as_text.json["errors"] == {
        "attachments": "« attachments » attend des fichiers : une partie par fichier, avec son nom (filename)."
    }
    file_as_body = api.app.post(
        messages, {"kind": "reply"}, upload_files=[("body", "corps.txt", b"du texte")], headers=api.headers, status=400
    )
    assert (
        file_as_body.json["errors"]["body"]
        == "« body » est un champ de texte : les fichiers vont dans « attachments »."
    )
    unknown = send_files(api, messages, {"body": "x", "sujet": "y"}, [("ok.png", PNG)], 400).json
    assert unknown["errors"] == {"sujet": "Champ inconnu : « sujet ». Champs acceptés : body, kind, attachments."}
    headers = {**api.headers, "Content-Type": "multipart/form-data"}  # no boundary
    broken = api.app.post(messages, b"--x\r\n", headers=headers, status=400).json
    assert broken["error"].startswith("Le formulaire envoyé est mal formé")  # the core's input guard
    # A requester writes no note, with or without files; someone who may not read the ticket learns nothing.
    note = send_files(api, messages, {"body": "En secret", "kind": "note"}, [("ok.png", PNG)], 403).json
    assert note["error"] == "Seuls les techniciens écrivent des notes internes."
    send_files(token_for("agente"), messages, {"body": "Je m'invite."}, [("ok.png", PNG)], 404)
    assert count(registry, Attachment) == 0


def test_files_of_internal_notes_reach_only_the_technicians_of_the_group(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    path = f"{TICKETS}/{ticket_id}"
    technician = token_for("tech1", CREATE, WORK)
    note = send_files(technician, f"{path}/messages", {"body": "Journal du poste", "kind": "note"},
                      [("interne.txt", b"secret du poste")]).json  # fmt: skip
    [internal] = note["attachments"]
    assert [f["filename"] for f in technician.get(path).json["attachments"]] == ["interne.txt"]
    assert technician.get(internal["url"]).body == b"secret du poste"
    requester = token_for("agent")
    seen = requester.get(path)
    assert seen.json["attachments"] == []
    assert "interne.txt" not in seen.text
    refused = requester.get(internal["url"], status=404).json
    assert refused["error"] == f"Pas de pièce jointe « {internal['id']} » parmi celles du ticket HD-{ticket_id:06d}."
    # An attachment is reached through its own ticket only, and absurd ids find nothing.
    other_id = open_ticket(registry, "agent", title="Autre")
    requester.get(f"{TICKETS}/{other_id}/attachments/{internal['id']}", status=404)
    for attachment in ("424242", "abc", "9" * 30):
        requester.get(f"{path}/attachments/{attachment}", status=404)


def test_a_file_gone_from_the_storage_is_not_found(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    api = token_for("agent")
    sent = send_files(api, f"{TICKETS}/{ticket_id}/messages", {"body": "Capture"}, [("ok.png", PNG)]).json
    with transaction_scope(registry) as request:
        request.db.get_one(Attachment, sent["attachments"][0]["id"]).file_key = "0" * 64
    refused = api.get(sent["attachments"][0]["url"], status=404).json
    assert refused["error"] == "Le fichier « ok.png » n'est plus dans le stockage des fichiers."


# ---------------------------------------------------------------------------
# Rating
# ---------------------------------------------------------------------------


def test_the_requester_rates_the_answer_to_a_resolved_ticket(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    requester = token_for("agent")
    early = rate(requester, ticket_id, {"rating": 5}, status=409).json
    assert early["error"] == "Vous pourrez noter la réponse quand le ticket sera résolu."
    assert early["errors"] == {"rating": early["error"]}
    resolve(registry, ticket_id)
    rated = rate(requester, ticket_id, {"rating": 4, "comment": "Rapide, merci."}).json
    assert (rated["rating"], rated["rating_comment"], rated["status"]) == (4, "Rapide, merci.", RESOLVED)
    assert requester.get(f"{TICKETS}/{ticket_id}").json["rating"] == 4
    assert rate(requester, ticket_id, {"rating": 5}).json["rating_comment"] is None  # a new rating replaces it
    assert stored_rating(registry, ticket_id) == (5, None)
    assert audit_actions(registry, ticket_id)[-2:] == ["helpdesk:ticket:rate", "helpdesk:ticket:rate"]


def test_a_bad_rating_is_refused_field_by_field_in_french_and_nothing_is_stored(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    resolve(registry, ticket_id)
    api = token_for("agent")
    expected = "« rating » doit être un nombre entier parmi 1, 2, 3, 4, 5."
    for value in (0, 6, "4", 4.5, True):
        assert rate(api, ticket_id, {"rating": value}, status=400).json["errors"] == {"rating": expected}
    for body in ({"comment": "Sans note"}, {"rating": None}):
        missing = rate(api, ticket_id, body, status=400).json
        assert missing["errors"] == {
            "rating": "« rating » est obligatoire : une note de 1 (mauvaise) à 5 (excellente)."
        }
    long_comment = rate(api, ticket_id, {"rating": 3, "comment": "x" * 2001}, status=400).json
    assert long_comment["errors"] == {
        "comment": "Le commentaire fait 2 000 caractères au plus (vous en avez saisi 2 001)."
    }
    fields = rate(api, ticket_id, {"rating": 3, "comment": 12, "note": 3}, status=400).json["errors"]
    assert fields == {
        "comment": "« comment » doit être une chaîne de caractères.",
        "note": "Champ inconnu : « note ». Champs acceptés : rating, comment.",
    }
    assert rate(api, ticket_id, [3], status=400).json["error"].startswith("Envoyez un objet JSON")
    assert stored_rating(registry, ticket_id) == (None, None)
    assert "helpdesk:ticket:rate" not in audit_actions(registry, ticket_id)


def test_only_the_requester_rates_their_ticket(registry, token_for):
    ticket_id = open_ticket(registry, "agent")
    resolve(registry, ticket_id)
    technician = rate(token_for("tech1", CREATE, WORK), ticket_id, {"rating": 5}, status=403).json
    assert technician["error"] == "Seul le demandeur, Paul Agent, note la réponse à son ticket."
    rate(token_for("agente"), ticket_id, {"rating": 1}, status=404)
    rate(token_for("agent", "core:profile:read"), ticket_id, {"rating": 1}, status=403)
    rate(token_for("agent"), 424242, {"rating": 1}, status=404)
    assert stored_rating(registry, ticket_id) == (None, None)


# ---------------------------------------------------------------------------
# Major incidents: the parent lists its children, a child names its parent
# ---------------------------------------------------------------------------


def test_a_major_incident_lists_its_linked_tickets_for_its_technicians(registry, token_for):
    parent = open_ticket(registry, "agent", title="Le VPN est tombé")
    children = [open_ticket(registry, "agente", title=f"Plus de VPN {n}") for n in range(2)]
    technician = token_for("tech1", CREATE, WORK)
    assert technician.get(f"{TICKETS}/{parent}").json["children"] == []
    for child in children:
        technician.patch(f"{TICKETS}/{child}", {"parent": f"HD-{parent:06d}"})
    technician.patch(f"{TICKETS}/{children[1]}", {"status": "in_progress"})
    incident = technician.get(f"{TICKETS}/{parent}").json
    assert incident["children"] == [
        {"id": children[0], "reference": f"HD-{children[0]:06d}", "status": "new"},
        {"id": children[1], "reference": f"HD-{children[1]:06d}", "status": "in_progress"},
    ]
    assert incident["parent"] is None
    # Each requester reads the incident their ticket belongs to, not the other people's tickets.
    child = token_for("agente").get(f"{TICKETS}/{children[0]}").json
    assert (child["parent"], child["children"]) == (f"HD-{parent:06d}", None)
    assert token_for("agente").get(TICKETS).json["items"][0]["parent"] == f"HD-{parent:06d}"
    assert token_for("agent").get(f"{TICKETS}/{parent}").json["children"] is None
    technician.patch(f"{TICKETS}/{parent}", {"status": "resolved"})
    resolved = technician.get(f"{TICKETS}/{parent}").json["children"]
    assert [item["status"] for item in resolved] == [RESOLVED, RESOLVED]


# ---------------------------------------------------------------------------
# A requester's list: one query with a keyset cursor, for the API and the web page
# ---------------------------------------------------------------------------


def test_a_requesters_list_is_filtered_and_paged_by_its_cursor(registry, token_for):
    ids = [open_ticket(registry, "agent", title=f"Demande {n}") for n in range(4)]
    resolve(registry, ids[1])
    api = token_for("agent")
    resolved = api.get(TICKETS, params={"status": RESOLVED}).json
    assert [item["id"] for item in resolved["items"]] == [ids[1]]
    first = api.get(TICKETS, params={"limit": 2}).json
    assert [item["id"] for item in first["items"]] == [ids[3], ids[2]]
    newer = open_ticket(registry, "agent", title="Demande ouverte entre deux pages")
    second = api.get(TICKETS, params={"limit": 2, "after": first["next"]}).json
    assert [item["id"] for item in second["items"]] == [ids[1], ids[0]]  # the new one shifts nothing
    assert second["next"] is None
    assert newer not in [item["id"] for item in second["items"]]
    with transaction_scope(registry) as request:
        agent = request.find_service(IAccounts).by_login("agent")
        older = queries.tickets_of(request, agent, before_id=ids[2])
        assert [ticket.id for ticket in older] == [ids[1], ids[0]]
        still_open = queries.tickets_of(request, agent, open_only=True, before_id=ids[2], limit=5)
        assert [ticket.id for ticket in still_open] == [ids[0]]


def test_the_web_list_of_my_requests_reaches_the_older_ones(app, registry, sign_in, monkeypatch):
    monkeypatch.setattr(views, "MINE_PAGE", 2)
    ids = [open_ticket(registry, "agent", title=f"Demande {n}") for n in range(3)]
    sign_in("agent")
    first = app.get("/intranet/assistance/")
    assert [a.text for a in first.html.select("table td:first-child a")] == [f"HD-{ids[2]:06d}", f"HD-{ids[1]:06d}"]
    older = first.click(description="Demandes plus anciennes")
    assert [a.text for a in older.html.select("table td:first-child a")] == [f"HD-{ids[0]:06d}"]
    assert older.html.find("a", rel="next") is None
    assert "Aucune demande en cours" not in older.text  # the open ones are on the first page
    back = older.click(description="Mes demandes les plus récentes")
    assert back.request.path_qs == "/intranet/assistance/"
    assert app.get("/intranet/assistance/", {"avant": "abc"}).html.select("table td:first-child a")[0].text == (
        f"HD-{ids[2]:06d}"
    )


# ---------------------------------------------------------------------------
# The OpenAPI document
# ---------------------------------------------------------------------------


def test_the_openapi_document_describes_the_helpdesk_api(app):
    spec = app.get("/intranet/api/openapi.json").json
    validate(spec)
    tickets = spec["paths"]["/intranet/api/v1/assistance/tickets"]
    one = spec["paths"]["/intranet/api/v1/assistance/tickets/{id}"]
    messages = spec["paths"]["/intranet/api/v1/assistance/tickets/{id}/messages"]
    assert {method: op["x-permission"] for method, op in tickets.items()} == {"get": CREATE, "post": CREATE}
    assert {method: op["x-permission"] for method, op in one.items()} == {"get": CREATE, "patch": WORK}
    assert messages["post"]["x-permission"] == CREATE
    assert "201" in tickets["post"]["responses"] and "201" in messages["post"]["responses"]
    assert {p["name"] for p in tickets["get"]["parameters"]} >= {"view", "status", "priority", "q", "after", "limit"}
    body = tickets["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["title", "description", "category"]
    detail = one["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "messages" in detail["required"] and "priority_reason" in detail["properties"]
    assert {"attachments", "children"} <= set(detail["required"])
    assert {"url", "message_id"} <= set(detail["properties"]["attachments"]["items"]["required"])
    for operation in (tickets["post"], messages["post"]):
        sent = operation["requestBody"]["content"]
        assert sent["multipart/form-data"]["schema"]["properties"]["attachments"]["items"]["format"] == "binary"
        assert set(sent["multipart/form-data"]["schema"]["required"]) == set(
            sent["application/json"]["schema"]["required"]
        )
    attachment = spec["paths"]["/intranet/api/v1/assistance/tickets/{id}/attachments/{attachment}"]
    assert {method: op["x-permission"] for method, op in attachment.items()} == {"get": CREATE}
    assert [p["name"] for p in attachment["get"]["parameters"]] == ["id", "attachment"]
    assert list(attachment["get"]["responses"]["200"]["content"]) == ["*/*"]  # the file itself, not JSON
    rating = spec["paths"]["/intranet/api/v1/assistance/tickets/{id}/rating"]
    assert {method: op["x-permission"] for method, op in rating.items()} == {"put": CREATE}
    rating_body = rating["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert (rating_body["required"], rating_body["properties"]["rating"]["enum"]) == (["rating"], [1, 2, 3, 4, 5])
    assert rating_body["properties"]["comment"]["maxLength"] == 2000  # services.rate's limit, tested above


def test_dates_are_given_in_utc_whatever_the_clock_says(token_for, clock):
    noumea = datetime.timezone(datetime.timedelta(hours=11))
    clock.instant = datetime.datetime(2026, 3, 24, 9, 30, 15, 123456, tzinfo=noumea)
    ticket = token_for("agent").post(TICKETS, NEW_TICKET).json
    assert ticket["created_at"] == "2026-03-23T22:30:15+00:00"
