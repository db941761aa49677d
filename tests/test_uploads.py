"""The kit's upload helpers: a file's type judged from its bytes, limits, French messages, downloads."""

from __future__ import annotations

import io

from cagou.kit import FormErrors, Upload, attachment_response, check_upload, sniffed_type
from cagou.testing_checks import PDF_SAMPLE, PNG_SAMPLE, PROGRAM_SAMPLE

PDF, PNG, PROGRAM = PDF_SAMPLE, PNG_SAMPLE, PROGRAM_SAMPLE
ACCEPTED = {"application/pdf": "PDF", "image/png": "PNG"}


def checked(upload: Upload, max_bytes: int = 1024) -> tuple[str | None, dict[str, str]]:
    errors = FormErrors()
    return check_upload(errors, "piece", upload, ACCEPTED, max_bytes), dict(errors)


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    assert checked(Upload("releve.pdf", PDF)) == ("application/pdf", {})
    assert checked(Upload("photo.pdf", PNG)) == ("image/png", {})
    assert checked(Upload("releve.pdf", PROGRAM)) == (
        None, {"piece": "« releve.pdf » n'est pas d'un type accepté (d'après son contenu) : PDF, PNG."},
    )  # fmt: skip
    assert sniffed_type("journal : connexion VPN refusée\n".encode()) == "text/plain"
    assert sniffed_type(b"\x00\x01binary") is None


def test_empty_and_too_big_files_are_refused_next_to_the_field() -> None:
    assert checked(Upload("vide.pdf", b"")) == (None, {"piece": "« vide.pdf » est vide."})
    big = Upload("gros.pdf", PDF + b"x" * 3 * 1024 * 1024)
    assert checked(big, 2 * 1024 * 1024) == (
        None, {"piece": "« gros.pdf » pèse 3,0 Mo : la limite est de 2 Mo par fichier."},
    )  # fmt: skip
    assert Upload("a.pdf", b"abc").sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_download_is_an_attachment_under_a_quoted_name() -> None:
    response = attachment_response(io.BytesIO(PDF), 'relevé "banque".pdf', "application/pdf")
    assert response.content_disposition == "attachment; filename*=UTF-8''relev%C3%A9%20%22banque%22.pdf"
    assert b"".join(response.app_iter) == PDF
