"""Agents open and follow tickets; technicians take, answer and move them (HTTP level, WebTest)."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
import webtest

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.jobs.services import get_huey
from cagou.testing import csrf_token, delivered_mail
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import (
    ASSIGNED,
    CLOSED,
    IN_PROGRESS,
    NEW,
    NOTE,
    RESOLVED,
    WAITING,
    Attachment,
    Member,
    Message,
    Ticket,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PASSWORD = "un-mot-de-passe-solide-2026"  # every account's, in the helpdesk fixture of conftest.py


def open_ticket_form(app: webtest.TestApp, **fields: object) -> webtest.TestResponse:
    page = app.get("/intranet/assistance/nouvelle")
    form = page.forms["formulaire-demande"]
    values = {
        "title": "Le VPN refuse ma connexion",
        "category": "Réseau > VPN",
        "description": "Erreur 809 depuis ce matin.",
    }
    values.update(fields)
    for name, value in values.items():
        form[name] = value
    return form.submit(expect_errors=True)


def test_a_request_sent_after_the_session_expired_is_sent_again_after_signing_in(app, registry, sign_in, clock):
    sign_in("agent")
    page = app.get("/intranet/assistance/nouvelle")
    form = page.forms["formulaire-demande"]
    form["title"], form["category"] = "Portable à préparer", "Logiciels"
    form["description"] = "Bonjour,\nje passe en télétravail lundi : il me faut un portable."
    form["attachments"] = [("capture.png", PNG)]
    clock.advance(minutes=45)  # lunch: the session expires while the form is open
    refused = form.submit(status=401)
    assert tickets(registry) == []
    assert "ce que vous venez d'envoyer n'est pas encore enregistré" in text_of(refused)
    assert "Les fichiers joints n'ont pas pu être gardés" in text_of(refused)
    again = refused.forms[0]
    again["login"], again["password"] = "agent", "mauvais"
    wrong = again.submit(status=401)  # a typo on the password keeps what was sent
    again = wrong.forms[0]
    again["login"], again["password"] = "agent", PASSWORD
    resume = again.submit(status=200)
    assert "Reprendre votre envoi" in text_of(resume)
    assert "il me faut un portable" in text_of(resume)
    assert tickets(registry) == []  # nothing is sent without the person's click
    sent = resume.forms["envoi-repris"].submit(status=303)
    [ticket] = tickets(registry)
    assert sent.location.endswith(f"/intranet/assistance/tickets/{ticket.id}")
    assert (ticket.title, ticket.description, ticket.requester.login) == (
        "Portable à préparer",
        "Bonjour,\nje passe en télétravail lundi : il me faut un portable.",
        "agent",
    )


def test_a_carried_submission_goes_nowhere_but_this_platform(app, sign_in):
    page = app.get("/intranet/connexion")
    fields = {
        "csrf_token": csrf_token(page), "login": "agent", "password": PASSWORD,
        "reprise:adresse": "https://ailleurs.example.com/vol", "reprise.title": "x",
    }  # fmt: skip
    assert app.post("/intranet/connexion", fields).status_int == 303  # signed in, as any sign-in: nothing re-sent


def tickets(registry) -> list[Ticket]:
    with transaction_scope(registry) as request:
        found = list(request.db.scalars(sa.select(Ticket).order_by(Ticket.id)))
        for ticket in found:
            [message.kind for message in ticket.messages]
            [file.filename for file in ticket.attachments]
            _ = ticket.assignee, ticket.group, ticket.requester, ticket.category, ticket.parent
    return found


def audit_actions(registry) -> list[str]:
    with transaction_scope(registry) as request:
        return list(
            request.db.scalars(
                sa.select(AuditEntry.action).where(AuditEntry.module == "helpdesk").order_by(AuditEntry.id)
            )
        )


def text_of(response: webtest.TestResponse) -> str:
    """What the person reads: the page's text, entities decoded."""
    return " ".join(response.html.get_text().split())


def post(app: webtest.TestApp, url: str, page: webtest.TestResponse, **fields: str) -> webtest.TestResponse:
    return app.post(url, {"csrf_token": csrf_token(page), **fields}, expect_errors=True)


