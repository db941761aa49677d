"""IT administrators manage accounts and roles from the console."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.identity.models import Account
from cagou.testing import csrf_token, login
from cagou_sample.models import SampleEvent

STRONG = "pandanus-niaouli-houle"


@pytest.fixture
def admin(app, demonstration):
    return login(app, "admin", "demo-admin-2026")


def account_id(registry, login_name: str) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(Account.id).where(Account.login == login_name)))


def test_find_accounts_by_name_and_kind(app, admin):
    page = app.get("/intranet/console/comptes/", {"q": "wahetra"})
    assert [a.text for a in page.html.select("tbody a")] == ["agent"]
    page = app.get("/intranet/console/comptes/", {"type": "citizen"})
    assert [a.text for a in page.html.select("tbody a")] == ["citoyen"]


def test_create_an_agent_and_refuse_bad_input_next_to_the_field(app, registry, admin):
    page = app.get("/intranet/console/comptes/nouveau")
    form = page.forms["formulaire-compte"]
    form["login"] = "nouvel.agent"
    form["display_name"] = "Nouvel Agent"
    form["email"] = "pas-une-adresse"
    form["directorate"] = "DSI-BAU"
    refused = form.submit(status=400)
    assert "adresse électronique valide" in refused.html.find(id="erreur-email").text
    assert account_id_or_none(registry, "nouvel.agent") is None
    form = refused.forms["formulaire-compte"]
    form["email"] = "nouvel.agent@province-sud.example.nc"
    form["password"] = STRONG
    created = form.submit().follow()
    assert created.html.find("h1").text.startswith("Nouvel Agent")
    with transaction_scope(registry) as request:
        events = list(request.db.scalars(sa.select(SampleEvent.detail).where(SampleEvent.kind == "created")))
    assert "nouvel.agent" in events  # the lifecycle hook fired


def account_id_or_none(registry, login_name: str) -> int | None:
    with transaction_scope(registry) as request:
        return request.db.scalar(sa.select(Account.id).where(Account.login == login_name))


def test_grant_a_role_within_a_directorate_and_see_the_effective_permissions(app, registry, admin):
    agent = account_id(registry, "agent")
    page = app.get(f"/intranet/console/comptes/{agent}")
    form = next(f for f in page.forms.values() if f.action.endswith("/roles"))
    form["role"] = "sample:editor"
    form["role_directorate"] = "DEFE"
    detail = form.submit().follow()
    row = detail.html.find("tbody").find("tr")
    assert "Rédacteur des notes d'exemple" in row.text
    assert "Direction de l'économie" in row.text
    assert "sample:note:edit" in row.text
    revoke = next(f for f in detail.forms.values() if f.action.endswith("/retirer"))
    after = revoke.submit().follow()
    assert "Aucun rôle" in after.text
    with transaction_scope(registry) as request:
        actions = list(request.db.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == str(agent))))
    assert {"core:account:grant", "core:account:revoke"} <= set(actions)


def test_a_platform_wide_role_cannot_be_given_a_directorate(app, registry, admin):
    agent = account_id(registry, "agent")
    page = app.get(f"/intranet/console/comptes/{agent}")
    form = next(f for f in page.forms.values() if f.action.endswith("/roles"))
    form["role"] = "sample:reader"
    form["role_directorate"] = "DSI"
    refused = form.submit(status=400)
    assert "sans direction" in refused.html.find(id="erreur-role_directorate").text


def test_deactivate_then_reactivate_an_agent(app, registry, admin):
    agent = account_id(registry, "agent")
    page = app.get(f"/intranet/console/comptes/{agent}")
    app.post(f"/intranet/console/comptes/{agent}/etat", {"csrf_token": csrf_token(page), "active": "0"}).follow()
    with transaction_scope(registry) as request:
        assert not request.db.get(Account, agent).active
        deactivated = list(request.db.scalars(sa.select(SampleEvent.detail).where(SampleEvent.kind == "deactivated")))
    assert deactivated == ["agent"]
    app.post(f"/intranet/console/comptes/{agent}/etat", {"csrf_token": csrf_token(page), "active": "1"}).follow()
    with transaction_scope(registry) as request:
        assert request.db.get(Account, agent).active


def test_an_administrator_cannot_deactivate_their_own_account(app, registry, admin):
    me = account_id(registry, "admin")
    page = app.post(f"/intranet/console/comptes/{me}/etat", {"csrf_token": csrf_token(admin), "active": "0"}).follow()
    assert "votre propre compte" in page.text
    with transaction_scope(registry) as request:
        assert request.db.get(Account, me).active


def test_agents_cannot_manage_accounts(app, registry, admin):
    agent = account_id(registry, "agent")
    app.reset()
    page = login(app, "agent", "demo-agent-2026")
    app.get("/intranet/console/comptes/", status=403)
    app.post(f"/intranet/console/comptes/{agent}/etat", {"csrf_token": csrf_token(page), "active": "0"}, status=403)


def test_unknown_accounts_are_not_found(app, admin):
    app.get("/intranet/console/comptes/999999", status=404)
    app.get("/intranet/console/comptes/abc", status=404)
