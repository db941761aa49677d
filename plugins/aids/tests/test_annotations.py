"""Private annotations: defined per procedure by its designer, filled by the instructors, audited, required by a
workflow's transition, and never shown to the applicant (their pages, the receipt, the ZIP, the public API)."""

from __future__ import annotations

import copy
import io
import json
import threading
import zipfile
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.annotations import parse_annotations
from cagou_aids.interfaces import IAnnotations, IWorkflows
from cagou_aids.jobs import apply_retention
from cagou_aids.models import Application, Procedure
from cagou_aids.models.annotations import AnnotationValue
from cagou_aids.queries import application_by_receipt
from cagou_aids.services.workflows import shipped_workflow
from cagou_aids.workflow import WorkflowError, parse_workflow
from pyramid.registry import Registry
from test_api_aids import token  # noqa: F401  (a fixture)
from test_following import submitted_by
from test_messages import application_path, audit_actions, instructor_app

from cagou.clock import FrozenClock
from cagou.kit import AGENT, IAccounts, Invalid, Refused, act_as, transaction_scope
from cagou.testing import is_postgresql, login
from cagou.testing_checks import PDF_SAMPLE as PDF
from cagou.testing_checks import PROGRAM_SAMPLE as PROGRAM

PASSWORD = "lagon-vanille-tricot-2026"
DEFINITIONS = [
    {"code": "vol_propose", "label": "Vol proposé", "kind": "texte", "help": "Le numéro du vol."},
    {"code": "montant", "label": "Montant avancé", "kind": "montant"},
    {"code": "contact_fait", "label": "Personne contactée", "kind": "oui_non"},
    {"code": "priorite", "label": "Priorité retenue", "kind": "choix", "options": ["Haute", "Basse"]},
    {"code": "billet", "label": "Billet réservé", "kind": "fichier"},
]


def define(registry: Registry, data: list[dict[str, Any]] = DEFINITIONS) -> None:
    with transaction_scope(registry) as request:
        procedure = request.db.scalar(sa.select(Procedure).order_by(Procedure.id))
        request.find_service(IAnnotations).define(procedure, copy.deepcopy(data))


def stored_values(registry: Registry) -> dict[str, Any]:
    with transaction_scope(registry) as request:
        return {row.code: row.value for row in request.db.scalars(sa.select(AnnotationValue))}


def test_a_definition_is_refused_whole_each_problem_next_to_its_field() -> None:
    from cagou_aids.annotations import AnnotationsError

    bad = [{"code": "Vol!", "label": "", "kind": "texte"}, {"code": "a", "label": "A", "kind": "couleur"},
           {"code": "a", "label": "B", "kind": "choix", "options": ["seule"]}]  # fmt: skip
    with pytest.raises(AnnotationsError) as refused:
        parse_annotations(bad)
    errors = refused.value.errors
    assert errors["code-1"].startswith("Le code fait 1 à 24 caractères")
    assert errors["label-1"].startswith("Le libellé est obligatoire")
    assert errors["kind-2"].startswith("Choisissez le type parmi")
    assert errors["code-3"] == "Le code « a » est déjà pris par une autre annotation."
    assert errors["options-3"].startswith("Un choix a de 2 à 30 options")
    for hostile in (None, "texte", {"code": "a"}, [None], [{"code": "a"}] * 41):
        with pytest.raises(AnnotationsError):
            parse_annotations(hostile)
    assert [spec.code for spec in parse_annotations(DEFINITIONS)] == [item["code"] for item in DEFINITIONS]


def designer_app(app: webtest.TestApp, registry: Registry) -> webtest.TestApp:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.create("conceptrice", "Emma Conceptrice", AGENT, password=PASSWORD), "aids:designer")
    login(app, "conceptrice", PASSWORD)
    return app


