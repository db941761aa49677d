"""The kit's forms (cagou.web.form_handling), through the sample module's page that uses them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from webob.multidict import MultiDict

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.demo import load_demo
from cagou.interfaces import IAccounts
from cagou.testing import csrf_token, login
from cagou_sample.forms import survey_form
from cagou_sample.models import SampleNote

PAGE = "/intranet/exemple/nouvelle"
DEMO_NOTES = ("Première note", "Seconde note")


@pytest.fixture
def agent(app, registry):
    with transaction_scope(registry) as request:
        load_demo(request)
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")
    login(app, "agent", "demo-agent-2026")
    return app


def stored(registry) -> tuple[list[str], list[str]]:
    """The notes added by the test (the demonstration has its own) and their audit entries."""
    with transaction_scope(registry) as request:
        notes = request.db.scalars(
            sa.select(SampleNote.title).where(SampleNote.title.not_in(DEMO_NOTES)).order_by(SampleNote.id)
        ).all()
        entries = request.db.scalars(
            sa.select(AuditEntry.summary).where(AuditEntry.action == "sample:note:create").order_by(AuditEntry.id)
        ).all()
    return list(notes), list(entries)


def post(agent, status: int, **fields: str):
    page = agent.get(PAGE)
    return agent.post(PAGE, {"csrf_token": csrf_token(page), **fields}, status=status)


def test_a_valid_form_is_saved_by_the_service_flashed_and_redirected(agent, registry):
    done = post(agent, 303, title="  Congés annuels  ", pages="12")
    assert done.location.endswith("/intranet/exemple/")
    assert "Note « Congés annuels » ajoutée." in done.follow().text
    assert stored(registry) == (["Congés annuels"], ["Note « Congés annuels » ajoutée."])


def test_a_field_refused_by_its_validator_is_answered_next_to_it_in_french(agent, registry):
    refused = post(agent, 400, title="   ", pages="douze")
    assert refused.html.find(id="erreur-title").text == "Le titre est obligatoire."
    pages = refused.html.find(id="erreur-pages").text
    assert pages and "integer" not in pages.lower()  # WTForms' own message, in its French catalogue
    assert refused.html.find("title").text.startswith("Erreur")
    assert refused.html.find(id="champ-pages")["value"] == "douze"  # what was typed is kept
    assert stored(registry) == ([], [])


def test_a_refusal_of_the_service_after_it_wrote_keeps_nothing(agent, registry):
    post(agent, 303, title="Budget")
    refused = post(agent, 400, title="budget")
    assert refused.html.find(id="erreur-title").text == "Une note s'intitule déjà « budget », à la casse près."
    assert refused.html.find(id="champ-title")["value"] == "budget"
    assert stored(registry) == (["Budget"], ["Note « Budget » ajoutée."])


def test_a_refusal_of_the_whole_action_has_its_own_status_and_message(agent, registry):
    refused = post(agent, 409, title="Interdit")
    assert "Ce titre est réservé : choisissez-en un autre." in refused.html.find(role="alert").text
    assert stored(registry) == ([], [])


def test_a_form_built_from_data_validates_as_a_written_one():
    form = survey_form(MultiDict({"commune": ""}))
    assert not form.validate()
    assert form.field_errors() == {"commune": "Indiquez votre commune."}
    filled = survey_form(MultiDict({"commune": "Païta"}))
    assert filled.validate()
    assert filled.data == {"commune": "Païta"}
