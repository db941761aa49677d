"""A refusal of the business aid, and its act's signature, produce their decision letters: printed, kept, attached
to the transition's mail, listed and in the ZIP."""

from __future__ import annotations

import hashlib
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IActs, IReceipts
from cagou_aids.models import Act, Application, StoredFile
from cagou_aids.workflow import WorkflowError, parse_workflow
from pyramid.registry import Registry
from test_acts import FIRST, SECOND, create_act, on_act, validated
from test_messages import application_path, audit_actions, instructor_app
from test_receipts import applied_with_files, pdf_text
from test_workflows import agents

from cagou.kit import transaction_scope
from cagou.testing import delivered_mail

NOUMEA = ZoneInfo("Pacific/Noumea")
MOTIVATION = "Le chiffre d'affaires n'a pas baissé de 50 % sur la période."


@pytest.fixture
def people(registry: Registry, demonstration: None) -> dict[str, int]:
    return agents(registry)


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
    # One mail, the refusal's own, carrying the letter: no second mail for it.
    [mail] = [mail for mail in delivered_mail(registry) if receipt in mail["Subject"] and "cision" in mail["Subject"]]
    assert mail["Subject"] == f"Décision sur votre demande {receipt}" and mail["To"] == "contact@boulangerie.nc"
    assert "jointe à ce courriel" in mail.get_body(("plain",)).get_content()
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
    assert sorted(t["document"] for t in data["transitions"] if "document" in t) == [
        "decision_attribution", "decision_refus"]  # fmt: skip
    data["transitions"][0]["document"] = "lettre_inconnue"
    with pytest.raises(WorkflowError) as problems:
        parse_workflow(data)
    possible = "(possibles : decision_refus, decision_attribution)"
    assert f"le document « lettre_inconnue » n'existe pas {possible}" in str(problems.value)


def test_signing_an_act_gives_each_beneficiary_an_award_letter_attached_to_the_signature_s_mail(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    validated(registry, people, FIRST, "300000")
    validated(registry, people, SECOND, "1250000")
    act_id = create_act(registry, people["lea"], FIRST, SECOND)
    with transaction_scope(registry) as request:
        assert request.db.scalars(sa.select(StoredFile).where(StoredFile.field == "decision")).all() == []
    act = on_act(registry, people["sofia"], act_id, "sign")
    signed = act.signed_at
    assert signed is not None
    awarded = ((FIRST, "300 000 F CFP", "trois cent mille francs CFP"),
               (SECOND, "1 250 000 F CFP", "un million deux cent cinquante mille francs CFP"))  # fmt: skip
    for receipt, figures, words in awarded:
        mails = [mail for mail in delivered_mail(registry) if receipt in mail["Subject"]]
        [mail] = [mail for mail in mails if mail["Subject"] == f"Votre aide est attribuée : {receipt}"]
        assert not any("Lettre de décision" in str(other["Subject"]) for other in mails)  # no second mail
        [attached] = list(mail.iter_attachments())
        assert attached.get_filename() == f"decision-{receipt}.pdf"
        text = pdf_text(attached.get_content())
        for expected in ("Décision d'attribution", "Aide exceptionnelle aux entreprises", receipt, figures, words,
                         act.reference, f"signé le {signed.astimezone(NOUMEA):%d/%m/%Y}",
                         "tribunal administratif de Nouméa", "deux mois"):  # fmt: skip
            assert expected in text, expected
        with transaction_scope(registry) as request:
            application = request.db.scalars(sa.select(Application).where(Application.receipt == receipt)).one()
            [stored] = request.db.scalars(
                sa.select(StoredFile).where(StoredFile.field == "decision", StoredFile.application_id == application.id)
            )  # fmt: skip
            assert stored.sha256 == hashlib.sha256(attached.get_content()).hexdigest()
    assert audit_actions(registry).count("aids:decision:document") == 2


def archive_names(registry: Registry, receipt: str) -> dict[str, bytes]:
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application).where(Application.receipt == receipt)).one()
        with request.find_service(IReceipts).archive(application) as data, zipfile.ZipFile(data) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_of_an_application_in_a_signed_act_holds_its_letter_and_the_act(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    validated(registry, people, FIRST, "300000")
    validated(registry, people, SECOND, "200000")
    act_id = create_act(registry, people["lea"], FIRST)
    create_act(registry, people["lea"], SECOND)  # never signed: neither letter nor act in its ZIP
    assert not any(name.startswith(("acte/", "fichiers/decision/")) for name in archive_names(registry, FIRST))
    act = on_act(registry, people["sofia"], act_id, "sign")
    entries = archive_names(registry, FIRST)
    assert pdf_text(entries[f"fichiers/decision/decision-{FIRST}.pdf"]).startswith("La province Sud")
    with transaction_scope(registry) as request:
        frozen = request.find_service(IActs).pdf(request.db.get(Act, act_id))
    assert entries[f"acte/{act.reference}.pdf"] == frozen
    assert not any(name.startswith(("acte/", "fichiers/decision/")) for name in archive_names(registry, SECOND))