# ---------------------------------------------------------------------------
# Opening a ticket
# ---------------------------------------------------------------------------


def test_an_agent_opens_a_ticket_that_lands_in_its_category_group(app, registry, sign_in, helpdesk):
    sign_in("agent")
    response = open_ticket_form(app, contact_phone="27 12 34", urgency="3", impact="2")
    assert response.status_int == 303
    page = response.follow()
    assert "Votre demande est enregistrée sous la référence HD-000001" in page.text
    [ticket] = tickets(registry)
    assert (ticket.title, ticket.status, ticket.group.code) == ("Le VPN refuse ma connexion", NEW, "INFRA")
    assert ticket.priority == 1  # high urgency, a whole service: P1 by the default matrix
    assert ticket.requester_id == ticket.opened_by_id == helpdesk.accounts["agent"]
    assert ticket.contact_phone == "27 12 34"
    assert audit_actions(registry) == ["helpdesk:ticket:create"]
    [acknowledgement] = delivered_mail(registry)
    assert acknowledgement["To"] == "agent@province-sud.nc"
    assert acknowledgement["Subject"] == "[HD-000001] Demande enregistrée : Le VPN refuse ma connexion"
    assert acknowledgement["Reply-To"] == "assistance@cagou.example.nc"


def test_a_ticket_whose_transaction_rolls_back_queues_no_acknowledgement_and_sends_nothing(registry, helpdesk):
    """The acknowledgement is written in the ticket's transaction: a request failing after it sends nothing."""
    data = TicketInput(title="Échouera", description="La requête échoue après le ticket.", category="Réseau > VPN")
    with pytest.raises(RuntimeError), transaction_scope(registry) as request:
        request.find_service(ITickets).open(data, request.find_service(IAccounts).by_login("agent"))
        raise RuntimeError("the request fails once the ticket is written")
    assert get_huey(registry).pending_count() == 0
    assert tickets(registry) == []
    assert audit_actions(registry) == []
    assert delivered_mail(registry) == []


def test_the_category_is_typed_case_insensitively_and_service_levels_are_set(app, registry, sign_in, clock):
    sign_in("agent")
    assert open_ticket_form(app, category="matériel > ordinateur PORTABLE").status_int == 303
    [ticket] = tickets(registry)
    assert ticket.category.path == "Matériel > Ordinateur portable"
    assert ticket.group.code == "BAU"  # no group on the category: the default group
    # Tuesday 24 March 2026, 9:00 in Nouméa; P3: 4 business hours to answer (not lunch), 3 business days to resolve.
    assert ticket.first_response_due == datetime.datetime(2026, 3, 24, 3, 0, tzinfo=datetime.UTC)  # 14:00 in Nouméa
    assert ticket.resolution_due == datetime.datetime(2026, 3, 26, 22, 0, tzinfo=datetime.UTC)  # Friday 9:00


def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(app, registry, sign_in):
    sign_in("agent")
    response = open_ticket_form(app, title="x" * 10_000, description="   ", category="Plomberie", contact_phone="abc")
    assert response.status_int == 400
    errors = {p["id"]: p.text for p in response.html.select("p.error-message")}
    assert errors["erreur-title"] == "Le titre fait 200 caractères au plus (vous en avez saisi 10 000)."
    assert errors["erreur-description"] == "La description est obligatoire."
    assert errors["erreur-category"] == "Catégorie inconnue : « Plomberie ». Choisissez-en une dans la liste."
    assert errors["erreur-contact_phone"].startswith("Numéro de téléphone invalide")
    assert response.html.find(id="champ-title")["aria-describedby"].endswith("erreur-title")
    assert tickets(registry) == []
    assert audit_actions(registry) == []
    # What the agent typed is still there.
    assert response.html.find(id="champ-category")["value"] == "Plomberie"


