"""Step definitions of features/aids/annotations.feature and triage.feature (imported by test_features_aids.py,
whose ``browser`` fixture they share)."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from cagou_aids.demo import insert_applications
from cagou_aids.interfaces import IAnnotations, IWorkflows
from cagou_aids.models import Application, ApplicationEvent, Procedure
from cagou_aids.models.annotations import AnnotationValue
from conftest import business_aid_published
from pyramid.registry import Registry
from pytest_bdd import given, parsers, then, when
from test_annotations import DEFINITIONS, define, workflow_requiring
from test_api_public_aids import BUSINESS_ANSWERS
from test_services import ANSWERS, submit
from test_triage import FAMILY, MEDICAL

from cagou.kit import IClock, transaction_scope

RULES = {"turnover_before": "ca_annee_precedente", "turnover_after": "ca_annee", "staff": "salaries",
         "loss_threshold": 50, "staff_ceiling": 10, "flat_amount": 200_000, "per_employee": 50_000,
         "cap": 500_000}  # fmt: skip


def first_procedure(request: Any, prefix: str = "RAP") -> Procedure:
    found: Procedure = request.db.scalar(sa.select(Procedure).where(Procedure.receipt_prefix == prefix))
    return found


@given("la démarche a les annotations privées de la cellule")
def census_annotations(registry: Registry) -> None:
    define(registry, DEFINITIONS)


@given(parsers.parse('la qualification exige l\'annotation "{code}"'))
def qualification_requires(registry: Registry, code: str) -> None:
    with transaction_scope(registry) as request:
        workflows = request.find_service(IWorkflows)
        workflows.attach(first_procedure(request), workflows.install(workflow_requiring(code)))


def annotation_input(browser: Any, label: str) -> str:
    spec = next(item for item in DEFINITIONS if item["label"] == label)
    return f"annotation-{spec['code']}"


@when(parsers.parse('je remplis l\'annotation "{label}" avec "{value}"'))
def fill_annotation(browser: Any, label: str, value: str) -> None:
    form = browser.current.forms["formulaire-annotations"]
    form[annotation_input(browser, label)] = value


@when("j'enregistre les annotations")
def save_annotations(browser: Any) -> None:
    answer = browser.current.forms["formulaire-annotations"].submit(expect_errors=True)
    browser.page = answer.follow() if answer.status_int == 303 else answer


@when(parsers.parse("j'ouvre à nouveau la demande numéro {number:d}"))
def open_again(browser: Any, registry: Registry, number: int) -> None:
    with transaction_scope(registry) as request:
        procedure = first_procedure(request)
        receipt = request.db.scalar(sa.select(Application.receipt).where(Application.procedure_id == procedure.id)
                                    .order_by(Application.id).offset(number - 1).limit(1))  # fmt: skip
        path = f"/intranet/demarches/{procedure.id}/demandes/{receipt}"
    browser.page = browser.app.get(path)


@then(parsers.parse('l\'annotation "{label}" dit "{message}"'))
def annotation_says(browser: Any, label: str, message: str) -> None:
    assert browser.current.status_int == 400
    assert browser.current.html.find(id=f"erreur-{annotation_input(browser, label)}").text == message


@then("aucune annotation n'est gardée")
def nothing_kept(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(AnnotationValue)) == 0


@then(parsers.parse('le journal d\'audit garde "{action}"'))
def audited(registry: Registry, action: str) -> None:
    with transaction_scope(registry) as request:
        actions = list(request.db.scalars(sa.text("SELECT action FROM audit_entry WHERE module = 'aids'")))
    assert action in actions


@given("l'aide aux entreprises a les règles d'éligibilité du plan de soutien")
def business_rules(registry: Registry) -> None:
    business_aid_published(registry)
    with transaction_scope(registry) as request:
        request.find_service(IAnnotations).set_eligibility(first_procedure(request, "AIDE"), RULES)


@given(parsers.parse("une entreprise de {staff:d} salariés a déposé une demande d'aide avec un chiffre d'affaires "
                     "passé de {before} à {after} F CFP"))  # fmt: skip
def business_applied(registry: Registry, staff: int, before: str, after: str) -> None:
    answers = {**BUSINESS_ANSWERS, "salaries": staff, "ca_annee_precedente": int(before.replace(" ", "")),
               "ca_annee": int(after.replace(" ", ""))}  # fmt: skip
    with transaction_scope(registry) as request:
        procedure = first_procedure(request, "AIDE")
        submitted_at = request.find_service(IClock).now()
        insert_applications(request, procedure, [{"submitted_at": submitted_at, "answers": answers,
                                                  "email": "contact@boulangerie.nc"}])  # fmt: skip


@when("j'ouvre la demande d'aide")
def open_business(browser: Any, registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedure_id = first_procedure(request, "AIDE").id
    browser.page = browser.app.get(f"/intranet/demarches/{procedure_id}/demandes/AIDE-2020-000001")


@then(parsers.parse('l\'historique des instructeurs garde "{start}"'))
def instructors_history(browser: Any, registry: Registry, start: str) -> None:
    lines = [item.text for item in browser.current.html.select("#historique li")]
    assert any(start in line for line in lines), lines
    with transaction_scope(registry) as request:
        event = request.db.scalar(sa.select(ApplicationEvent).where(ApplicationEvent.text.startswith(start)))
        assert event is not None and not event.public  # the applicant does not read it


@given("le tri donne 50 au besoin médical, 40 à la grossesse et 10 par personne qui voyage avec le demandeur")
def triage_weights(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        request.find_service(IAnnotations).set_triage(first_procedure(request), {
            "criteria_field": "criteres", "household_field": "foyer", "age_field": "membre_age",
            "criteria": {"Besoin médical": 50, "Grossesse": 40}, "per_member": 10,
        })  # fmt: skip


@given('sont inscrits "Wamytan" sans critère, "Kasarhérou" pour un besoin médical et "Tjibaou" enceinte avec 2 '
       "personnes")  # fmt: skip
def registrations(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedure_id = first_procedure(request).id
    for key, answers in (("t", FAMILY), ("w", ANSWERS), ("k", MEDICAL)):
        submit(registry, procedure_id, key, answers)


@when("j'ouvre la liste des inscriptions triée par priorité")
def list_by_priority(browser: Any) -> None:
    page = browser.app.get("/intranet/demarches/").click(description="Recensement des résidents bloqués à l'étranger")
    browser.page = page.click(linkid="tri-priorite")


@then(parsers.parse('les inscriptions sont dans l\'ordre "{names}"'))
def in_order(browser: Any, names: str) -> None:
    rows = browser.current.html.select("#demandes tbody tr")
    found = [next(name for name in names.split(", ") if name in row.text) for row in rows]
    assert found == names.split(", ")


@when("j'exporte les personnes à contacter en CSV")
def export_people(browser: Any) -> None:
    page = browser.app.get("/intranet/demarches/").click(description="Recensement des résidents bloqués à l'étranger")
    browser.page = page.click(href=r"tri\.csv")


@then(parsers.parse('l\'export liste "{name}" avec le score {score:d} en premier'))
def export_first(browser: Any, name: str, score: int) -> None:
    rows = list(csv.reader(io.StringIO(browser.current.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0] == str(score) and name in rows[1]
