"""How the helpdesk plugs into the platform: hooks, widgets, search, audit, equipment, switching it off."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
import webtest
from pyramid.registry import Registry

from cagou import Equipment
from cagou.db import transaction_scope
from cagou.identity.models import Account
from cagou.jobs.services import run_due_jobs
from cagou.modules.services import module_states
from cagou.testing import csrf_token, replace_hook
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import RESOLVED, Ticket


def open_for(
    registry: Registry, login: str, title: str = "Écran noir au démarrage", category: str = "Logiciels"
) -> int:
    with transaction_scope(registry) as request:
        requester = request.db.scalars(sa.select(Account).where(Account.login == login)).one()
        data = TicketInput(title=title, description="Depuis la mise à jour.", category=category)
        return request.find_service(ITickets).open(data, requester).id


def lends_a_laptop_to_agent(request, account) -> list[Equipment]:
    """Another module's answer to ``cagou_equipment_held``: the laptop it lent to ``agent``."""
    return [Equipment("Ordinateur portable", "PS-2020-0042", "Dell Latitude 5410")] if account.login == "agent" else []


def test_the_ticket_shows_what_another_module_lends_to_the_requester(app, registry, sign_in, monkeypatch):
    # The platform of these tests loads the sample module beside the helpdesk (conftest.py): its hook answers
    # here through the hook alone, as a lending module's would; the helpdesk imports no other module.
    replace_hook(registry, "cagou_equipment_held", "sample", lends_a_laptop_to_agent, monkeypatch)
    ticket_id = open_for(registry, "agent")
    sign_in("tech1")
    page = app.get(f"/intranet/assistance/tickets/{ticket_id}")
    assert "PS-2020-0042" in page.text
    assert "Dell Latitude 5410" in page.text
    # The requester's own page does not list it: it is for the technician.
    sign_in("agent")
    assert "PS-2020-0042" not in app.get(f"/intranet/assistance/tickets/{ticket_id}").text


def test_without_a_lending_module_the_ticket_says_so(app, registry, sign_in):
    ticket_id = open_for(registry, "agent")
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "intranet", False)
    sign_in("tech1")
    page = app.get(f"/intranet/assistance/tickets/{ticket_id}")
    assert "Aucun module ne signale de matériel prêté à cette personne." in " ".join(page.html.get_text().split())


def test_my_space_shows_my_requests_and_my_queue(app, registry, sign_in):
    open_for(registry, "agent", "Imprimante du 3e étage")
    sign_in("agent")
    space = app.get("/intranet/")
    assert "Mes demandes en cours" in space.text
    assert "Imprimante du 3e étage" in space.text
    assert "Ma file d'assistance" not in space.text
    # The widget's links are a list the layout spaces: no written "·" to start a line when they wrap.
    widget = space.html.find("a", string="Toutes mes demandes").find_parent(class_="widget")
    assert "·" not in widget.get_text()
    links = widget.find("ul", class_="links")
    assert [item.a.text for item in links.find_all("li")] == ["Demander une intervention", "Toutes mes demandes"]
    sign_in("tech1")
    space = app.get("/intranet/")
    assert "Ma file d'assistance" in space.text


def test_global_search_finds_articles_and_own_tickets_only(app, registry, sign_in):
    open_for(registry, "agente", "Souris introuvable")
    open_for(registry, "agent", "Souris sans fil capricieuse")
    sign_in("agent")
    results = app.get("/intranet/recherche", {"q": "souris"})
    assert "Souris sans fil capricieuse" in results.text
    assert "Souris introuvable" not in results.text
    assert "Configurer le VPN à la maison" in app.get("/intranet/recherche", {"q": "vpn"}).text
    sign_in("tech1")
    both = app.get("/intranet/recherche", {"q": "souris"})
    assert "Souris introuvable" in both.text and "Souris sans fil capricieuse" in both.text


def test_the_ticket_history_is_in_the_audit_log_for_those_who_may_read_it(app, registry, sign_in):
    ticket_id = open_for(registry, "agent")
    sign_in("tech1")
    url = f"/intranet/assistance/tickets/{ticket_id}"
    page = app.get(url)
    app.post(url + "/prendre", {"csrf_token": csrf_token(page)})
    history = app.get(f"/intranet/journal/ticket/{ticket_id}")
    assert "Ticket HD-000001 pris par Théo Technicien." in history.text
    sign_in("agente")
    assert app.get(f"/intranet/journal/ticket/{ticket_id}", expect_errors=True).status_int in (403, 404)


def test_a_disabled_helpdesk_disappears_and_keeps_its_data(app, registry, sign_in, clock):
    ticket_id = open_for(registry, "agent")
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "helpdesk", "intranet", False)
    sign_in("agent")
    assert app.get("/intranet/assistance/", expect_errors=True).status_int == 404
    assert app.get(f"/intranet/assistance/tickets/{ticket_id}", expect_errors=True).status_int == 404
    space = app.get("/intranet/")
    assert "Mes demandes en cours" not in space.text
    assert "/intranet/assistance/" not in space.text
    clock.instant = clock.instant.replace(minute=0, second=0)
    assert not {"helpdesk.breaches", "helpdesk.close"} & set(
        run_due_jobs(registry, clock.now() + datetime.timedelta(minutes=15))
    )
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "helpdesk", "intranet", True)
    assert "Écran noir au démarrage" in app.get(f"/intranet/assistance/tickets/{ticket_id}").text
    assert {"helpdesk.breaches", "helpdesk.close"} <= set(
        run_due_jobs(registry, clock.now() + datetime.timedelta(minutes=15))
    )


def test_the_roles_reach_the_right_people(app: webtest.TestApp, registry, sign_in):
    sign_in("agent")  # every agent may ask for help, without any grant
    assert app.get("/intranet/assistance/nouvelle").status_int == 200
    assert app.get("/intranet/assistance/file/", expect_errors=True).status_int == 403
    sign_in("tech1")
    assert app.get("/intranet/assistance/file/").status_int == 200
    assert app.get("/intranet/assistance/tableau-de-bord/", expect_errors=True).status_int == 403


def test_outside_a_request_the_service_acts_for_the_named_technician(registry, helpdesk):
    ticket_id = open_for(registry, "agent")
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, ticket_id)
        technician = request.db.get_one(Account, helpdesk.accounts["tech1"])
        request.find_service(ITickets).change_status(ticket, RESOLVED, technician=technician)
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, ticket_id).status == RESOLVED


def test_the_module_stylesheet_is_served_on_the_intranet_while_the_module_is_enabled(app, registry):
    stylesheet = app.get("/intranet/static-helpdesk/helpdesk.css")
    assert stylesheet.content_type == "text/css"
    assert ".ticket-layout" in stylesheet.text
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "helpdesk", "intranet", False)
    # (The core's not-found view first tries the address with a trailing slash.)
    gone = app.get("/intranet/static-helpdesk/helpdesk.css", expect_errors=True).maybe_follow(expect_errors=True)
    assert gone.status_int == 404