def test_attachments_are_checked_by_content_and_size(app, registry, sign_in, monkeypatch):
    sign_in("agent")
    disguised = open_ticket_form(app, attachments=[("capture.png", b"MZ\x90\x00" + b"\x00" * 200)])
    assert disguised.status_int == 400
    assert "« capture.png » n'est pas d'un type accepté (d'après son contenu)" in text_of(disguised)
    big = open_ticket_form(app, attachments=[("journal.txt", b"a" * (10 * 1024 * 1024 + 1))])
    assert big.status_int == 400
    assert "« journal.txt » pèse 10,0 Mo : la limite est de 10 Mo par fichier." in text_of(big)
    assert tickets(registry) == []
    good = open_ticket_form(app, attachments=[("ecran.png", PNG), ("vpn.log", b"09:00 erreur 809\n")])
    assert good.status_int == 303
    [ticket] = tickets(registry)
    assert [(f.filename, f.content_type) for f in ticket.attachments] == [
        ("ecran.png", "image/png"),
        ("vpn.log", "text/plain"),
    ]
    page = good.follow()
    download = app.get(page.html.find("a", string="ecran.png")["href"])
    assert download.body == PNG
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_live_suggestion_finds_published_articles_only(app, sign_in):
    sign_in("agent")
    fragment = app.get("/intranet/assistance/suggestions", {"title": "vpn maison"}, headers={"HX-Request": "true"})
    assert "Configurer le VPN à la maison" in fragment.text
    assert "Brouillon" not in fragment.text
    assert "<html" not in fragment.text
    assert "Configurer" not in app.get("/intranet/assistance/suggestions", {"title": "imprimante"}).text


def test_a_technician_opens_a_ticket_for_a_caller(app, registry, sign_in, helpdesk):
    sign_in("tech1")
    response = open_ticket_form(app, requester="agente", category="Logiciels")
    assert response.status_int == 303
    [ticket] = tickets(registry)
    assert ticket.requester_id == helpdesk.accounts["agente"]
    assert ticket.opened_by_id == helpdesk.accounts["tech1"]
    assert ticket.source == "phone"
    unknown = open_ticket_form(app, requester="personne")
    assert unknown.status_int == 400
    assert "Aucun agent actif n'a l'identifiant ou l'adresse « personne »." in text_of(unknown)
    # The caller follows the ticket as theirs.
    sign_in("agente")
    assert "HD-000001" in app.get("/intranet/assistance/").text


def test_an_agent_cannot_open_for_someone_else(app, registry, sign_in, helpdesk):
    sign_in("agent")
    assert open_ticket_form(app).status_int == 303
    page = app.get("/intranet/assistance/nouvelle")
    assert "champ-requester" not in page.text
    response = post(app, "/intranet/assistance/nouvelle", page, title="t", description="d", category="Logiciels",
                    urgency="2", impact="1", requester="agente")  # fmt: skip
    assert response.status_int == 303
    assert {ticket.requester_id for ticket in tickets(registry)} == {helpdesk.accounts["agent"]}


# ---------------------------------------------------------------------------
# Following and answering
# ---------------------------------------------------------------------------


def open_as(app, sign_in, name: str = "agent", **fields) -> int:
    sign_in(name)
    response = open_ticket_form(app, **fields)
    assert response.status_int == 303, response.text
    return int(response.location.rstrip("/").rsplit("/", 1)[-1])


def test_replies_go_to_the_requester_notes_never_do(app, registry, sign_in):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    delivered_mail(registry)  # the acknowledgement
    sign_in("tech1")
    page = app.get(f"/intranet/assistance/tickets/{ticket_id}")
    assert (
        post(app, f"/intranet/assistance/tickets/{ticket_id}/repondre", page, body="Redémarrez le poste.").status_int
        == 303
    )
    response = post(
        app, f"/intranet/assistance/tickets/{ticket_id}/repondre", page, body="Poste connu pour ses soucis.", kind=NOTE
    )
    assert response.status_int == 303
    mail = delivered_mail(registry)
    assert [m["Subject"] for m in mail[1:]] == ["[HD-000001] Réponse à votre demande : Le VPN refuse ma connexion"]
    assert "Redémarrez le poste." in mail[-1].get_content()
    assert "soucis" not in "".join(m.get_content() for m in mail)
    [ticket] = tickets(registry)
    assert ticket.first_response_at is not None
    assert audit_actions(registry)[-2:] == ["helpdesk:ticket:reply", "helpdesk:ticket:note"]
    # The requester sees the reply, never the note.
    sign_in("agent")
    own_page = app.get(f"/intranet/assistance/tickets/{ticket_id}")
    assert "Redémarrez le poste." in own_page.text
    assert "soucis" not in own_page.text
    assert "Note interne" not in own_page.text
    # And cannot write one.
    refused = post(app, f"/intranet/assistance/tickets/{ticket_id}/repondre", own_page, body="Ma note", kind=NOTE)
    assert refused.status_int == 403
    assert "Seuls les techniciens écrivent des notes internes." in text_of(refused)
    with transaction_scope(registry) as request:
        kinds = [m.kind for m in request.db.scalars(sa.select(Message).order_by(Message.id))]
    assert kinds == ["reply", "note"]


