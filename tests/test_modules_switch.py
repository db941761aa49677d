"""Modules switched on and off at run time, per site, by IT administrators."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
import webtest

from cagou import configure
from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.demo import load_demo
from cagou.interfaces import IAccounts, IModuleStates
from cagou.jobs.services import run_due_jobs
from cagou.modules.services import module_states
from cagou.plugins import get_plugins
from cagou.testing import csrf_token, login
from cagou_sample.models import SampleEvent, SampleNote


def demo(registry) -> None:
    with transaction_scope(registry) as request:
        load_demo(request)


def toggle(app: webtest.TestApp, module: str, site: str, enabled: bool, **kwargs) -> webtest.TestResponse:
    page = app.get("/intranet/console/")
    return app.post(
        f"/intranet/console/modules/{module}/{site}",
        {"csrf_token": csrf_token(page), "enabled": "1" if enabled else "0"},
        **kwargs,
    )


def test_disabling_a_module_hides_everything_it_contributes(app, registry):
    demo(registry)
    login(app, "admin", "demo-admin-2026")
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("admin"), "sample:reader")
    assert app.get("/intranet/exemple/").status_int == 200
    space = app.get("/intranet/")
    assert "Notes d'exemple" in space.text
    assert "Mes notes d'exemple" in space.text
    assert "Première note" in app.get("/intranet/recherche", {"q": "note"}).text

    toggle(app, "sample", "intranet", False).follow()

    app.get("/intranet/exemple/", status=404)
    space = app.get("/intranet/")
    assert "Notes d'exemple" not in space.text
    assert "Mes notes d'exemple" not in space.text
    assert "Première note" not in app.get("/intranet/recherche", {"q": "note"}).text
    # The other site is not concerned, and the data stays.
    assert app.get("/exemple/").status_int == 200
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(SampleNote)) == 2

    toggle(app, "sample", "intranet", True).follow()
    assert app.get("/intranet/exemple/").status_int == 200
    assert "Notes d'exemple" in app.get("/intranet/").text


def test_a_disabled_module_answers_404_even_to_people_without_permission(app, registry):
    demo(registry)
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "intranet", False)
    login(app, "agent", "demo-agent-2026")
    app.get("/intranet/exemple/", status=404)
    app.post("/intranet/exemple/ajouter", {"title": "x"}, status=404, xhr=False, expect_errors=True)


def test_a_module_with_a_closed_notice_says_it_while_disabled(app, registry, monkeypatch):
    """A public service closed for a while says so (503), on its pages and in its API, instead of a 404."""
    module = get_plugins(registry).modules["sample"]
    monkeypatch.setattr(module, "info", dataclasses.replace(module.info, closed_notice="Fermé pour travaux."))
    with transaction_scope(registry) as request:
        request.find_service(IModuleStates).set_enabled(request, "sample", "public", False)
    page = app.get("/exemple/", status=503)
    assert page.html.h1.text == "Service fermé pour le moment" and "Fermé pour travaux." in page.text
    with transaction_scope(registry) as request:
        assert not request.find_service(IModuleStates).is_enabled("sample", "public")


def test_every_change_is_audited_with_who_when_and_from_where(app, registry):
    demo(registry)
    login(app, "admin", "demo-admin-2026")
    toggle(app, "sample", "public", False, extra_environ={"REMOTE_ADDR": "10.1.2.3"})
    with transaction_scope(registry) as request:
        entry = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "core:module:disable")).one()
        assert entry.actor_login == "admin"
        assert entry.address == "10.1.2.3"
        assert entry.object_id == "sample/public"
        assert entry.summary == "Module « Module d'exemple » désactivé sur l'extension publique."
        assert entry.changes == {"before": {"enabled": True}, "after": {"enabled": False}}
        assert entry.occurred_at.tzinfo is not None


def test_the_toggle_answers_htmx_with_the_row_only(app, registry):
    demo(registry)
    login(app, "admin", "demo-admin-2026")
    page = app.get("/intranet/console/")
    response = app.post(
        "/intranet/console/modules/sample/intranet",
        {"enabled": "0"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token(page)},
    )
    assert response.status_int == 200
    assert response.text.lstrip().startswith('<tr id="module-sample">')
    intranet_cell = response.html.find("tr").find_all("td")[1]
    assert intranet_cell.find("span").text == "Désactivé"  # the row shows the state just written
    assert intranet_cell.find("input", attrs={"name": "enabled"})["value"] == "1"
    assert "<html" not in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "désactivé sur l'intranet" in response.html.get_text()


def test_an_agent_cannot_switch_modules(app, registry):
    demo(registry)
    login(app, "agent", "demo-agent-2026")
    page = app.get("/intranet/")
    app.post(
        "/intranet/console/modules/sample/intranet",
        {"csrf_token": csrf_token(page), "enabled": "0"},
        status=403,
    )
    assert module_states(registry).is_enabled("sample", "intranet")


def test_bad_toggles_are_refused_with_a_clear_message(app, registry):
    demo(registry)
    login(app, "admin", "demo-admin-2026")
    page = app.get("/intranet/console/")
    token = csrf_token(page)
    refused = app.post("/intranet/console/modules/core/intranet", {"csrf_token": token, "enabled": "0"}, status=400)
    assert "Le cœur de la plateforme ne peut pas être désactivé." in refused.text
    refused = app.post("/intranet/console/modules/sample/intranet", {"csrf_token": token, "enabled": "2"}, status=400)
    assert "doit valoir 0 ou 1" in refused.text
    app.post("/intranet/console/modules/unknown/intranet", {"csrf_token": token, "enabled": "0"}, status=404)
    app.post("/intranet/console/modules/sample/mars", {"csrf_token": token, "enabled": "0"}, status=404)
    with transaction_scope(registry) as request:
        assert (
            request.db.scalar(
                sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action.like("core:module:%"))
            )
            == 0
        )


def test_the_state_survives_a_restart(settings, registry):
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "public", False)
    restarted = configure(settings).registry
    assert not module_states(restarted).is_enabled("sample", "public")
    assert module_states(restarted).is_enabled("sample", "intranet")


def test_the_default_for_a_new_module_is_a_setting(settings):
    registry = configure({**settings, "cagou.modules.default_enabled": "false"}).registry
    assert not module_states(registry).is_enabled("sample", "intranet")
    app = webtest.TestApp(configure({**settings, "cagou.modules.default_enabled": "false"}).make_wsgi_app())
    app.get("/exemple/", status=404)


def test_another_process_sees_the_change_once_its_snapshot_expires(settings, registry):
    """Each process re-reads the states every ``refresh_seconds``; here two apps share one database."""
    other = configure({**settings, "cagou.modules.refresh_seconds": "3600"})
    other_app = webtest.TestApp(other.make_wsgi_app())
    assert other_app.get("/exemple/").status_int == 200
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "public", False)
    assert other_app.get("/exemple/").status_int == 200  # its snapshot is still fresh
    module_states(other.registry).forget()  # what one second of age does
    other_app.get("/exemple/", status=404)


def test_the_process_that_made_the_change_sees_it_at_once(settings):
    config = configure({**settings, "cagou.modules.refresh_seconds": "3600"})
    registry = config.registry
    assert module_states(registry).is_enabled("sample", "public")
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "public", False)
    assert not module_states(registry).is_enabled("sample", "public")


def test_an_aborted_change_changes_nothing(settings):
    registry = configure({**settings, "cagou.modules.refresh_seconds": "3600"}).registry
    try:
        with transaction_scope(registry) as request:
            module_states(registry).set_enabled(request, "sample", "public", False)
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    module_states(registry).forget()
    assert module_states(registry).is_enabled("sample", "public")


def test_scheduled_work_of_a_disabled_module_does_not_run(registry, clock):
    clock.instant = clock.instant.replace(minute=0, second=0)
    assert "sample.tick" in run_due_jobs(registry, clock.now())
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "intranet", False)
        module_states(registry).set_enabled(request, "sample", "public", False)
    clock.advance(minutes=5)
    assert "sample.tick" not in run_due_jobs(registry, clock.now())
    with transaction_scope(registry) as request:
        ticks = request.db.scalar(sa.select(sa.func.count()).where(SampleEvent.kind == "tick"))
    assert ticks == 1
