"""The audit log in the IT console (filters, search, pages, detail, CSV) and an object's history for agents."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
import webtest

from cagou.audit.models import AuditEntry
from cagou.audit.sealer import seal
from cagou.db import transaction_scope
from cagou.identity.policy import act_as
from cagou.interfaces import IAccounts, IAuditLog
from cagou.testing import login
from cagou_sample.models import SampleNote

JOURNAL = "/intranet/console/journal/"
HTMX = {"HX-Request": "true", "HX-Target": "journal-recherche"}


def record_as(registry, login_name: str | None, action: str, summary: str, module: str = "sample", **extra) -> int:
    """An entry written by a request of ``login_name`` (None: the system)."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name) if login_name else None
        act_as(request, account)
        entry_id: int = request.find_service(IAuditLog).record(action, summary, module=module, **extra).id
    return entry_id


@pytest.fixture
def admin(app, demonstration, clock):
    login(app, "admin", "demo-admin-2026")
    return app


def summaries(page) -> list[str]:
    table = page.html.find(id="entrees-journal")
    return [row.find_all("td")[5].text for row in table.select("tbody tr")]


def test_filters_by_module_person_action_object_and_kind(admin, registry):
    record_as(registry, "agent", "sample:note:create", "Note « Budget » ajoutée.", object_type="note", object_id="1")
    record_as(
        registry, "technicien", "sample:note:create", "Note « Congés » ajoutée.", object_type="note", object_id="2"
    )
    record_as(registry, "technicien", "sample:note:read", "Note « Congés » lue.", object_type="note", object_id="2")
    with transaction_scope(registry) as request:
        request.find_service(IAuditLog).record_read("sample:note:read", "Note « Budget » lue.", "sample", "note", "1")
    assert summaries(admin.get(JOURNAL, {"module": "sample", "qui": "technicien"})) == [
        "Note « Congés » lue.",
        "Note « Congés » ajoutée.",
    ]
    assert summaries(admin.get(JOURNAL, {"action": "sample:note:create", "qui": "AGENT"})) == [
        "Note « Budget » ajoutée."
    ]
    assert summaries(admin.get(JOURNAL, {"type_objet": "note", "objet": "1"})) == [
        "Note « Budget » lue.",
        "Note « Budget » ajoutée.",
    ]
    assert summaries(admin.get(JOURNAL, {"module": "sample", "nature": "read"})) == ["Note « Budget » lue."]


def test_the_period_is_read_in_noumea_dates(admin, registry, clock):
    # The frozen clock says 23 March 22:00 UTC: the 24th, 9:00, in Nouméa.
    record_as(registry, "agent", "sample:note:create", "Écrite le 24 mars à Nouméa.")
    clock.advance(days=2)
    record_as(registry, "agent", "sample:note:create", "Écrite le 26 mars à Nouméa.")
    clock.advance(days=-2)  # back to when the administrator signed in, whose session would have expired
    assert summaries(admin.get(JOURNAL, {"module": "sample", "du": "2026-03-24", "au": "2026-03-24"})) == [
        "Écrite le 24 mars à Nouméa."
    ]
    assert summaries(admin.get(JOURNAL, {"module": "sample", "au": "23/03/2026"})) == []
    assert summaries(admin.get(JOURNAL, {"module": "sample", "du": "25/03/2026"})) == ["Écrite le 26 mars à Nouméa."]


def test_a_bad_date_is_refused_next_to_its_field(admin):
    page = admin.get(JOURNAL, {"du": "31/02/2026"}, status=400)
    error = page.html.find(id="erreur-du")
    assert error.text == "Saisissez une date valide au format JJ/MM/AAAA (par exemple 23/03/2026)."
    field = page.html.find(id="champ-du")
    assert field["aria-invalid"] == "true"
    assert "erreur-du" in field["aria-describedby"]
    assert page.html.find("title").text.startswith("Erreur")
    assert page.html.find(id="entrees-journal") is None
    reversed_period = admin.get(JOURNAL, {"du": "2026-03-24", "au": "2026-03-20"}, status=400)
    assert reversed_period.html.find(id="erreur-au").text == (
        "La date de fin (20/03/2026) précède la date de début (24/03/2026) : inversez-les."
    )


