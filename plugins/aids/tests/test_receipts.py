"""The PDF receipt and the ZIP of everything sent: attached to the confirmation, downloaded from "Mes démarches"."""

from __future__ import annotations

import email
import hashlib
import io
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from cagou_aids.models import Application
from cagou_aids.services.receipts import safe_name, unique_name
from pypdf import PdfReader
from pyramid.registry import Registry
from test_files import PDF, PNG, to_files_page
from test_following import submitted_by

from cagou.kit import CITIZEN, IAccounts, transaction_scope
from cagou.testing import free_port, run_jobs

PNG_SHA256 = hashlib.sha256(PNG).hexdigest()


class Inbox(Message):
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[EmailMessage] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(email.message_from_bytes(message.as_bytes(), policy=default))  # type: ignore[arg-type]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: dict[str, Any], smtp_port: int) -> dict[str, Any]:
    """The mail leaves through a real SMTP server (aiosmtpd), as in production."""
    return {**settings, "cagou.mail.delivery": "smtp", "cagou.mail.smtp_host": "127.0.0.1",
            "cagou.mail.smtp_port": str(smtp_port)}  # fmt: skip


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


def pdf_text(data: bytes) -> str:
    """The PDF's text, its spaces (non-breaking ones too) made single."""
    assert data.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def applied_with_files(app: webtest.TestApp, registry: Registry) -> str:
    page = to_files_page(app)
    form = page.forms["formulaire-etape"]
    form["iban"], form["telephone"] = "FR76 3000 6000 0112 3456 7890 189", "25 12 34"
    form["rib"] = webtest.Upload("../rib du compte.png", PNG, "image/png")
    form["attestation_cafat"] = webtest.Upload("cafat.pdf", PDF, "application/pdf")
    form["attestation_fiscale"] = webtest.Upload("cafat.pdf", PDF, "application/pdf")
    review = form.submit("action", value="suivant", status=303).follow()
    review.forms["formulaire-verification"]["declaration"] = "oui"
    review.forms["formulaire-verification"].submit(status=303)
    with transaction_scope(registry) as request:
        return str(request.db.scalars(sa.select(Application.receipt)).one())


def test_the_receipt_is_attached_to_the_confirmation_with_the_answers_and_the_files(
    company_app: webtest.TestApp, registry: Registry, inbox: Inbox, clock: Any
) -> None:
    receipt = applied_with_files(company_app, registry)
    run_jobs(registry)
    [message] = inbox.messages
    assert message["Subject"] == f"Demande enregistrée : {receipt}"
    assert "Le récépissé de dépôt (PDF) est joint à ce courriel" in message.get_body(("plain",)).get_content()
    [attached] = list(message.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type()) == (f"recepisse-{receipt}.pdf", "application/pdf")
    text = pdf_text(attached.get_content())
    assert "Récépissé de dépôt" in text and "Aide aux entreprises" in text
    assert f"Numéro de dépôt {receipt}" in text
    # The frozen clock's instant, 22:00 UTC on the 23rd, is the 24th at 09:00 in Nouméa.
    assert "Déposée le 24/03/2026 à 09:00 (heure de Nouméa)" in text
    assert "Demandeur Boulangerie du Mont-Dore" in text
    assert "Montant de l'aide demandée 300 000 F CFP" in text and "Nombre de salariés 3" in text
    assert "../rib du compte.png" in text and PNG_SHA256 in text
    assert hashlib.sha256(PDF).hexdigest() in text


def test_the_applicant_downloads_the_receipt_and_everything_sent_as_one_zip(
    company_app: webtest.TestApp, registry: Registry, inbox: Inbox
) -> None:
    receipt = applied_with_files(company_app, registry)
    page = company_app.get("/mes-demarches/").click(description=receipt)
    download = page.click(description="Le récépissé de dépôt")
    assert download.content_type == "application/pdf"
    assert download.content_disposition == f"attachment; filename*=UTF-8''recepisse-{receipt}.pdf"
    assert f"Numéro de dépôt {receipt}" in pdf_text(download.body)
    bundle = page.click(description="Tout ce que j'ai envoyé")
    assert bundle.content_type == "application/zip"
    assert bundle.content_disposition == f"attachment; filename*=UTF-8''demande-{receipt}.zip"
    with zipfile.ZipFile(io.BytesIO(bundle.body)) as archive:
        assert archive.namelist() == [
            f"recepisse-{receipt}.pdf",
            "fichiers/attestation_cafat/cafat.pdf",
            "fichiers/attestation_fiscale/cafat.pdf",
            "fichiers/rib/rib du compte.png",
        ]  # fmt: skip
        assert archive.read("fichiers/rib/rib du compte.png") == PNG
        assert f"Numéro de dépôt {receipt}" in pdf_text(archive.read(f"recepisse-{receipt}.pdf"))


def test_another_applicant_s_receipt_and_zip_do_not_exist_for_you(
    company_app: webtest.TestApp, registry: Registry, inbox: Inbox
) -> None:
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create("autre", "Autre personne", CITIZEN, email="autre@example.nc")
    other = submitted_by(registry, "autre")
    for path in ("recepisse.pdf", "demande.zip", "fichiers/1"):
        company_app.get(f"/mes-demarches/{other}/{path}", status=404)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\win.ini", "win.ini"),
        ("rapport\x00.pdf", "rapport_.pdf"),
        ("..", "fichier"),
        ("", "fichier"),
        (".bashrc", "bashrc"),
        ("Relevé d'identité: mars?.pdf", "Relevé d_identité_ mars_.pdf"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_a_file_s_name_in_the_zip_stays_in_its_folder(sent: str, kept: str) -> None:
    assert safe_name(sent) == kept


def test_two_files_of_the_same_name_are_both_kept() -> None:
    taken: set[str] = set()
    names = [unique_name(name, taken) for name in ("f/rib.pdf", "f/RIB.pdf", "f/rib.pdf", "f/notes")]
    assert names == ["f/rib.pdf", "f/RIB (2).pdf", "f/rib (3).pdf", "f/notes"]
