"""Form bodies read by the multipart package (cagou.web.form_bodies): what WebOb's cgi.FieldStorage gave, kept.

The first tests read ``request.POST`` of the platform's request class
directly, a behaviour each; the last ones send the bodies a browser never
would through the application, where the input guard must answer a 400 in
French, never a 500.
"""

from __future__ import annotations

import base64
import quopri

import pytest
from webob.multidict import MultiDict

from cagou.kit import PostedFile, uploads_of
from cagou.testing import csrf_token
from cagou.testing_checks import PDF_SAMPLE, post_multipart
from cagou.web import form_bodies
from cagou.web.form_bodies import SPOOL_BYTES, FormRequest

BOUNDARY = "limite"
NAMED = b'Content-Disposition: form-data; name="%s"'


def body_of(*parts: bytes, end: bool = True) -> bytes:
    body = b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + BOUNDARY.encode() + b"--\r\n" if end else b"")


def text_part(name: str, value: bytes, *headers: bytes) -> bytes:
    return b"\r\n".join([NAMED % name.encode(), *headers, b"", value])


def file_part(name: str, filename: bytes, data: bytes, content_type: bytes = b"application/pdf") -> bytes:
    disposition = NAMED % name.encode() + b'; filename="' + filename + b'"'
    return b"\r\n".join([disposition, b"Content-Type: " + content_type, b"", data])