def test_others_get_404_on_a_ticket_they_may_not_read(app, sign_in):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    sign_in("agente")
    assert app.get(f"/intranet/assistance/tickets/{ticket_id}", expect_errors=True).status_int == 404
    sign_in("reseau")  # technician, but of the infrastructure bureau: the ticket is in BAU's queue
    assert app.get(f"/intranet/assistance/tickets/{ticket_id}", expect_errors=True).status_int == 404


def test_the_full_lifecycle_with_waiting_reopening_and_rating(app, registry, sign_in, clock):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    sign_in("tech1")
    page = app.get(url)
    assert post(app, url + "/prendre", page).status_int == 303
    assert tickets(registry)[0].status == ASSIGNED
    assert post(app, url + "/statut", page, status=IN_PROGRESS).status_int == 303
    no_reason = post(app, url + "/statut", page, status=WAITING)
    assert no_reason.status_int == 400
    assert "Dites qui le ticket attend : le demandeur ou un tiers." in text_of(no_reason)
    due_before = tickets(registry)[0].resolution_due
    assert post(app, url + "/statut", page, status=WAITING, waiting_for="requester").status_int == 303
    clock.advance(hours=2)  # the clock is paused for two business hours
    sign_in("agent")
    assert post(app, url + "/repondre", app.get(url), body="Voici la capture demandée.").status_int == 303
    ticket = tickets(registry)[0]
    assert ticket.status == IN_PROGRESS  # the requester's answer wakes the ticket
    assert ticket.resolution_due == due_before + datetime.timedelta(hours=2)
    sign_in("tech1")
    assert post(app, url + "/statut", app.get(url), status=RESOLVED).status_int == 303
    sign_in("agent")
    page = app.get(url)
    assert "Rouvrir la demande" in page.text
    assert post(app, url + "/rouvrir", page).status_int == 303
    assert tickets(registry)[0].status == IN_PROGRESS
    sign_in("tech1")
    assert post(app, url + "/statut", app.get(url), status=RESOLVED).status_int == 303
    sign_in("agent")
    bad = post(app, url + "/noter", app.get(url), rating="9")
    assert bad.status_int == 400
    assert "La note : choisissez une valeur de la liste." in text_of(bad)
    assert post(app, url + "/noter", app.get(url), rating="4", comment="Rapide.").status_int == 303
    ticket = tickets(registry)[0]
    assert (ticket.rating, ticket.rating_comment, ticket.reopened) == (4, "Rapide.", 1)
    # After the reopening delay, the ticket can no longer be reopened, and the job closes it.
    clock.advance(days=8)
    sign_in("agent")  # the session ended long ago
    late = post(app, url + "/rouvrir", app.get(url))
    assert late.status_int == 409
    from cagou_helpdesk.jobs import close_resolved

    close_resolved(registry)
    assert tickets(registry)[0].status == CLOSED
    closed = post(app, url + "/repondre", app.get("/intranet/assistance/nouvelle"), body="Encore moi")
    assert closed.status_int == 409
    assert "est clos : il ne reçoit plus de réponse" in text_of(closed)
    assert len(tickets(registry)[0].messages) == 1


