"""The helpdesk's JSON API: personal tokens, tickets opened, listed, read, updated, answered (with files) and rated.

(Named test_helpdesk_api.py: tests/test_api.py already owns the module name
``test_api`` in this rootdir-based layout.)

Every client is a real token made on the tokens page (see
``helpdesk_api_client``); data is set up through the services, as the web
pages and the mail listener would. Refusals are checked for their status,
their French message, and for what they did not store.
"""

from __future__ import annotations

import datetime
from urllib.parse import quote

from helpdesk_api_client import CREATE, TICKETS, WORK, ApiClient
from helpdesk_api_helpers import (
    NEW_TICKET,
    PNG,
    act,
    audit_actions,
    count,
    open_ticket,
    send_files,
    ticket_state,
)
from openapi_spec_validator import validate

from cagou.testing import delivered_mail
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import RESOLVED, Attachment, Ticket

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