def posted(*parts: bytes, end: bool = True) -> MultiDict:
    request = FormRequest.blank(
        "/", method="POST", body=body_of(*parts, end=end), content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    return request.POST


def test_text_is_utf8_and_what_is_not_is_replaced_not_refused() -> None:
    fields = posted(text_part("nom", "Hélène".encode()), text_part("ville", b"Noum\xe9a"))
    assert fields["nom"] == "Hélène"
    assert fields["ville"] == "Noum\ufffda"


def test_a_file_input_left_empty_is_the_empty_string() -> None:
    fields = posted(file_part("piece", b"", b"", b"application/octet-stream"))
    assert fields["piece"] == ""


def test_a_file_is_a_posted_file_with_its_name_type_and_bytes() -> None:
    fields = posted(file_part("piece", "relevé.pdf".encode(), PDF_SAMPLE))
    sent = fields["piece"]
    assert isinstance(sent, PostedFile)
    assert (sent.name, sent.filename, sent.type) == ("piece", "relevé.pdf", "application/pdf")
    assert sent.file.read() == PDF_SAMPLE


def test_a_part_without_a_name_or_without_content_disposition_is_named_none() -> None:
    fields = posted(b"Content-Disposition: form-data\r\n\r\nsans nom", b"Content-Type: text/plain\r\n\r\nrien")
    assert list(fields.items()) == [(None, "sans nom"), (None, "rien")]


def test_a_multipart_body_without_a_boundary_is_a_value_error() -> None:
    request = FormRequest.blank("/", method="POST", body=b"--x\r\n", content_type="multipart/form-data")
    with pytest.raises(ValueError):
        request.POST.items()


def test_a_truncated_body_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        posted(text_part("nom", b"Helene"), end=False)


def test_a_part_without_a_body_may_end_its_headers_with_the_delimiter() -> None:
    """Werkzeug's test client writes an empty field so (RFC 2046 allows it); cgi.FieldStorage read it as empty."""
    delimiter = b"--" + BOUNDARY.encode()
    body = (
        delimiter + b"\r\n" + NAMED % b"vide" + b"\r\n\r\n"
        + delimiter + b"\r\n" + NAMED % b"suite" + b"\r\n\r\nx\r\n" + delimiter + b"--\r\n"
    )  # fmt: skip
    request = FormRequest.blank("/", method="POST", body=body, content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert list(request.POST.items()) == [("vide", ""), ("suite", "x")]


@pytest.mark.parametrize("read_bytes", [1, 2, 7, 64 * 1024])
def test_what_ends_in_line_breaks_is_kept_whatever_the_reads(monkeypatch, read_bytes) -> None:
    monkeypatch.setattr(form_bodies, "READ_BYTES", read_bytes)
    fields = posted(
        text_part("vide", b""),
        text_part("ligne", b"ligne\r\n"),
        text_part("lignes", b"\r\n\r\n"),
        file_part("piece", b"a.txt", b"x\r\n\r\n"),
        text_part("fin", b"y"),
    )
    values = [(name, value if isinstance(value, str) else value.file.read()) for name, value in fields.items()]
    assert values == [
        ("vide", ""),
        ("ligne", "ligne\r\n"),
        ("lignes", "\r\n\r\n"),
        ("piece", b"x\r\n\r\n"),
        ("fin", "y"),
    ]


def test_a_part_charset_is_honoured() -> None:
    fields = posted(text_part("ville", b"Noum\xe9a", b"Content-Type: text/plain; charset=iso-8859-1"))
    assert fields["ville"] == "Nouméa"


def test_a_part_in_base64_is_decoded() -> None:
    encoded = base64.b64encode("Païta".encode())
    assert posted(text_part("ville", encoded, b"Content-Transfer-Encoding: base64"))["ville"] == "Païta"


def test_a_part_in_quoted_printable_is_decoded() -> None:
    encoded = quopri.encodestring("Mont-Dore, Nouméa".encode())
    assert posted(text_part("ville", encoded, b"Content-Transfer-Encoding: quoted-printable"))["ville"] == (
        "Mont-Dore, Nouméa"
    )


def test_the_parser_sets_no_limit_of_its_own() -> None:
    """More parts, longer headers and a larger file than the multipart package's defaults allow."""
    many = [text_part(f"champ{number}", b"x") for number in range(300)]
    long_name = b"n" * 8000 + b".pdf"
    large = PDF_SAMPLE + b"\0" * (12 * 1024 * 1024)
    fields = posted(*many, file_part("piece", long_name, large))
    assert len(fields) == 301
    assert fields["piece"].filename == long_name.decode()
    assert fields["piece"].file.read() == large


def test_a_large_file_is_spooled_to_disk_not_kept_in_memory() -> None:
    fields = posted(file_part("petit", b"a.pdf", PDF_SAMPLE), file_part("gros", b"b.pdf", b"\0" * (SPOOL_BYTES + 1)))
    # SpooledTemporaryFile says whether it went to disk only through this attribute.
    assert fields["petit"].file._rolled is False
    assert fields["gros"].file._rolled is True


def test_uploads_of_reads_the_posted_files_and_skips_an_empty_input() -> None:
    request = FormRequest.blank(
        "/",
        method="POST",
        body=body_of(file_part("pieces", b"a.pdf", PDF_SAMPLE), file_part("pieces", b"", b""), text_part("x", b"")),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert [(upload.filename, upload.data) for upload in uploads_of(request, "pieces")] == [("a.pdf", PDF_SAMPLE)]


def test_an_urlencoded_body_keeps_blank_values_and_replaces_invalid_utf8() -> None:
    request = FormRequest.blank(
        "/", method="POST", body=b"a=h%C3%A9&b=&c=x+y&a=%E9", content_type="application/x-www-form-urlencoded"
    )
    assert list(request.POST.items()) == [("a", "hé"), ("b", ""), ("c", "x y"), ("a", "\ufffd")]


def test_post_is_a_webob_multidict_parsed_once() -> None:
    request = FormRequest.blank("/", method="POST", POST={"a": "1"})
    assert type(request.POST) is MultiDict and request.POST is request.POST
    assert request.params["a"] == "1"


def refused_multipart(app, *parts: bytes, end: bool = True):  # type: ignore[no-untyped-def]
    page = app.get("/connexion")
    token = text_part("csrf_token", csrf_token(page).encode())
    return post_multipart(app, "/connexion", body_of(token, *parts, end=end), BOUNDARY)


def test_a_part_without_content_disposition_is_refused_as_nameless(app, demonstration):
    refused = refused_multipart(app, b"Content-Type: text/plain\r\n\r\nsans nom")
    assert refused.status_int == 400 and "partie sans nom" in refused.text


@pytest.mark.parametrize(
    "part",
    [
        text_part("login", b"x", b"Content-Type: text/plain; charset=inconnu"),
        text_part("login", b"QUJD\r\nQ", b"Content-Transfer-Encoding: base64"),
        b"pas un en-tete\r\n\r\nx",
    ],
    ids=["unknown charset", "bad base64", "not a header"],
)
def test_an_unreadable_part_is_refused_as_malformed_not_a_500(app, demonstration, part):
    refused = refused_multipart(app, part)
    assert refused.status_int == 400 and "mal formé" in refused.text


def test_a_truncated_multipart_body_is_refused_as_malformed(app, demonstration):
    refused = refused_multipart(app, text_part("login", b"x"), end=False)
    assert refused.status_int == 400 and "mal formé" in refused.text


def test_a_form_in_another_charset_than_utf8_is_refused_not_a_500(app, demonstration):
    refused = app.request(
        "/connexion",
        method="POST",
        body=b"login=x",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
        expect_errors=True,
    )
    assert refused.status_int == 400 and "mal formé" in refused.text
