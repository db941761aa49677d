"""Hostile input is refused before any view: a 400 in French (JSON on the API), audited, never a 500.

The guard is cagou.web.input_guard. These tests send what a browser never
would (NUL, other control characters, half a surrogate pair, invalid UTF-8,
unreadable multipart and JSON bodies) to pages of the core and the sample
module (plugins/helpdesk/tests/test_hostile_input_helpdesk.py, to the
helpdesk's); tests/test_hostile_forms.py sends a corpus of crafted values through every
form the demonstration accounts can reach.
"""

from __future__ import annotations

import pytest
import webob

from cagou.testing import csrf_token, login
from cagou.testing_checks import post_multipart, post_raw, refusals

SURROGATE = b"\xed\xa0\x80"  # U+D800 written as UTF-8 would, which no valid UTF-8 holds


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


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
    assert "U+0000" in app.get("/intranet/exemple/%00", status=400).text


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


def test_the_api_refuses_hostile_json_in_json(app, demo):
    """The guard answers before any view: the sample module's API, whose permission the agent lacks, refuses too."""
    login(app, "agent", "demo-agent-2026")
    token = app.get("/intranet/jetons/")  # a signed-in page, for the session's CSRF token
    headers = {"X-CSRF-Token": csrf_token(token)}
    for body, expected in [
        (b'{"title": "a\\u0000b"}', "U+0000"),
        (b'{"title": "\\ud800"}', "U+D800"),
        (b'{"title": ', "pas un document JSON valide"),
        (b'{"title": NaN}', "pas un document JSON valide"),
        (b'{"title": "\xff"}', "pas un document JSON valide"),
    ]:
        refused = app.post(
            "/intranet/api/v1/exemple/notes", body, headers=headers, content_type="application/json", status=400
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


@pytest.mark.parametrize(
    "path",
    [
        "/intranet/console/comptes/9999999999",
        "/intranet/console/journal/99999999999999999999",
        "/intranet/console/journal/" + "9" * 5000,
    ],
)
def test_a_number_no_record_can_have_is_a_404(app, registry, demo, path):
    """Records are numbered on 32 bits: PostgreSQL refused the comparison, and the page answered 500."""
    login(app, "admin", "demo-admin-2026")
    assert "n'existe pas" in app.get(path, status=404).html.find("main").text
    assert refusals(registry) == []  # a page that does not exist, not an attack


@pytest.mark.parametrize("query", ["du=0001-01-01", "au=31/12/9999", "du=9999-12-31&au=9999-12-31"])
def test_dates_outside_what_people_mean_are_refused_next_to_their_field(app, demo, query):
    """The day after 31/12/9999, or midnight of 01/01/0001 in UTC, do not exist: the filters answered 500."""
    login(app, "admin", "demo-admin-2026")
    refused = app.get(f"/intranet/console/journal/?{query}", status=400)
    assert "Saisissez une date valide" in refused.text
