"""Hostile input is refused before any view: a 400 in French (JSON on the API), audited, never a 500.

The guard is cagou.web.input_guard. These tests send what a browser never
would (NUL, other control characters, half a surrogate pair, invalid UTF-8,
unreadable multipart and JSON bodies) to pages of the core and the helpdesk;
tests/test_hostile_forms.py sends a corpus of crafted values through every
form the demonstration accounts can reach.
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes

import pytest
import sqlalchemy as sa
import webob

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.testing import csrf_token, login

SURROGATE = b"\xed\xa0\x80"  # U+D800 written as UTF-8 would, which no valid UTF-8 holds


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


def refusals(registry) -> list[AuditEntry]:
    with transaction_scope(registry) as request:
        query = sa.select(AuditEntry).where(AuditEntry.action == "core:request:refused-input").order_by(AuditEntry.id)
        return list(request.db.scalars(query))


def form_body(fields: list[tuple[str, bytes]]) -> bytes:
    return b"&".join(
        quote_from_bytes(name.encode()).encode() + b"=" + quote_from_bytes(value).encode() for name, value in fields
    )


def post_multipart(app, path: str, body: bytes, boundary: str):
    """A multipart body sent as it is (WebTest's post would encode it again, with its own boundary)."""
    return app.request(
        path, method="POST", body=body, content_type=f"multipart/form-data; boundary={boundary}", expect_errors=True
    )


def post_raw(app, path: str, fields: list[tuple[str, bytes]], **kwargs):
    return app.post(path, form_body(fields), content_type="application/x-www-form-urlencoded", **kwargs)


@pytest.mark.parametrize("path", ["/connexion", "/intranet/connexion"])
def test_a_sign_in_with_a_nul_is_refused_in_french_and_audited(app, registry, demo, path):
    page = app.get(path)
    fields = [("csrf_token", csrf_token(page).encode()), ("login", b"agent\x00"), ("password", b"demo-agent-2026")]
    refused = post_raw(app, path, fields, status=400)
    assert "Envoi refusé" in refused.text
    assert "Le champ « login » contient un caractère invisible" in refused.text
    assert "U+0000" in refused.text
    # Offered again without the character, but never with the password.
    form = refused.forms["envoi-nettoye"]
    assert form["login"].value == "agent"
    assert "password" not in form.fields
    assert "saisissez-les de nouveau" in refused.text
    [entry] = refusals(registry)
    assert entry.category == "refused"
    assert f"POST {path}" in entry.summary and "« login »" in entry.summary


def test_the_password_reset_page_refuses_control_characters_without_a_session(app, registry, demo):
    page = app.get("/mot-de-passe-oublie")
    fields = [("csrf_token", csrf_token(page).encode()), ("login", b"citoyen\x07")]
    refused = post_raw(app, "/mot-de-passe-oublie", fields, status=400)
    assert "U+0007" in refused.text
    assert len(refusals(registry)) == 1


def test_a_search_with_a_nul_is_refused_and_offered_without_it(app, demo):
    login(app, "agent", "demo-agent-2026")
    refused = app.get("/intranet/recherche?q=imprimante%00", status=400)
    assert "Le champ « q »" in refused.text
    link = refused.html.find("a", string="Continuer sans ces caractères")
    assert link["href"] == "/intranet/recherche?q=imprimante"
    assert app.get(link["href"]).status_int == 200


def test_invalid_utf8_in_an_address_is_a_400_not_a_500(app, demo):
    assert "mal formée" in app.get("/intranet/recherche?q=%ED%A0%80", status=400).text
    # WebTest cannot carry such an address (its cookie jar decodes it): straight to the WSGI application.
    answer = webob.Request.blank("/connexion/%FF", headers={"Host": "localhost"}).get_response(app.app)
    assert answer.status_int == 400 and "mal formée" in answer.text
    assert "U+0000" in app.get("/intranet/assistance/%00", status=400).text


def test_a_stored_header_with_a_control_character_is_refused(app, demo):
    refused = app.get("/connexion", headers={"User-Agent": "Mozilla\x01"}, status=400)
    assert "User-Agent" in refused.text


def test_a_multipart_part_without_a_name_is_refused(app, demo):
    page = app.get("/connexion")
    boundary = "limite"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf_token(page)}\r\n'
        f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\nsans nom\r\n--{boundary}--\r\n"
    ).encode()
    refused = post_multipart(app, "/connexion", body, boundary)
    assert refused.status_int == 400 and "partie sans nom" in refused.text


def test_a_multipart_body_without_boundary_is_refused(app, demo):
    refused = app.request(
        "/connexion", method="POST", body=b"--x\r\n", content_type="multipart/form-data", expect_errors=True
    )
    assert refused.status_int == 400 and "mal formé" in refused.text