def test_the_designer_defines_them_on_their_page_every_refusal_next_to_its_field(
    app: webtest.TestApp, registry: Registry
) -> None:
    submitted_by_nobody = submitted_census(registry)
    designer = designer_app(app, registry)
    page = designer.get(f"/intranet/demarches/{submitted_by_nobody}/annotations")
    form = page.forms["formulaire-annotations"]
    form["code-1"], form["label-1"], form["kind-1"] = "priorite", "Priorité retenue", "choix"
    form["options-1"] = "Haute"
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-options-1").text.startswith("Un choix a de 2 à 30 options")
    assert refused.html.find(id="champ-label-1")["value"] == "Priorité retenue"  # what was typed is kept
    form = refused.forms["formulaire-annotations"]
    form["options-1"] = "Haute\nBasse"
    form["code-2"], form["label-2"], form["kind-2"] = "montant", "Montant avancé", "montant"
    saved = form.submit(status=303).follow()
    assert "Annotations privées enregistrées." in saved.text
    assert saved.html.find(id="champ-code-2")["value"] == "montant"
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, submitted_by_nobody)
        assert [spec.code for spec in request.find_service(IAnnotations).define(procedure, [])] == []
    assert "aids:procedure:annotations" in audit_actions(registry)


def submitted_census(registry: Registry) -> int:
    from test_services import published

    return published(registry)


