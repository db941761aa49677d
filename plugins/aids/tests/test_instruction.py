"""The instructing directorate's pages: its procedures only, the applications list, one application, exports."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IProcedures
from cagou_aids.services.procedures import ProcedureSettings
from pyramid.registry import Registry
from test_services import SETTINGS, submit

from cagou.kit import AGENT, IAccounts, transaction_scope
from cagou.testing import login
from cagou.testing_checks import read_xlsx

INSTRUCTOR, PASSWORD = "instructeur", "lagon-vanille-tricot-2026"


def procedure_in(registry: Registry, directorate_code: str, title: str) -> int:
    with transaction_scope(registry) as request:
        directorate = request.find_service(IAccounts).directorate(directorate_code)
        settings = ProcedureSettings(**{**SETTINGS.__dict__, "title": title, "directorate_id": directorate.id})
        procedures = request.find_service(IProcedures)
        procedure = procedures.create_from_model("repatriation", settings)
        procedures.publish(procedure)
        return procedure.id


@pytest.fixture
def instructor(app: webtest.TestApp, registry: Registry, demonstration: None) -> webtest.TestApp:
    """An instructor of the Service des aides aux entreprises, signed in on the intranet."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        account = accounts.create(INSTRUCTOR, "Léa Instructrice", AGENT, password=PASSWORD)
        accounts.grant(account, "aids:instructor", accounts.directorate("DEFE-SAE"))
    login(app, INSTRUCTOR, PASSWORD)
    return app


def test_an_instructor_sees_the_procedures_of_their_directorate_only(instructor: webtest.TestApp) -> None:
    titles = [link.text for link in instructor.get("/intranet/demarches/").html.select("#demarches a")]
    assert titles == ["Aide exceptionnelle aux entreprises — plan de soutien COVID-19"]


def ids(registry: Registry) -> dict[str, int]:
    from cagou_aids.models import Procedure

    with transaction_scope(registry) as request:
        return {prefix: id_ for id_, prefix in request.db.execute(sa.select(Procedure.id, Procedure.receipt_prefix))}


def test_another_directorate_s_applications_are_refused(instructor: webtest.TestApp, registry: Registry) -> None:
    census = ids(registry)["RAP"]  # the Secrétariat général's
    instructor.get(f"/intranet/demarches/{census}/demandes", status=403)
    instructor.get(f"/intranet/demarches/{census}/demandes/RAP-2020-000001", status=403)
    instructor.get(f"/intranet/demarches/{census}/export.csv", status=403)


def test_the_list_pages_by_keyset_and_filters_on_an_answer(instructor: webtest.TestApp, registry: Registry) -> None:
    business = ids(registry)["AIDE"]
    page = instructor.get(f"/intranet/demarches/{business}/demandes")
    first = [link.text for link in page.html.select("#demandes td:first-child a")]
    assert len(first) == 50
    older = page.click(description="Suivant")
    second = [link.text for link in older.html.select("#demandes td:first-child a")]
    assert len(second) == 50 and not set(first) & set(second) and max(second) < min(first)
    filtered = instructor.get(f"/intranet/demarches/{business}/demandes", {"champ": "commune", "valeur": "Thio"})
    links = filtered.html.select("#demandes td:first-child a")
    assert links
    for link in links[:3]:
        assert "Thio" in instructor.get(link["href"]).html.find(id="reponses").text
    found = instructor.get(f"/intranet/demarches/{business}/demandes", {"q": "aide-2020-000007"})
    assert [link.text for link in found.html.select("#demandes td:first-child a")] == ["AIDE-2020-000007"]


def test_opening_an_application_is_an_audited_read(instructor: webtest.TestApp, registry: Registry) -> None:
    business = ids(registry)["AIDE"]
    page = instructor.get(f"/intranet/demarches/{business}/demandes/AIDE-2020-000001")
    assert page.html.h1.text == "Demande AIDE-2020-000001"
    with transaction_scope(registry) as request:
        entries = request.db.execute(
            sa.text("SELECT category, summary FROM audit_entry WHERE action = 'aids:application:read'")
        ).all()
    assert [tuple(entry) for entry in entries] == [("read", "Demande AIDE-2020-000001 consultée.")]
    instructor.get(f"/intranet/demarches/{business}/demandes/AIDE-2020-999999", status=404)


def test_the_exports_hold_every_answer_and_no_formula(instructor: webtest.TestApp, registry: Registry) -> None:
    census = procedure_in(registry, "DEFE-SAE", "Recensement pour l'export")
    hostile = {"nom": "=HYPERLINK(\"http://example.com\")", "prenoms": "Marie", "date_naissance": "1985-07-03",
               "commune": "Nouméa", "pays": "AU", "ville": "Sydney", "depuis": "2020-02-10", "accompagne": False,
               "telephone": "+61412345678", "courriel": "marie@example.nc"}  # fmt: skip
    receipt = submit(registry, census, "formule", hostile)
    text = instructor.get(f"/intranet/demarches/{census}/export.csv").body.decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(text), delimiter=";")
    assert header[:7] == ["Numéro", "Déposée le", "État", "Adresse électronique", "Nom", "Prénoms", "Date de naissance"]
    assert row[0] == receipt and row[4] == '\'=HYPERLINK("http://example.com")' and row[6] == "03/07/1985"
    rows, _ = read_xlsx(instructor.get(f"/intranet/demarches/{census}/export.xlsx").body, "Demandes")
    assert len(rows) == 2  # the header and the application
    mine = next(row for row in rows if row[0] == receipt)
    assert mine[4] == '=HYPERLINK("http://example.com")'  # text, never a formula (read_xlsx checks it)


def test_mon_espace_shows_the_new_applications_of_the_agent_s_procedures(
    instructor: webtest.TestApp, registry: Registry
) -> None:
    widget = instructor.get("/intranet/").html.find(string="Nouvelles demandes")
    assert widget is not None
    text = instructor.get("/intranet/").text
    assert "Aide exceptionnelle aux entreprises — plan de soutien COVID-19" in text
    assert "0 demande(s) ces sept derniers jours" in text  # the demonstration's are of 2020
    assert "Recensement des résidents" not in text  # another directorate's


def test_the_global_search_finds_an_application_by_receipt_ridet_or_name(
    instructor: webtest.TestApp, registry: Registry
) -> None:
    found = instructor.get("/intranet/recherche", {"q": "AIDE-2020-000042"})
    links = [link.text for link in found.html.select("main a") if link.text.startswith("AIDE-2020-")]
    assert links and links[0].startswith("AIDE-2020-000042 — ")
    by_ridet = instructor.get("/intranet/recherche", {"q": "1000041.001"})
    assert "AIDE-2020-" in by_ridet.text
    nothing = instructor.get("/intranet/recherche", {"q": "RAP-2020-000001"})  # another directorate's
    assert [link.text for link in nothing.html.select("main a") if link.text.startswith("RAP-")] == []


def test_the_health_check_counts_procedures_and_applications(app: webtest.TestApp, demonstration: None) -> None:
    from cagou.testing import login

    login(app, "admin", "demo-admin-2026")
    assert "2 démarche(s) publiée(s), 2700 demande(s)" in app.get("/intranet/console/").text