def test_a_surrogate_in_a_multipart_file_name_is_refused(app, demo):
    login(app, "agent", "demo-agent-2026")
    page = app.get("/intranet/assistance/nouvelle")
    boundary = "limite"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf_token(page)}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="a\x1b.png"\r\n'
        f"Content-Type: image/png\r\n\r\nPNG\r\n--{boundary}--\r\n"
    ).encode()
    refused = post_multipart(app, "/intranet/assistance/nouvelle", body, boundary)
    assert refused.status_int == 400 and "U+001B" in refused.text
    assert "fichiers joints n'ont pas pu être gardés" in refused.text


def test_a_ticket_refused_for_a_control_character_is_sent_again_without_it(app, registry, demo):
    """Nothing a person wrote is lost: the cleaned form goes through the ticket form's own checks."""
    login(app, "agent", "demo-agent-2026")
    form = app.get("/intranet/assistance/nouvelle").forms["formulaire-demande"]
    form["title"], form["category"] = "Imprimante\x0c bloquée", "Logiciels"
    form["description"] = "Elle affiche une erreur\x00 depuis ce matin, au deuxième étage."
    refused = form.submit(status=400)
    again = refused.forms["envoi-nettoye"]
    assert again["description"].value == "Elle affiche une erreur depuis ce matin, au deuxième étage."
    created = again.submit().maybe_follow()
    assert "Imprimante bloquée" in created.text


def test_the_api_refuses_hostile_json_in_json(app, demo):
    login(app, "agent", "demo-agent-2026")
    token = app.get("/intranet/jetons/")  # a signed-in page, for the session's CSRF token
    headers = {"X-CSRF-Token": csrf_token(token)}
    for body, expected in [
        (b'{"subject": "a\\u0000b"}', "U+0000"),
        (b'{"subject": "\\ud800"}', "U+D800"),
        (b'{"subject": ', "pas un document JSON valide"),
        (b'{"subject": NaN}', "pas un document JSON valide"),
        (b'{"subject": "\xff"}', "pas un document JSON valide"),
    ]:
        refused = app.post(
            "/intranet/api/v1/assistance/demandes", body, headers=headers, content_type="application/json", status=400
        )
        assert refused.content_type == "application/json"
        assert expected in refused.json["error"]


def test_refusals_are_audited_twenty_per_address_and_hour(app, registry, demo):
    for _ in range(25):
        app.get("/connexion?next=%00", status=400)
    assert len(refusals(registry)) == 20
    other = {"REMOTE_ADDR": "10.0.0.9"}
    app.get("/connexion?next=%00", extra_environ=other, status=400)
    assert len(refusals(registry)) == 21


def test_tabs_and_line_ends_are_welcome(app, registry, demo):
    login(app, "agent", "demo-agent-2026")
    form = app.get("/intranet/assistance/nouvelle").forms["formulaire-demande"]
    form["title"], form["category"] = "Écran\tnoir", "Logiciels"
    form["description"] = "Ligne une\r\nLigne deux\nLigne trois 🖨️"
    assert form.submit().status_int == 303
    assert refusals(registry) == []


@pytest.mark.parametrize(
    "path",
    [
        "/intranet/console/comptes/9999999999",
        "/intranet/console/journal/99999999999999999999",
        "/intranet/assistance/tickets/2147483648",
        "/intranet/assistance/articles/99999999999999999999",
        "/intranet/assistance/articles/" + "9" * 5000,
    ],
)
def test_a_number_no_record_can_have_is_a_404(app, registry, demo, path):
    """Records are numbered on 32 bits: PostgreSQL refused the comparison, and the page answered 500."""
    login(app, "admin", "demo-admin-2026")
    assert "n'existe pas" in app.get(path, status=404).html.find("main").text
    assert refusals(registry) == []  # a page that does not exist, not an attack


def test_the_api_answers_a_number_no_record_can_have_with_a_json_404(app, demo):
    login(app, "agent", "demo-agent-2026")
    assert app.get("/intranet/api/v1/assistance/demandes/99999999999", status=404).json == {
        "error": "Ressource introuvable."
    }


@pytest.mark.parametrize("query", ["du=0001-01-01", "au=31/12/9999", "du=9999-12-31&au=9999-12-31"])
def test_dates_outside_what_people_mean_are_refused_next_to_their_field(app, demo, query):
    """The day after 31/12/9999, or midnight of 01/01/0001 in UTC, do not exist: the filters answered 500."""
    login(app, "admin", "demo-admin-2026")
    for page in ("/intranet/console/journal/", "/intranet/assistance/tableau-de-bord/"):
        refused = app.get(f"{page}?{query}", status=400)
        assert "Saisissez une date valide" in refused.text