def test_an_instructor_fills_them_typed_and_checked_audited_with_before_and_after(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    define(registry)
    instructor = instructor_app(citizen_app, registry)
    page = instructor.get(application_path(registry, receipt))
    assert page.html.find(id="titre-annotations").text == "Annotations privées"
    form = page.forms["formulaire-annotations"]
    form["annotation-montant"] = "150 000,5"
    form["annotation-priorite"].force_value("Moyenne")
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-annotation-montant").text.startswith("« Montant avancé » est un montant")
    assert "l'une de ces options : Haute, Basse" in refused.html.find(id="erreur-annotation-priorite").text
    assert refused.html.find(id="champ-annotation-montant")["aria-describedby"] == "erreur-annotation-montant"
    assert stored_values(registry) == {}
    form = refused.forms["formulaire-annotations"]
    form["annotation-montant"] = "150 000"
    form["annotation-priorite"] = "Haute"
    form["annotation-contact_fait"] = "oui"
    form["annotation-vol_propose"] = "SB 123 du 4 avril"
    form["annotation-billet"] = webtest.Upload("billet.pdf", PDF, "application/pdf")
    saved = form.submit(status=303).follow()
    assert "Annotations privées enregistrées." in saved.text
    assert "150\u00a0000\u00a0F\u00a0CFP" in saved.html.find(id="annotations").text
    values = stored_values(registry)
    assert values["montant"] == 150_000 and values["contact_fait"] is True and values["priorite"] == "Haute"
    assert saved.click(description="billet.pdf").body == PDF  # the instructors download it
    form = saved.forms["formulaire-annotations"]
    form["annotation-montant"] = "200000"
    form.submit(status=303)
    with transaction_scope(registry) as request:
        changes = list(request.db.scalars(sa.text(
            "SELECT changes FROM audit_entry WHERE action = 'aids:annotation:set' ORDER BY id")))  # fmt: skip
    last = changes[-1] if isinstance(changes[-1], dict) else json.loads(changes[-1])
    assert last == {"before": {"montant": 150_000}, "after": {"montant": 200_000}}
    assert len(changes) == 2
    # a refused file keeps nothing, and is said next to its field
    form = instructor.get(application_path(registry, receipt)).forms["formulaire-annotations"]
    form["annotation-billet"] = webtest.Upload("billet.pdf", PROGRAM, "application/pdf")
    form["annotation-vol_propose"] = "autre"
    refused = form.submit(status=400)
    assert "n'est pas d'un type accepté" in refused.html.find(id="erreur-annotation-billet").text
    assert stored_values(registry)["vol_propose"] == "SB 123 du 4 avril"


def test_the_applicant_never_sees_them(citizen_app: webtest.TestApp, registry: Registry) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    define(registry)
    instructor = instructor_app(citizen_app, registry)
    form = instructor.get(application_path(registry, receipt)).forms["formulaire-annotations"]
    form["annotation-vol_propose"] = "Note-secrete-SB123"
    form["annotation-billet"] = webtest.Upload("billet-secret.pdf", PDF, "application/pdf")
    form.submit(status=303)
    with transaction_scope(registry) as request:
        file_id = request.db.scalar(sa.text("SELECT id FROM aids_file WHERE filename = 'billet-secret.pdf'"))
    for path in ("/mes-demarches/", f"/mes-demarches/{receipt}", "/api/v1/demandes", f"/api/v1/demandes/{receipt}"):
        text = citizen_app.get(path).text
        assert "Note-secrete" not in text and "billet-secret" not in text and "Vol proposé" not in text
    citizen_app.get(f"/mes-demarches/{receipt}/fichiers/{file_id}", status=404)
    with zipfile.ZipFile(io.BytesIO(citizen_app.get(f"/mes-demarches/{receipt}/demande.zip").body)) as archive:
        assert not any("billet-secret" in name for name in archive.namelist())
        assert all(b"Note-secrete" not in archive.read(name) for name in archive.namelist())
    receipt_pdf = citizen_app.get(f"/mes-demarches/{receipt}/recepisse.pdf").body
    assert b"billet-secret" not in receipt_pdf


def workflow_requiring(code: str) -> dict[str, Any]:
    data = copy.deepcopy(shipped_workflow("recensement_tri"))
    data["code"] = "tri_exigeant"
    qualify = next(t for t in data["transitions"] if t["code"] == "qualifier")
    qualify["requires"] = [{"kind": "annotation", "code": code, "label": "La priorité"}]
    return data


def test_the_requirement_kind_annotation_is_checked_by_the_parser() -> None:
    assert parse_workflow(workflow_requiring("priorite")).transition("qualifier").requires[0].code == "priorite"
    for requirement in ({"kind": "annotation"}, {"kind": "annotation", "code": "Pas Un Code"},
                        {"kind": "motivation", "code": "priorite"}, {"kind": "annotation", "code": 3}):  # fmt: skip
        data = workflow_requiring("priorite")
        data["transitions"][2]["requires"] = [requirement]
        with pytest.raises(WorkflowError) as refused:
            parse_workflow(data)
        assert "« code » nomme l'annotation" in "\n".join(refused.value.problems)


def test_a_transition_waits_for_its_annotation_and_the_page_says_what_is_missing(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    define(registry)
    with transaction_scope(registry) as request:
        workflows = request.find_service(IWorkflows)
        procedure = request.db.scalar(sa.select(Procedure))
        workflows.attach(procedure, workflows.install(workflow_requiring("priorite")))
    instructor = instructor_app(citizen_app, registry)
    page = instructor.get(application_path(registry, receipt))
    assert page.html.find(id="manque-qualifier").text == (
        "À remplir d'abord : « Priorité retenue » (annotations privées)."
    )
    refused = page.forms["transition-qualifier"].submit(status=400)
    assert refused.html.find(id="erreur-transition").text == (
        "« Qualifier » demande d'abord de remplir l'annotation privée « Priorité retenue »."
    )
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state)) == "deposee"
        instructor_account = request.find_service(IAccounts).by_login("instructeur")
        act_as(request, instructor_account)
        application = request.db.scalar(sa.select(Application))
        with pytest.raises(Refused) as caught:
            request.find_service(IWorkflows).take(application, "qualifier", {})
        assert caught.value.status == 400
    form = instructor.get(application_path(registry, receipt)).forms["formulaire-annotations"]
    form["annotation-priorite"] = "Haute"
    page = form.submit(status=303).follow()
    assert page.html.find(id="manque-qualifier") is None
    page.forms["transition-qualifier"].submit(status=303)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state)) == "qualifiee"


def test_the_service_refuses_an_unknown_code_or_a_file_through_the_api_shape(registry: Registry) -> None:
    receipt = submitted_census_application(registry)
    define(registry)
    with transaction_scope(registry) as request:
        application = application_by_receipt(request.db, request.db.scalar(sa.select(Procedure)), receipt)
        service = request.find_service(IAnnotations)
        with pytest.raises(Invalid) as refused:
            service.set_values(application, {"inconnue": "x", "billet": "x.pdf", "contact_fait": "peut-être"}, {},
                               None)  # fmt: skip
    errors = refused.value.errors
    assert errors["inconnue"] == "Cette démarche n'a pas d'annotation « inconnue »."
    assert "est un fichier" in errors["billet"] and errors["contact_fait"] == "« Personne contactée » vaut oui ou non."