def test_a_technician_outside_the_group_is_refused(app, registry, sign_in):
    ticket_id = open_as(app, sign_in, category="Réseau > VPN")  # INFRA's queue
    sign_in("tech1")  # BAU
    assert app.get(f"/intranet/assistance/tickets/{ticket_id}", expect_errors=True).status_int == 404
    queue = app.get("/intranet/assistance/file/")
    response = app.post(
        f"/intranet/assistance/tickets/{ticket_id}/prendre", {"csrf_token": csrf_token(queue)}, expect_errors=True
    )
    assert response.status_int == 404
    assert tickets(registry)[0].assignee_id is None


def test_take_twice_the_second_is_told_who_has_it(app, registry, sign_in, helpdesk):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    sign_in("tech2")
    stale_page = app.get(url)
    sign_in("tech1")
    assert post(app, url + "/prendre", app.get(url)).status_int == 303
    sign_in("tech2")
    response = app.post(url + "/prendre", {"csrf_token": csrf_token(app.get(url))}, expect_errors=True)
    assert response.status_int == 409
    assert "Le ticket HD-000001 vient d'être pris par Théo Technicien." in text_of(response)
    assert stale_page.status_int == 200
    assert tickets(registry)[0].assignee_id == helpdesk.accounts["tech1"]


def test_take_next_gives_the_most_urgent_first(app, registry, sign_in, helpdesk):
    low = open_as(app, sign_in, category="Logiciels", urgency="1")
    high = open_as(app, sign_in, category="Logiciels", urgency="3")
    sign_in("tech1")
    queue = app.get("/intranet/assistance/file/")
    first = post(app, "/intranet/assistance/file/suivant", queue)
    assert first.location.endswith(f"/assistance/tickets/{high}")
    second = post(app, "/intranet/assistance/file/suivant", queue)
    assert second.location.endswith(f"/assistance/tickets/{low}")
    empty = post(app, "/intranet/assistance/file/suivant", queue).follow()
    assert "Aucun ticket non attribué dans vos files" in text_of(empty)
    sign_in("chef")  # a manager without membership works on the group he manages
    assert post(app, "/intranet/assistance/file/suivant", app.get("/intranet/assistance/file/")).status_int == 303


def test_priority_override_needs_a_reason_and_recomputes_due_dates(app, registry, sign_in):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    sign_in("tech1")
    page = app.get(url)
    missing = post(app, url + "/priorite", page, priority="1", reason="")
    assert missing.status_int == 400
    assert "La raison du changement de priorité est obligatoire." in text_of(missing)
    before = tickets(registry)[0]
    assert (
        post(app, url + "/priorite", page, priority="1", reason="Le directeur part en mission demain").status_int == 303
    )
    after = tickets(registry)[0]
    assert (after.priority, after.priority_reason) == (1, "Le directeur part en mission demain")
    assert after.resolution_due < before.resolution_due
    assert audit_actions(registry)[-1] == "helpdesk:ticket:priority"


def test_assigning_to_someone_outside_the_group_is_refused(app, registry, sign_in, helpdesk):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    sign_in("tech1")
    page = app.get(url)
    wrong = post(app, url + "/attribuer", page, group=str(helpdesk.groups["BAU"]), assignee="reseau")
    assert wrong.status_int == 400
    assert "Rémi Réseau n'est pas membre du groupe « Bureau de l'assistance aux utilisateurs »." in text_of(wrong)
    moved = post(app, url + "/attribuer", page, group=str(helpdesk.groups["INFRA"]), assignee="reseau")
    assert moved.status_int == 303
    ticket = tickets(registry)[0]
    assert (ticket.group.code, ticket.assignee.login, ticket.status) == ("INFRA", "reseau", ASSIGNED)


