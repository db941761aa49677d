"""The files applicants send, scanned by a real clamd (cagou.testing's, with its own signatures).

In quarantine when sent, served once clean; an infected file is refused next to its field, its bytes removed and
the audit log told; with clamd down the upload is kept in quarantine, never served, until the job finds it clean.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.jobs import SCHEDULED_JOBS
from cagou_aids.models import CLEAN, INFECTED, QUARANTINED, Application, StoredFile
from cagou_aids.scanning import scan_quarantined
from pyramid.registry import Registry
from test_files import PASSWORD, to_files_page

from cagou.kit import AGENT, IAccounts, IFileStorage, transaction_scope
from cagou.testing import INFECTED_PDF, PDF_SIGNATURE, STREAM_MAX_BYTES, Clamd, delivered_mail, login
from cagou.testing_checks import PDF_SAMPLE as PDF
from cagou.testing_checks import PNG_SAMPLE as PNG


@pytest.fixture
def settings(settings: dict[str, Any], clamd: Clamd) -> dict[str, Any]:
    return {**settings, "cagou.clamd": clamd.address, "cagou.clamd.timeout": "5"}


def states(registry: Registry) -> list[tuple[str, str, str]]:
    with transaction_scope(registry) as request:
        rows = request.db.execute(sa.select(StoredFile.filename, StoredFile.scan_state, StoredFile.scan_signature))
        return sorted(tuple(row) for row in rows)


def send_files(app: webtest.TestApp, cafat: bytes, status: int = 303) -> webtest.TestResponse:
    form = to_files_page(app).forms["formulaire-etape"]
    form["iban"], form["telephone"] = "FR76 3000 6000 0112 3456 7890 189", "25 12 34"
    form["rib"] = webtest.Upload("rib.png", PNG, "image/png")
    form["attestation_cafat"] = webtest.Upload("cafat.pdf", cafat, "application/pdf")
    form["attestation_fiscale"] = webtest.Upload("fisc.pdf", PDF, "application/pdf")
    return form.submit("action", value="suivant", status=status)


def submit(app: webtest.TestApp, cafat: bytes) -> None:
    review = send_files(app, cafat).follow()
    review.forms["formulaire-verification"]["declaration"] = "oui"
    review.forms["formulaire-verification"].submit(status=303)


def as_instructor(app: webtest.TestApp, registry: Registry) -> str:
    """Signs an instructor in; the application's page."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.create("instructeur", "Instructeur", AGENT, password=PASSWORD), "aids:instructor")
        application = request.db.scalars(sa.select(Application)).one()
        path = f"/intranet/demarches/{application.procedure_id}/demandes/{application.receipt}"
    app.reset()
    login(app, "instructeur", PASSWORD)
    return path


def file_path(registry: Registry, page: str, filename: str) -> str:
    with transaction_scope(registry) as request:
        stored = request.db.scalars(sa.select(StoredFile).where(StoredFile.filename == filename)).one()
        return f"{page}/fichiers/{stored.id}"


def test_clean_files_are_scanned_then_served(company_app: webtest.TestApp, registry: Registry) -> None:
    submit(company_app, PDF)
    assert [state for _, state, _ in states(registry)] == [CLEAN, CLEAN, CLEAN]
    page = as_instructor(company_app, registry)
    detail = company_app.get(page)
    assert detail.text.count("Antivirus : Analysé : aucun virus") == 3
    assert detail.click(description="cafat.pdf").body == PDF


