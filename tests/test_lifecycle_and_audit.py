"""People's lifecycle hooks and audit observers, as modules see them."""

from __future__ import annotations

import pluggy
import sqlalchemy as sa

from cagou import hookspecs
from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.demo import ensure_directorates
from cagou.identity.models import AGENT, CITIZEN
from cagou.interfaces import IAccounts, IAuditLog
from cagou.modules.services import module_states
from cagou.plugins import get_plugins
from cagou.testing import replace_hook
from cagou_sample import hooks as sample_hooks
from cagou_sample.models import SampleEvent


def sample_events(registry) -> list[tuple[str, str]]:
    with transaction_scope(registry) as request:
        rows = request.db.execute(sa.select(SampleEvent.kind, SampleEvent.detail).order_by(SampleEvent.id))
        return [(kind, detail) for kind, detail in rows if kind != "tick"]


def test_creating_moving_and_deactivating_an_agent_calls_each_hook_once(registry):
    with transaction_scope(registry) as request:
        directorates = ensure_directorates(request)
        accounts = request.find_service(IAccounts)
        agent = accounts.create(
            "l.nea", "Léa Néa", AGENT, password="un-mot-de-passe-solide", directorate=directorates["DSI-BAU"]
        )
        accounts.create("jean", "Jean Particulier", CITIZEN, password="un-mot-de-passe-solide")
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        agent = accounts.by_login("l.nea")
        accounts.move(agent, ensure_directorates(request)["DEFE-SAE"])
        accounts.move(agent, ensure_directorates(request)["DEFE-SAE"])  # no move: no hook
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.deactivate(accounts.by_login("l.nea"))
        accounts.deactivate(accounts.by_login("l.nea"))  # already inactive: no second call
    assert sample_events(registry) == [
        ("created", "l.nea"),
        ("moved", "l.nea:DSI-BAU->DEFE-SAE"),
        ("deactivated", "l.nea"),
    ]


def test_a_module_disabled_everywhere_does_not_hear_about_people(registry):
    with transaction_scope(registry) as request:
        for site in ("intranet", "public"):
            module_states(registry).set_enabled(request, "sample", site, False)
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create("absent", "Agent Absent", AGENT)
    assert sample_events(registry) == []


def test_a_lifecycle_hook_that_fails_aborts_nothing_else(registry, monkeypatch):
    def failing(request, account):
        raise RuntimeError("le module a planté")

    replace_hook(registry, "cagou_agent_created", "sample", failing, monkeypatch)
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create("robuste", "Agent Robuste", AGENT)
    with transaction_scope(registry) as request:
        assert request.find_service(IAccounts).by_login("robuste") is not None
    assert any("le module a planté" in fault for fault in get_plugins(registry).modules["sample"].faults)


def test_audit_entries_record_who_when_where_and_what(app, registry):
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create("temoin", "Témoin", AGENT, password="un-mot-de-passe-solide")
    with transaction_scope(registry) as request:
        entry = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "core:account:create")).one()
    assert entry.module == "core"
    assert entry.object_type == "account"
    assert entry.summary == "Compte « temoin » (agent) créé."
    assert entry.changes == {"after": {"login": "temoin", "kind": "agent", "email": None}}
    assert entry.occurred_at.tzinfo is not None


def test_observers_see_entries_only_after_commit(registry):
    observed = sample_hooks.OBSERVED.setdefault(id(registry), [])
    observed.clear()
    try:
        with transaction_scope(registry) as request:
            request.find_service(IAuditLog).record("sample:note:test", "Annulé.", module="sample")
            assert observed == []
            raise RuntimeError("abandon")
    except RuntimeError:
        pass
    assert observed == []
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record("sample:note:test", "Validé.", module="sample", object_id="7")
        assert observed == []
    assert [(entry.summary, entry.object_id) for entry in observed] == [("Validé.", "7")]


def test_without_observers_an_entry_adds_nothing_to_the_commit(registry, monkeypatch):
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record("sample:note:test", "Observé.", module="sample")
        assert len(list(request.tm.get().getAfterCommitHooks())) == 1
    # The same modules, none implementing the hook.
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    monkeypatch.setattr(get_plugins(registry), "manager", manager)
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record("sample:note:test", "Non observé.", module="sample")
        assert list(request.tm.get().getAfterCommitHooks()) == []
    with transaction_scope(registry) as request:
        summaries = request.db.scalars(sa.select(AuditEntry.summary).where(AuditEntry.action == "sample:note:test"))
        assert sorted(summaries) == ["Non observé.", "Observé."]


def test_a_failing_observer_loses_nothing(registry, monkeypatch):
    def failing(registry, entry):
        raise ConnectionError("le SIEM ne répond pas")

    replace_hook(registry, "cagou_audit_observed", "sample", failing, monkeypatch)
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record("sample:note:test", "Conservé.", module="sample")
    with transaction_scope(registry) as request:
        assert (
            request.db.scalar(sa.select(AuditEntry.summary).where(AuditEntry.action == "sample:note:test"))
            == "Conservé."
        )