def test_the_technician_is_chosen_by_name_within_each_group(app, registry, sign_in, helpdesk):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    sign_in("tech1")
    page = app.get(url)
    choice = page.html.select_one("select#champ-assignee")
    assert [option.text for option in choice.find_all("option", recursive=False)] == ["Personne"]
    members = {group["label"]: [item.text for item in group.select("option")] for group in choice.select("optgroup")}
    assert members == {
        "Bureau de l'assistance aux utilisateurs": ["Inès Technicienne", "Théo Technicien"],  # by name
        "Bureau des infrastructures": ["Rémi Réseau"],
    }
    form = next(form for form in page.forms.values() if form.action.endswith("/attribuer"))
    form["assignee"] = "tech2"
    assert form.submit().status_int == 303
    assert tickets(registry)[0].assignee.login == "tech2"
    selected = app.get(url).html.select("select#champ-assignee option[selected]")
    assert [option.text for option in selected] == ["Inès Technicienne"]
    # Inès leaves the bureau: still shown as the ticket's technician, not silently dropped at the next change.
    with transaction_scope(registry) as request:
        request.db.execute(sa.delete(Member).where(Member.account_id == tickets(registry)[0].assignee_id))
    selected = app.get(url).html.select("select#champ-assignee option[selected]")
    assert [(option["value"], option.text) for option in selected] == [("tech2", "Inès Technicienne")]


# ---------------------------------------------------------------------------
# Major incidents and bulk actions
# ---------------------------------------------------------------------------


def test_resolving_a_major_incident_resolves_and_notifies_every_child(app, registry, sign_in):
    parent = open_as(app, sign_in, "agent", category="Logiciels", title="Messagerie en panne pour tous")
    children = [open_as(app, sign_in, "agente", category="Logiciels", title=f"Plus de mail {n}") for n in range(3)]
    delivered_mail(registry)
    sign_in("tech1")
    queue = app.get("/intranet/assistance/file/")
    fields = [("csrf_token", csrf_token(queue)), ("action", "link"), ("parent", f"HD-{parent:06d}")]
    fields += [("ticket", str(child)) for child in children]
    assert app.post("/intranet/assistance/file/lot", fields).status_int == 303
    assert [t.parent_id for t in tickets(registry)] == [None, parent, parent, parent]
    url = f"/intranet/assistance/tickets/{parent}"
    assert post(app, url + "/statut", app.get(url), status=RESOLVED).status_int == 303
    assert {t.status for t in tickets(registry)} == {RESOLVED}
    resolved_mail = [m for m in delivered_mail(registry) if "Demande résolue" in m["Subject"]]
    assert sorted(m["To"] for m in resolved_mail) == ["agent@province-sud.nc"] + ["agente@province-sud.nc"] * 3


def test_bulk_actions_are_all_or_nothing(app, registry, sign_in, helpdesk):
    own = open_as(app, sign_in, category="Logiciels")
    other = open_as(app, sign_in, category="Réseau > VPN")  # INFRA: tech1 may not touch it
    sign_in("tech1")
    queue = app.get("/intranet/assistance/file/")
    fields = [("csrf_token", csrf_token(queue)), ("action", "take"), ("ticket", str(own)), ("ticket", str(other))]
    response = app.post("/intranet/assistance/file/lot", fields, expect_errors=True)
    assert response.status_int == 403
    assert "dont vous n'êtes pas membre" in text_of(response)
    assert [t.assignee_id for t in tickets(registry)] == [None, None]
    fields = [("csrf_token", csrf_token(queue)), ("action", "take"), ("ticket", str(own))]
    assert app.post("/intranet/assistance/file/lot", fields).status_int == 303
    assert tickets(registry)[0].assignee_id == helpdesk.accounts["tech1"]
    nothing = app.post(
        "/intranet/assistance/file/lot", [("csrf_token", csrf_token(queue)), ("action", "take")], expect_errors=True
    )
    assert nothing.status_int == 400
    assert "Cochez au moins un ticket." in text_of(nothing)


# ---------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------


