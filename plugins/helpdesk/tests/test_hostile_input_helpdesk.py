"""Hostile input on the helpdesk's pages and API: a 400 in French (JSON on the API), audited, never a 500.

The guard is the core's (cagou.web.input_guard); the core's own pages are the
core's tests (tests/test_hostile_input.py). The helpdesk adds a multipart form
with files, a form whose refusal must lose nothing a person wrote, an API that
reads JSON, and records numbered on 32 bits.
"""

from __future__ import annotations

import pytest

from cagou.testing import csrf_token, login
from cagou.testing_checks import post_multipart, refusals


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


def test_a_nul_in_a_helpdesk_address_is_refused(app, demo):
    assert "U+0000" in app.get("/intranet/assistance/%00", status=400).text


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
    refused = app.get(f"/intranet/assistance/tableau-de-bord/?{query}", status=400)
    assert "Saisissez une date valide" in refused.text
