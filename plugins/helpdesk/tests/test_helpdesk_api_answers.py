"""The helpdesk's JSON API, once a ticket is open: replies and notes with their files, ratings, major
incidents, a requester's list (fixtures and helpers as in test_helpdesk_api.py)."""

from __future__ import annotations

import dataclasses

from helpdesk_api_client import CREATE, TICKETS, WORK
from helpdesk_api_helpers import (
    PNG,
    act,
    audit_actions,
    count,
    open_ticket,
    rate,
    resolve,
    send_files,
    stored_rating,
)

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou_helpdesk import queries, views
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import CLOSED, IN_PROGRESS, NOTE, RESOLVED, Attachment, Message, Ticket

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