def test_queue_views_search_and_keyset_pages(app, registry, sign_in, helpdesk):
    for n in range(7):
        open_as(app, sign_in, category="Logiciels", title=f"Imprimante bloquée {n}" if n % 2 else f"Écran noir {n}")
    sign_in("tech1")
    queue = app.get("/intranet/assistance/file/")
    assert queue.html.select("table.queue tbody tr").__len__() == 7
    found = app.get("/intranet/assistance/file/", {"text": "imprimante"})
    assert sorted(a.text for a in found.html.select("table.queue tbody td:nth-of-type(2) a")) == [
        "HD-000002",
        "HD-000004",
        "HD-000006",
    ]
    by_reference = app.get("/intranet/assistance/file/", {"text": "hd-000005"})
    assert [a.text for a in by_reference.html.select("table.queue tbody td:nth-of-type(2) a")] == ["HD-000005"]
    from cagou_helpdesk import queries

    seen = []
    with transaction_scope(registry) as request:
        tech = request.db.get(
            __import__("cagou.identity.models", fromlist=["Account"]).Account, helpdesk.accounts["tech1"]
        )
        filters = queries.QueueFilter(sort="recent")
        while True:
            page = queries.queue(request, tech, filters, page_size=3)
            seen += [ticket.id for ticket in page.tickets]
            if page.next_cursor is None:
                break
            filters.after = page.next_cursor
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    post(app, "/intranet/assistance/tickets/3/prendre", queue)
    mine = app.get("/intranet/assistance/file/", {"view": "mine"})
    assert [a.text for a in mine.html.select("table.queue tbody td:nth-of-type(2) a")] == ["HD-000003"]
    unassigned = app.get("/intranet/assistance/file/", {"view": "unassigned"})
    assert "HD-000003" not in unassigned.text


def test_a_technician_in_two_groups_narrows_the_queue_to_one(app, registry, sign_in, helpdesk):
    """Théo works on both queues; the group filter shows one, and a group outside his own shows nothing."""
    with transaction_scope(registry) as request:
        request.db.add(Member(group_id=helpdesk.groups["INFRA"], account_id=helpdesk.accounts["tech1"]))
    open_as(app, sign_in, category="Logiciels", title="Écran noir")  # BAU's queue
    open_as(app, sign_in, category="Réseau > VPN", title="VPN coupé")  # INFRA's
    sign_in("tech1")

    def titles(**params: str) -> list[str]:
        page = app.get("/intranet/assistance/file/", params)
        return sorted(next(cell.stripped_strings) for cell in page.html.select("table.queue tbody td:nth-of-type(3)"))

    assert titles() == ["VPN coupé", "Écran noir"]
    assert titles(in_group=str(helpdesk.groups["INFRA"])) == ["VPN coupé"]
    assert titles(in_group=str(helpdesk.groups["BAU"]), view="all") == ["Écran noir"]
    page = app.get("/intranet/assistance/file/")
    offered = [option.text for option in page.html.select("#filtre-groupe option")]
    assert offered == ["Tous mes groupes", "Bureau de l'assistance aux utilisateurs", "Bureau des infrastructures"]
    sign_in("tech2")  # BAU only: one queue, no group filter, and INFRA's tickets stay out of reach
    assert not app.get("/intranet/assistance/file/").html.select("#filtre-groupe")
    assert titles(in_group=str(helpdesk.groups["INFRA"])) == []


def test_breaching_tickets_are_highlighted_and_the_manager_is_told_once(app, registry, sign_in, clock):
    open_as(
        app, sign_in, category="Logiciels", urgency="3", impact="3"
    )  # P1: first response within 30 business minutes
    delivered_mail(registry)
    sign_in("tech1")
    clock.advance(minutes=10)
    soon = app.get("/intranet/assistance/file/", {"view": "breaching"})
    assert soon.html.select("tr.row-soon")
    assert [mark.text for mark in app.get("/intranet/").html.select(".ticket-list .breach")] == ["Bientôt hors délai"]
    clock.advance(minutes=30)
    sign_in("tech1")  # idle for more than the session's 30 minutes
    late = app.get("/intranet/assistance/file/")
    assert late.html.select("tr.row-breached")
    assert "Hors délai" in late.text
    assert [mark.text for mark in app.get("/intranet/").html.select(".ticket-list .breach")] == ["Hors délai"]
    from cagou_helpdesk.jobs import notify_breaches

    notify_breaches(registry)
    notify_breaches(registry)
    notices = [m for m in delivered_mail(registry) if "Hors délai" in m["Subject"]]
    assert [m["To"] for m in notices] == ["chef@province-sud.nc"]
    assert "a dépassé son délai de première réponse" in notices[0].get_content()