def test_full_text_search_on_the_summary(admin, registry):
    record_as(registry, "agent", "sample:note:create", "Note « Congés annuels » ajoutée.")
    record_as(registry, "agent", "sample:note:create", "Note « Budget » ajoutée.")
    assert summaries(admin.get(JOURNAL, {"q": "congés"})) == ["Note « Congés annuels » ajoutée."]
    assert summaries(admin.get(JOURNAL, {"q": "annuels congés", "module": "sample"})) == [
        "Note « Congés annuels » ajoutée."
    ]
    assert summaries(admin.get(JOURNAL, {"q": "vacances"})) == []
    assert len(summaries(admin.get(JOURNAL, {"q": "« »", "module": "sample"}))) == 2  # no word: no text filter


def test_htmx_swaps_the_results_and_announces_them(admin, registry):
    record_as(registry, "agent", "sample:note:create", "Note « Budget » ajoutée.")
    fragment = admin.get(JOURNAL, {"module": "sample"}, headers=HTMX)
    assert "<html" not in fragment.text
    assert fragment.html.find(id="journal-recherche") is not None
    assert fragment.html.find(id="journal-statut-message").text == "Entrées affichées : 1"
    assert summaries(fragment) == ["Note « Budget » ajoutée."]
    # htmx swaps no error response: the fragment with the error comes with 200.
    refused = admin.get(JOURNAL, {"du": "demain"}, headers=HTMX)
    assert refused.html.find(id="erreur-du") is not None
    full_page = admin.get(JOURNAL, {"module": "sample"})
    assert full_page.html.find(id="journal-statut").get("role") == "status"
    form = full_page.html.find("form", attrs={"role": "search"})
    for field in form.find_all(["input", "select"]):
        assert full_page.html.find("label", attrs={"for": field["id"]}) is not None


def test_pages_of_older_entries_keep_the_filters(admin, registry):
    with transaction_scope(registry) as request:
        audit = request.find_service(IAuditLog)
        for number in range(105):
            audit.record("sample:note:create", f"Note {number:03d} ajoutée.", module="sample")
    first = admin.get(JOURNAL, {"module": "sample"})
    assert len(summaries(first)) == 100
    assert summaries(first)[0] == "Note 104 ajoutée."
    older = first.html.find("a", string="Entrées plus anciennes")
    assert "module=sample" in older["href"]
    second = admin.get(older["href"])
    assert summaries(second) == [f"Note {number:03d} ajoutée." for number in range(4, -1, -1)]
    assert second.html.find("a", string="Entrées plus anciennes") is None


def test_the_detail_of_an_entry_shows_everything_and_the_change(admin, registry):
    entry_id = record_as(
        registry,
        "technicien",
        "sample:note:edit",
        "Note « Budget » renommée « Budget 2027 ».",
        object_type="note",
        object_id="3",
        changes={"before": {"title": "Budget"}, "after": {"title": "Budget 2027"}},
    )
    page = admin.get(f"{JOURNAL}{entry_id}")
    facts = page.html.find("dl", class_="facts").text
    assert "technicien (agent" in facts
    assert "sample:note:edit" in facts
    assert "En attente de scellement" in facts
    row = page.html.find("th", string="title").find_parent("tr")
    assert [cell.text for cell in row.find_all("td")] == ["Budget", "Budget 2027"]
    seal(registry)
    assert "Position" in admin.get(f"{JOURNAL}{entry_id}").html.find("dl", class_="facts").text
    admin.get(f"{JOURNAL}999999", status=404)


