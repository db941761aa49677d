"""The census's triage: a priority score from the declared criteria and the household, weights set by the
designer; the intranet's list by score (?tri=priorite) and the export of the people to contact."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IAnnotations
from cagou_aids.models import Procedure
from cagou_aids.triage import TriageWeights, WeightsError, parse_weights, priority_score
from pyramid.registry import Registry
from test_messages import instructor_app
from test_services import ANSWERS, published, submit

from cagou.kit import Invalid, transaction_scope
from cagou.testing_checks import read_xlsx

WEIGHTS = {"criteria_field": "criteres", "household_field": "foyer", "age_field": "membre_age",
           "criteria": {"Besoin médical": 50, "Grossesse": 40}, "per_member": 5, "child_under": 3, "per_child": 20,
           "senior_from": 70, "per_senior": 10}  # fmt: skip
MEDICAL = {**ANSWERS, "nom": "Kasarhérou", "criteres": ["Besoin médical"]}
FAMILY = {**ANSWERS, "nom": "Tjibaou", "accompagne": True, "criteres": ["Grossesse"],
          "foyer": [{"membre_nom": "Noah Tjibaou", "membre_age": 1, "membre_lien": "Enfant"},
                    {"membre_nom": "Paul Tjibaou", "membre_age": 75, "membre_lien": "Parent"}]}  # fmt: skip


def test_the_score_adds_the_criteria_the_household_the_children_and_the_elders() -> None:
    weights = TriageWeights(**{**WEIGHTS, "criteria": WEIGHTS["criteria"]})  # type: ignore[arg-type]
    assert priority_score(weights, ANSWERS) == 0
    assert priority_score(weights, MEDICAL) == 50
    assert priority_score(weights, FAMILY) == 40 + 2 * 5 + 20 + 10
    assert priority_score(weights, {**FAMILY, "foyer": "rien", "criteres": ["Inconnu", 3]}) == 0


def census(registry: Registry) -> int:
    procedure_id = published(registry)
    for key, answers in (("a", FAMILY), ("b", ANSWERS), ("c", MEDICAL)):
        submit(registry, procedure_id, key, answers)
    with transaction_scope(registry) as request:
        request.find_service(IAnnotations).set_triage(request.db.get(Procedure, procedure_id), WEIGHTS)
    return procedure_id


def test_weights_are_checked_against_the_census_form(registry: Registry) -> None:
    procedure_id = published(registry)
    with transaction_scope(registry) as request:
        definition = request.db.get(Procedure, procedure_id).latest.parsed
        with pytest.raises(WeightsError) as refused:
            parse_weights({**WEIGHTS, "criteria_field": "nom", "age_field": "membre_nom", "per_member": "-3",
                           "criteria": {"Besoin médical": "beaucoup"}}, definition)  # fmt: skip
        errors = refused.value.errors
        assert errors["criteria_field"] == "Le champ des critères est un champ à choix multiples du formulaire."
        assert errors["age_field"] == "Le champ de l'âge est un nombre entier du bloc du foyer."
        assert "per_member" in errors
        with pytest.raises(Invalid):
            request.find_service(IAnnotations).set_triage(request.db.get(Procedure, procedure_id), {})


def test_the_list_sorts_by_priority_and_the_export_lists_the_people_to_contact(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    procedure_id = census(registry)
    instructor = instructor_app(citizen_app, registry)
    latest_first = instructor.get(f"/intranet/demarches/{procedure_id}/demandes")
    by_score = latest_first.click(linkid="tri-priorite")
    receipts = [link.text for link in by_score.html.select("table a") if link.text.startswith("RAP-")]
    assert receipts == ["RAP-2026-000001", "RAP-2026-000003", "RAP-2026-000002"]  # 80, 50, 0
    default = [link.text for link in latest_first.html.select("table a") if link.text.startswith("RAP-")]
    assert default == ["RAP-2026-000003", "RAP-2026-000002", "RAP-2026-000001"]  # the latest first

    exported = instructor.get(f"/intranet/demarches/{procedure_id}/tri.csv")
    rows = list(csv.reader(io.StringIO(exported.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Score de priorité", "Numéro", "État", "Nom"]
    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [
        ("80", "RAP-2026-000001", "Tjibaou"), ("50", "RAP-2026-000003", "Kasarhérou"),
        ("0", "RAP-2026-000002", "Wamytan")]  # fmt: skip
    assert rows[1][-1] == "3"  # the applicant and the two people travelling along
    sheet, _ = read_xlsx(instructor.get(f"/intranet/demarches/{procedure_id}/tri.xlsx").body, "À contacter")
    assert sheet[1][:2] == [80, "RAP-2026-000001"] and len(sheet) == 4  # the score a number a spreadsheet sorts
    with transaction_scope(registry) as request:
        query = "SELECT summary, object_id FROM audit_entry WHERE action = 'aids:application:export' ORDER BY id"
        entries = list(request.db.execute(sa.text(query)))
    assert len(entries) == 2 and "Personnes à contacter" in entries[0][0] and entries[0][1] == str(procedure_id)


def test_a_formula_in_an_answer_is_exported_as_text(citizen_app: webtest.TestApp, registry: Registry) -> None:
    procedure_id = published(registry)
    submit(registry, procedure_id, "f", {**ANSWERS, "nom": '=HYPERLINK("http://x")'})
    instructor = instructor_app(citizen_app, registry)
    body = instructor.get(f"/intranet/demarches/{procedure_id}/tri.csv").body.decode("utf-8-sig")
    [_, row] = csv.reader(io.StringIO(body), delimiter=";")
    assert row[3] == '\'=HYPERLINK("http://x")'
    rows, _ = read_xlsx(instructor.get(f"/intranet/demarches/{procedure_id}/tri.xlsx").body, "À contacter")
    assert rows[1][3] == '=HYPERLINK("http://x")'  # text, never a formula (read_xlsx checks it)


def test_the_priority_order_pages_with_the_list_s_cursor(registry: Registry) -> None:
    from cagou_aids.queries import ApplicationFilters, applications, cursor_of, read_cursor

    procedure_id = census(registry)
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_id)
        first = applications(request.db, procedure, ApplicationFilters(sort="priorite"), 2)
        after = read_cursor(cursor_of(first[-1]))
        second = applications(request.db, procedure, ApplicationFilters(sort="priorite", after=after), 2)
        filtered = applications(request.db, procedure, ApplicationFilters(sort="priorite", text="RAP-2026-000002"))
        assert [row.receipt for row in first + second] == ["RAP-2026-000001", "RAP-2026-000003", "RAP-2026-000002"]
        assert [row.receipt for row in filtered] == ["RAP-2026-000002"]  # the list's filters still apply
