"""Files sent with an application: judged from their bytes, kept with the draft, then with the application."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, StoredFile
from pyramid.registry import Registry

from cagou.kit import AGENT, IAccounts, transaction_scope
from cagou.testing import delivered_mail, login
from cagou.testing_checks import PDF_SAMPLE as PDF
from cagou.testing_checks import PNG_SAMPLE as PNG
from cagou.testing_checks import PROGRAM_SAMPLE as PROGRAM

SLUG = "aide-aux-entreprises"
PASSWORD = "lagon-vanille-tricot-2026"


def to_files_page(app: webtest.TestApp) -> webtest.TestResponse:
    page = app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303).follow()
    form = page.forms["formulaire-etape"]
    for name, value in {
        "forme_juridique": "SARL",
        "secteur": "Commerce",
        "commune": "Le Mont-Dore",
        "salaries": "3",
    }.items():
        form[name] = value
    page = form.submit("action", value="suivant", status=303).follow()
    form = page.forms["formulaire-etape"]
    form["ca_annee_precedente"], form["ca_annee"], form["montant_demande"] = "12 000 000", "4 000 000", "300 000"
    return form.submit("action", value="suivant", status=303).follow()


def files(registry: Registry) -> list[tuple[str, str, int | None]]:
    with transaction_scope(registry) as request:
        rows = request.db.execute(sa.select(StoredFile.field, StoredFile.content_type, StoredFile.application_id))
        return sorted(tuple(row) for row in rows)


def test_a_company_sends_its_documents_and_the_instructor_downloads_them(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    page = to_files_page(company_app)
    form = page.forms["formulaire-etape"]
    assert form.enctype == "multipart/form-data"
    form["iban"], form["telephone"] = "FR76 3000 6000 0112 3456 7890 189", "25 12 34"
    form["rib"] = webtest.Upload("rib.png", PNG, "image/png")
    form["attestation_cafat"] = webtest.Upload("cafat.pdf", PDF, "application/pdf")
    form["attestation_fiscale"] = webtest.Upload("fisc.pdf", PDF, "application/pdf")
    review = form.submit("action", value="suivant", status=303).follow()
    assert "3 fichier(s)" not in review.text and "1 fichier(s)" in review.text
    review.forms["formulaire-verification"]["declaration"] = "oui"
    review.forms["formulaire-verification"].submit(status=303)
    assert [kind for _, kind, application in files(registry) if application] == [
        "application/pdf", "application/pdf", "image/png"]  # fmt: skip
    body = delivered_mail(registry)[0].get_body(("plain",)).get_content()
    assert f"- rib.png : {hashlib.sha256(PNG).hexdigest()}" in body and "- cafat.pdf : " in body
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.create("instructeur", "Instructeur", AGENT, password=PASSWORD), "aids:instructor")
        application = request.db.scalars(sa.select(Application)).one()
        receipt, procedure_id = application.receipt, application.procedure_id
    company_app.reset()
    login(company_app, "instructeur", PASSWORD)
    detail = company_app.get(f"/intranet/demarches/{procedure_id}/demandes/{receipt}")
    # No scanner is configured: the files are served, and the page says they were not scanned.
    assert detail.text.count("Antivirus : Non analysé") == 3
    download = detail.click(description="rib.png")
    assert download.body == PNG and download.content_disposition == "attachment; filename*=UTF-8''rib.png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_program_renamed_pdf_is_refused_and_the_other_files_are_kept(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    page = to_files_page(company_app)
    form = page.forms["formulaire-etape"]
    form["rib"] = webtest.Upload("rib.pdf", PROGRAM, "application/pdf")
    form["attestation_cafat"] = webtest.Upload("cafat.pdf", PDF, "application/pdf")
    refused = form.submit("action", value="suivant", status=400)
    assert refused.html.find(id="erreur-rib").text == (
        "« rib.pdf » n'est pas d'un type accepté (d'après son contenu) : JPEG, PDF, PNG.")  # fmt: skip
    assert refused.html.find(id="erreur-attestation_fiscale").text == "Ce champ est obligatoire."
    assert files(registry) == [("attestation_cafat", "application/pdf", None)]
    kept = refused.html.find(id="champ-attestation_cafat-garder-1")
    assert kept is not None and kept.has_attr("checked")