def test_the_csv_export_is_for_excel_and_is_itself_recorded(admin, registry):
    record_as(
        registry, "agent", "sample:note:create", "Note « Budget ; 2026 » ajoutée.", object_type="note", object_id="1"
    )
    record_as(registry, "agent", "sample:note:create", 'Note « Dite "la grande" » ajoutée.')
    response = admin.get("/intranet/console/journal/export.csv", {"module": "sample"})
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="journal-audit-')
    assert response.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["N°", "Date (heure de Nouméa)", "Compte", "Type de compte"]
    assert [row[13] for row in rows[1:]] == ['Note « Dite "la grande" » ajoutée.', "Note « Budget ; 2026 » ajoutée."]
    assert rows[2][1] == "24/03/2026 09:00:00"
    with transaction_scope(registry) as request:
        export = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "core:audit:export")).one()
    assert (export.category, export.actor_login) == ("read", "admin")
    assert export.summary == "Export CSV du journal d'audit (module = sample)."
    admin.get("/intranet/console/journal/export.csv", {"du": "hier"}, status=400)


def test_the_csv_export_defuses_formulas_anyone_can_put_in_the_log(app, admin, registry):
    """A crafted user agent at sign-in, or a summary quoting what someone typed, never runs in the spreadsheet."""
    attacker = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    attacker.get("/intranet/connexion")
    page = attacker.get("/intranet/connexion", headers={"User-Agent": '=HYPERLINK("http://pirate.example","x")'})
    form = page.forms[0]
    form["login"], form["password"] = "agent", "pas le bon"
    form.submit(headers={"User-Agent": '=HYPERLINK("http://pirate.example","x")'}, expect_errors=True)
    record_as(registry, "agent", "sample:note:create", "@SUM(1+1)*cmd|' /C calc'!A0", object_type="note")
    record_as(registry, "agent", "sample:note:create", " -2+3")
    rows = list(csv.reader(io.StringIO(admin.get(f"{JOURNAL}export.csv").text), delimiter=";"))
    agents = {row[6] for row in rows[1:]}
    assert '\'=HYPERLINK("http://pirate.example","x")' in agents
    summaries = {row[13] for row in rows[1:]}
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in summaries and "' -2+3" in summaries
    for row in rows[1:]:
        assert not any(cell.lstrip(" ").startswith(("=", "+", "-", "@")) for cell in row), row


# -- an object's history, for agents -----------------------------------------------


@pytest.fixture
def note(registry, demonstration) -> str:
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).grant(request.find_service(IAccounts).by_login("technicien"), "sample:reader")
        note = SampleNote(title="Budget 2026")
        request.db.add(note)
        request.db.flush()
        note_id = str(note.id)
    record_as(
        registry,
        "technicien",
        "sample:note:create",
        "Note « Budget 2026 » ajoutée.",
        object_type="note",
        object_id=note_id,
    )
    record_as(registry, None, "sample:note:create", "Autre note ajoutée.", object_type="note", object_id="999")
    return note_id


def test_an_agent_sees_the_history_of_a_note_they_may_read(app, registry, note):
    login(app, "technicien", "demo-technicien-2026")
    page = app.get(f"/intranet/journal/note/{note}")
    rows = page.html.find(id="historique-objet").select("tbody tr")
    assert [row.find_all("td")[3].text for row in rows] == ["Note « Budget 2026 » ajoutée."]
    assert page.html.find("h1").text == f"Historique de l'objet « note » n° {note}"
    app.get("/intranet/journal/note/999", status=404)  # no such note
    app.get("/intranet/journal/account/1", status=404)  # not the sample module's to say
    app.get(JOURNAL, status=403)  # the rest of the log stays closed


def test_an_agent_without_the_role_gets_404(app, note):
    login(app, "agent", "demo-agent-2026")
    app.get(f"/intranet/journal/note/{note}", status=404)


def test_an_it_administrator_sees_every_history(app, note):
    login(app, "admin", "demo-admin-2026")
    page = app.get("/intranet/journal/account/1")
    assert page.html.find(id="historique-objet") is not None


def test_a_disabled_module_no_longer_opens_its_objects_history(app, registry, note):
    from cagou.modules.services import module_states

    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "intranet", False)
    login(app, "technicien", "demo-technicien-2026")
    app.get(f"/intranet/journal/note/{note}", status=404)


def test_the_history_page_needs_a_signed_in_agent(app, note):
    response = app.get(f"/intranet/journal/note/{note}")
    assert response.status_int == 303 and "/connexion" in response.location
