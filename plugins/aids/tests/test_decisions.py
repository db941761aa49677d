"""A refusal of the business aid produces its decision letter: printed, kept, mailed, listed and in the ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, StoredFile
from cagou_aids.workflow import WorkflowError, parse_workflow
from pyramid.registry import Registry
from test_messages import application_path, audit_actions, instructor_app
from test_receipts import applied_with_files, pdf_text

from cagou.kit import transaction_scope
from cagou.testing import delivered_mail

MOTIVATION = "Le chiffre d'affaires n'a pas baissé de 50 % sur la période."


def refused(company_app: webtest.TestApp, registry: Registry) -> str:
    receipt = applied_with_files(company_app, registry)
    instructor = instructor_app(company_app, registry)
    path = application_path(registry, receipt)
    instructor.get(path).forms["transition-instruire"].submit(status=303)
    form = instructor.get(path).forms["transition-refuser"]
    form["motivation"] = MOTIVATION
    page = form.submit(status=303).follow()
    assert page.html.find(id="etat-actuel").text == "Refusée"
    return receipt


def test_a_refusal_mails_keeps_and_lists_its_decision_letter_with_the_routes_of_appeal(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = refused(company_app, registry)
    [mail] = [mail for mail in delivered_mail(registry) if mail["Subject"] == f"Lettre de décision : {receipt}"]
    assert mail["To"] == "contact@boulangerie.nc"
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == f"decision-{receipt}.pdf"
    text = pdf_text(attached.get_content())
    for expected in ("Décision de refus", "Aide aux entreprises", receipt, "Boulangerie du Mont-Dore", MOTIVATION,
                     "(heure de Nouméa)", "président de l'assemblée de la province Sud",
                     "tribunal administratif de Nouméa", "deux mois"):  # fmt: skip
        assert expected in text, expected
    mine = company_app.get(f"/mes-demarches/{receipt}")
    download = mine.click(description=f"decision-{receipt}.pdf")
    assert download.body == attached.get_content() and download.content_type == "application/pdf"
    with zipfile.ZipFile(io.BytesIO(company_app.get(f"/mes-demarches/{receipt}/demande.zip").body)) as archive:
        assert f"fichiers/decision/decision-{receipt}.pdf" in archive.namelist()
    with transaction_scope(registry) as request:
        stored = request.db.scalars(sa.select(StoredFile).where(StoredFile.field == "decision")).one()
        assert stored.application_id == request.db.scalar(sa.select(Application.id))
    assert "aids:decision:document" in audit_actions(registry)


def test_a_workflow_naming_an_unknown_document_is_refused_whole() -> None:
    from cagou_aids.services.workflows import shipped_workflow

    data = shipped_workflow("aide_paiement")
    assert [t["document"] for t in data["transitions"] if "document" in t] == ["decision_refus"]
    data["transitions"][0]["document"] = "lettre_inconnue"
    with pytest.raises(WorkflowError) as problems:
        parse_workflow(data)
    assert "le document « lettre_inconnue » n'existe pas (possibles : decision_refus)" in str(problems.value)
