"""Applying without an account: an address proved by a mailed code, then the private link to follow the file."""

from __future__ import annotations

import io
import re
import zipfile

import sqlalchemy as sa
import webtest
from cagou_aids.abuse import GUEST_CODES
from cagou_aids.models import WITHDRAWN, Application, Draft
from pyramid.registry import Registry
from test_applying import IDENTITY, SLUG, WHERE
from test_services import published

from cagou.kit import transaction_scope
from cagou.testing import csrf_token, delivered_mail


def start_as_guest(app: webtest.TestApp, email: str = "marie@example.nc") -> webtest.TestResponse:
    form = app.get(f"/demarches/{SLUG}").forms["formulaire-sans-compte"]
    form["email"] = email
    return form.submit(status=303).follow()


def mailed_code(registry: Registry) -> tuple[str, str]:
    message = delivered_mail(registry)[-1]
    body = message.get_content()
    code = re.search(r"Votre code de confirmation est (\d{6})\.", body)
    link = re.search(r"http://\S+/confirmation", body)
    assert code is not None and link is not None
    return code.group(1), link.group().removeprefix("http://localhost")


def guest_applied(app: webtest.TestApp, registry: Registry) -> tuple[str, webtest.TestResponse]:
    """A guest's application through the pages: the token of their private link, and their file's page."""
    published(registry)
    confirm = start_as_guest(app)
    code, link = mailed_code(registry)
    assert "Un code à six chiffres vient d'être envoyé à marie@example.nc." in confirm.text
    token = link.split("/brouillon/")[1].split("/")[0]
    app.get(f"/demarches/{SLUG}/brouillon/{token}/etape/1", status=303)  # not before the code
    form = confirm.forms["formulaire-code"]
    form["code"] = code
    page = form.submit(status=303).follow()
    for values in (IDENTITY, WHERE, {"accompagne": "non"}, {"telephone": "25 12 34", "courriel": "marie@example.nc"}):
        form = page.forms["formulaire-etape"]
        for name, value in values.items():
            form[name] = value
        page = form.submit("action", value="suivant", status=303).follow()
    page.forms["formulaire-verification"]["declaration"] = "oui"
    return token, page.forms["formulaire-verification"].submit(status=303).follow()


def test_a_guest_confirms_the_address_applies_and_follows_the_file(app: webtest.TestApp, registry: Registry) -> None:
    token, followed = guest_applied(app, registry)
    assert followed.request.path == f"/demarches/{SLUG}/brouillon/{token}/suivi"
    assert followed.html.find(id="etat").text.startswith("Nouvelle")  # the census's workflow names it so
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application)).one()
        assert (application.applicant_id, application.email) == (None, "marie@example.nc")
    app.reset()  # another browser, the link only: the link is the key
    assert app.get(f"/demarches/{SLUG}/brouillon/{token}/suivi").html.find(id="etat") is not None


def test_a_guest_downloads_the_receipt_and_the_zip_then_withdraws_through_the_link(
    app: webtest.TestApp, registry: Registry
) -> None:
    token, _ = guest_applied(app, registry)
    app.reset()  # the link only
    page = app.get(f"/demarches/{SLUG}/brouillon/{token}/suivi")
    receipt = page.click(description="Le récépissé de dépôt")
    assert receipt.content_type == "application/pdf" and receipt.body.startswith(b"%PDF-")
    bundle = page.click(description="Tout ce que j'ai envoyé")
    with zipfile.ZipFile(io.BytesIO(bundle.body)) as archive:
        [name] = archive.namelist()
        assert name.startswith("recepisse-RAP-") and archive.read(name).startswith(b"%PDF-")
    refused = page.forms["formulaire-retrait"].submit(status=400)
    assert refused.html.find(id="erreur-confirmer").text == "Cochez la case pour confirmer le retrait."
    refused.forms["formulaire-retrait"]["confirmer"] = "oui"
    done = refused.forms["formulaire-retrait"].submit(status=303).follow()
    assert done.request.path == f"/demarches/{SLUG}/brouillon/{token}/suivi"
    assert done.html.find(id="etat").text.startswith("Retirée : Vous avez retiré cette demande")
    assert "formulaire-retrait" not in done.forms
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state)) == WITHDRAWN
        entry = request.db.execute(
            sa.text("SELECT action, summary FROM audit_entry WHERE module = 'aids' ORDER BY id DESC LIMIT 1")
        ).one()
    assert entry.action == "aids:application:withdraw" and "par son lien personnel" in entry.summary


def test_another_token_finds_nothing_to_read_download_or_withdraw(app: webtest.TestApp, registry: Registry) -> None:
    token, followed = guest_applied(app, registry)
    form_token = csrf_token(followed)
    other = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    base = f"/demarches/{SLUG}/brouillon/{other}/suivi"
    for path in ("", "/recepisse.pdf", "/demande.zip", "/fichiers/1"):
        app.get(base + path, status=404)
    app.post(base + "/retirer", {"confirmer": "oui", "csrf_token": form_token}, status=404)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state)) == "deposee"


def test_a_wrong_code_is_refused_and_the_tries_are_few(app: webtest.TestApp, registry: Registry) -> None:
    published(registry)
    confirm = start_as_guest(app)
    code, _ = mailed_code(registry)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(GUEST_CODES.attempts):
        form = confirm.forms["formulaire-code"]
        form["code"] = wrong
        confirm = form.submit(status=400)
    assert confirm.html.find(id="erreur-code").text.startswith("Ce code ne correspond pas")
    form = confirm.forms["formulaire-code"]
    form["code"] = code  # the right one, too late
    refused = form.submit(status=429)
    assert "Trop de tentatives" in refused.html.find(id="erreur-code").text
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Draft.confirmed_at)) is None


def test_a_guest_address_that_is_not_one_is_refused_next_to_the_field(app: webtest.TestApp, registry: Registry) -> None:
    published(registry)
    form = app.get(f"/demarches/{SLUG}").forms["formulaire-sans-compte"]
    form["email"] = "pas une adresse"
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-email").text == "Adresse électronique invalide : « pas une adresse »."
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
    assert delivered_mail(registry) == []