def test_an_infected_file_is_refused_next_to_its_field_removed_and_audited(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    refused = send_files(company_app, INFECTED_PDF, status=400)
    message = refused.html.find(id="erreur-attestation_cafat").text
    assert (
        message == f"« cafat.pdf » contient un virus ({PDF_SIGNATURE}) : il n'a pas été gardé. Envoyez un fichier sain."
    )
    field = refused.html.find(id="champ-attestation_cafat")
    assert "erreur-attestation_cafat" in field["aria-describedby"]
    # Nothing kept of it: no row, no bytes; the other files of the page are kept.
    assert [name for name, _, _ in states(registry)] == ["fisc.pdf", "rib.png"]
    with transaction_scope(registry) as request:
        assert not request.find_service(IFileStorage).exists(hashlib.sha256(INFECTED_PDF).hexdigest())
        [summary] = request.db.scalars(sa.text("SELECT summary FROM audit_entry WHERE action = 'aids:file:infected'"))
    assert summary.startswith("Fichier « cafat.pdf » du brouillon ") and PDF_SIGNATURE in summary


def test_with_clamd_down_the_upload_is_kept_in_quarantine_and_served_once_the_job_finds_it_clean(
    company_app: webtest.TestApp, registry: Registry, clamd: Clamd
) -> None:
    clamd.stop()
    submit(company_app, PDF)
    assert [state for _, state, _ in states(registry)] == [QUARANTINED] * 3
    # The applicant sees it waiting, and cannot download it either.
    with transaction_scope(registry) as request:
        receipt = request.db.scalars(sa.select(Application.receipt)).one()
    own = company_app.get(f"/mes-demarches/{receipt}")
    assert own.text.count("antivirus : En quarantaine") == 3 and own.html.find("a", string="cafat.pdf") is None
    company_app.get(file_path(registry, f"/mes-demarches/{receipt}", "cafat.pdf"), status=409)
    page = as_instructor(company_app, registry)
    detail = company_app.get(page)
    assert detail.text.count("Antivirus : En quarantaine : analyse antivirus en attente") == 3
    assert detail.html.find("a", string="cafat.pdf") is None  # no link to a file that is not served
    waiting = company_app.get(file_path(registry, page, "cafat.pdf"), status=409)
    assert "en cours d'analyse antivirus" in waiting.text
    scan_quarantined(registry)  # clamd still down: nothing changes, nothing is lost
    assert [state for _, state, _ in states(registry)] == [QUARANTINED] * 3
    clamd.start()
    [job] = [job for job in SCHEDULED_JOBS if job.name == "aids.files.scan"]
    job.run(registry)
    assert [state for _, state, _ in states(registry)] == [CLEAN] * 3
    assert company_app.get(file_path(registry, page, "cafat.pdf")).body == PDF


def test_a_quarantined_file_found_infected_later_is_never_served(
    company_app: webtest.TestApp, registry: Registry, clamd: Clamd
) -> None:
    clamd.stop()
    submit(company_app, INFECTED_PDF)
    clamd.start()
    scan_quarantined(registry)
    assert states(registry) == [("cafat.pdf", INFECTED, PDF_SIGNATURE), ("fisc.pdf", CLEAN, ""),
                                ("rib.png", CLEAN, "")]  # fmt: skip
    page = as_instructor(company_app, registry)
    assert f"Antivirus : Infecté : supprimé ({PDF_SIGNATURE})" in company_app.get(page).text
    refused = company_app.get(file_path(registry, page, "cafat.pdf"), status=403)
    assert "contient un virus" in refused.text
    with transaction_scope(registry) as request:
        assert not request.find_service(IFileStorage).exists(hashlib.sha256(INFECTED_PDF).hexdigest())
        [summary] = request.db.scalars(sa.text("SELECT summary FROM audit_entry WHERE action = 'aids:file:infected'"))
    assert summary.startswith("Fichier « cafat.pdf » de la demande ")
    told = delivered_mail(registry)[-1]
    assert told["To"] == "contact@boulangerie.nc" and told["Subject"].endswith(": un fichier contenait un virus")
    assert "« cafat.pdf »" in told.get_content() and "Envoyez un fichier sain" in told.get_content()


def test_a_file_longer_than_clamd_scans_is_refused_never_kept_unscanned(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    too_long = PDF + b"\0" * STREAM_MAX_BYTES  # within the field's 5 MB, beyond the tests' clamd's 1 MiB
    refused = send_files(company_app, too_long, status=400)
    assert refused.html.find(id="erreur-attestation_cafat").text == (
        "« cafat.pdf » est trop volumineux pour l'analyse antivirus : il n'a pas été gardé. "
        "Envoyez un fichier plus léger.")  # fmt: skip
    assert [name for name, _, _ in states(registry)] == ["fisc.pdf", "rib.png"]
    with transaction_scope(registry) as request:
        assert not request.find_service(IFileStorage).exists(hashlib.sha256(too_long).hexdigest())