def test_mon_groupe_is_only_for_the_members_of_a_group(app, registry, sign_in, helpdesk):
    """An administrator in no group saw "Mon groupe" holding every ticket; it is now their groups' queue only."""
    open_as(app, sign_in, category="Logiciels", title="Écran noir")  # BAU's queue
    open_as(app, sign_in, category="Réseau > VPN", title="VPN coupé")  # INFRA's
    sign_in("hdadmin")

    def shown(**params: str) -> tuple[list[str], str, list[str]]:
        page = app.get("/intranet/assistance/file/", params)
        tabs = page.html.find("nav", attrs={"aria-label": "Vues de la file"})
        titles = sorted(next(cell.stripped_strings) for cell in page.html.select("table.queue tbody td:nth-of-type(3)"))
        return [a.text for a in tabs.find_all("a")], tabs.find("a", attrs={"aria-current": "page"}).text, titles

    views, current, titles = shown()
    assert "Mon groupe" not in views
    assert current == "Non attribués" and titles == ["VPN coupé", "Écran noir"]
    assert shown(view="group")[1:] == ("Non attribués", ["VPN coupé", "Écran noir"])
    with transaction_scope(registry) as request:
        request.db.add(Member(group_id=helpdesk.groups["BAU"], account_id=helpdesk.accounts["hdadmin"]))
    views, current, titles = shown()
    assert "Mon groupe" in views
    assert current == "Mon groupe" and titles == ["Écran noir"]
    assert shown(view="unassigned")[2] == ["VPN coupé", "Écran noir"]  # every queue, as an administrator


def test_a_deactivated_technicians_tickets_return_to_the_queue(app, registry, sign_in, helpdesk):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    sign_in("tech1")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    post(app, url + "/prendre", app.get(url))
    post(app, url + "/statut", app.get(url), status=IN_PROGRESS)
    with transaction_scope(registry) as request:
        from cagou.interfaces import IAccounts

        accounts = request.find_service(IAccounts)
        accounts.deactivate(accounts.by_login("tech1"))
    ticket = tickets(registry)[0]
    assert (ticket.assignee_id, ticket.status) == (None, NEW)
    assert audit_actions(registry)[-1] == "helpdesk:ticket:release"


def test_attachments_of_internal_notes_stay_internal(app, registry, sign_in):
    ticket_id = open_as(app, sign_in, category="Logiciels")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    sign_in("tech1")
    page = app.get(url)
    app.post(url + "/repondre", {"csrf_token": csrf_token(page), "body": "Journal interne", "kind": NOTE},
             upload_files=[("attachments", "interne.txt", b"secret du poste")])  # fmt: skip
    with transaction_scope(registry) as request:
        attachment_id = request.db.scalar(sa.select(Attachment.id))
    sign_in("agent")
    assert app.get(f"{url}/pieces/{attachment_id}", expect_errors=True).status_int == 404
    assert "interne.txt" not in app.get(url).text


def test_absurd_ids_and_references_find_nothing_instead_of_failing(app, registry, sign_in):
    open_as(app, sign_in, category="Logiciels")
    sign_in("tech1")
    huge = "9" * 25
    assert app.get(f"/intranet/assistance/tickets/{huge}", expect_errors=True).status_int == 404
    assert app.get(f"/intranet/assistance/tickets/1/pieces/{huge}", expect_errors=True).status_int == 404
    found = app.get("/intranet/assistance/file/", {"text": f"HD-{huge}"})
    assert "Aucun ticket dans cette vue." in text_of(found)
    assert app.get("/intranet/recherche", {"q": f"HD-{huge}"}).status_int == 200
    page = app.get("/intranet/assistance/tickets/1")
    refused = post(app, "/intranet/assistance/tickets/1/incident", page, parent=f"HD-{huge}")
    assert refused.status_int == 400


def test_a_requester_without_a_usable_address_still_opens_a_ticket(app, registry, sign_in, helpdesk):
    with transaction_scope(registry) as request:
        from cagou.identity.models import Account

        request.db.get_one(Account, helpdesk.accounts["agent"]).email = "paul@intranet"
    ticket_id = open_as(app, sign_in, category="Logiciels")
    assert tickets(registry)[0].id == ticket_id
    assert delivered_mail(registry) == []