def submitted_census_application(registry: Registry) -> str:
    from test_services import submit

    return submit(registry, submitted_census(registry), "clef-1")


def test_the_instructors_api_reads_and_sets_them_and_refuses_in_its_format(
    app: webtest.TestApp,
    token: str,  # noqa: F811  (the fixture imported above)
    registry: Registry,
) -> None:
    with transaction_scope(registry) as request:
        business = request.db.scalar(sa.select(Procedure.id).where(Procedure.receipt_prefix == "AIDE"))
    path = f"/intranet/api/v1/demarches/{business}/demandes/AIDE-2020-000001/annotations"
    headers = {"Authorization": f"Bearer {token}"}
    read = app.get(path, headers=headers).json
    assert [item["code"] for item in read["annotations"]][:2] == ["montant_propose", "pieces_conformes"]
    assert read["suggestion"]["text"].startswith(("Éligible", "Inéligible", "Pas de suggestion"))
    put = app.put_json(path, {"values": {"montant_propose": 150_000, "pieces_conformes": True}}, headers=headers).json
    values = {item["code"]: (item["value"], item["shown"]) for item in put["annotations"]}
    assert values["montant_propose"] == (150_000, "150\u00a0000\u00a0F\u00a0CFP")
    assert values["pieces_conformes"] == (True, "Oui")
    refused = app.put_json(path, {"values": {"montant_propose": -3, "motif": "Autre"}}, headers=headers, status=400)
    assert set(refused.json["errors"]) == {"montant_propose", "motif"}
    assert app.put_json(path, {"values": []}, headers=headers, status=400).json["error"].startswith("« values »")
    assert app.get(path, headers=headers).json["annotations"][0]["value"] == 150_000  # the refusal kept nothing
    cleared = app.put_json(path, {"values": {"montant_propose": None}}, headers=headers).json
    assert cleared["annotations"][0]["value"] is None


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_two_instructors_at_once_are_written_one_after_the_other(registry: Registry) -> None:
    receipt = submitted_census_application(registry)
    define(registry)
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def instructor(amount: int) -> None:
        barrier.wait()
        try:
            with transaction_scope(registry) as request:
                application = application_by_receipt(request.db, request.db.scalar(sa.select(Procedure)), receipt)
                request.find_service(IAnnotations).set_values(application, {"montant": str(amount)}, {}, None)
        except BaseException as error:  # a thread's failure is the test's
            failures.append(error)

    threads = [threading.Thread(target=instructor, args=(amount,)) for amount in (100, 200, 300, 400)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with transaction_scope(registry) as request:
        rows = list(request.db.scalars(sa.text(
            "SELECT changes FROM audit_entry WHERE action = 'aids:annotation:set' ORDER BY id")))  # fmt: skip
    changes = [row if isinstance(row, dict) else json.loads(row) for row in rows]
    # each one's "before" is the one before's "after": no change lost, no second row for the annotation
    afters = [change["after"]["montant"] for change in changes]
    assert [change["before"]["montant"] for change in changes] == [None, *afters[:-1]]
    assert stored_values(registry)["montant"] == changes[-1]["after"]["montant"]


def test_retention_erases_them_with_the_application_s_answers(registry: Registry, clock: FrozenClock) -> None:
    receipt = submitted_census_application(registry)  # 24 months of retention
    define(registry)
    with transaction_scope(registry) as request:
        application = application_by_receipt(request.db, request.db.scalar(sa.select(Procedure)), receipt)
        request.find_service(IAnnotations).set_values(application, {"vol_propose": "SB 123"}, {}, None)
    assert stored_values(registry) == {"vol_propose": "SB 123"}
    clock.advance(days=740)
    apply_retention(registry)
    assert stored_values(registry) == {}
