"""A resident applies on the public site: catalogue, procedure page, the pages of the form, review, receipt."""

from __future__ import annotations

import re

import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, Draft
from pyramid.registry import Registry
from test_services import ANSWERS, published

from cagou.kit import PUBLIC, IModuleStates, transaction_scope

CATALOGUE = "/demarches/"
SLUG = "recensement-des-residents-bloques-a-l-etranger"
IDENTITY = {"nom": "Wamytan", "prenoms": "Marie", "date_naissance": "03/07/1985", "commune": "Nouméa"}
WHERE = {"pays": "AU", "ville": "Sydney", "depuis": "10/02/2020"}


def fill(
    page: webtest.TestResponse, values: dict[str, str], action: str = "suivant", status: int = 303
) -> webtest.TestResponse:
    form = page.forms["formulaire-etape"]
    for name, value in values.items():
        form[name] = value
    return form.submit("action", value=action, status=status)


def stored(registry: Registry) -> list[Application]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(Application)))


def test_the_catalogue_lists_open_procedures_for_anyone(app: webtest.TestApp, registry: Registry) -> None:
    published(registry)
    page = app.get(CATALOGUE)
    assert [link.text for link in page.html.select("#demarches h2 a")] == [
        "Recensement des résidents bloqués à l'étranger"
    ]
    assert app.get(CATALOGUE, {"q": "entreprises"}).html.select("#demarches") == []
    assert app.get(CATALOGUE, {"public": "entreprises"}).html.select("#demarches") == []
    procedure = app.get(f"/demarches/{SLUG}")
    assert "Commencer la démarche" in procedure.text and "Durée de conservation" in procedure.text


def test_a_resident_goes_through_the_pages_and_gets_a_receipt(citizen_app: webtest.TestApp, registry: Registry) -> None:
    app = citizen_app
    published(registry)
    page = app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303).follow()
    assert page.html.find(id="etape").text == "Étape 1 sur 4"
    page = fill(page, IDENTITY).follow()
    assert page.html.find(id="etape").text == "Étape 2 sur 4"
    page = fill(page, WHERE).follow()
    page.forms["formulaire-etape"]["accompagne"] = "oui"
    refused = fill(page, {}, status=400)
    assert refused.html.find(id="erreur-foyer").text == "Au moins 1 ligne(s)."
    assert refused.html.select("#erreurs a")[0]["href"] == "#champ-foyer"
    page = fill(refused, {"foyer-0-membre_nom": "Paul Wamytan", "foyer-0-membre_age": "8",
                          "foyer-0-membre_lien": "Enfant"}).follow()  # fmt: skip
    page = fill(page, {"telephone": "+61 4 12 34 56 78", "courriel": "marie@example.nc"}).follow()
    assert page.html.h1.text == "Vérifiez vos réponses"
    assert "Paul Wamytan" in page.text and "Australie" in page.text and "+61 412 345 678" in page.text
    refused = page.forms["formulaire-verification"].submit(status=400)
    assert refused.html.find(id="erreur-declaration").text == "Cochez l'attestation sur l'honneur pour déposer."
    refused.forms["formulaire-verification"]["declaration"] = "oui"
    mine = refused.forms["formulaire-verification"].submit(status=303).follow()
    receipt = re.search(r"RAP-\d{4}-000001", mine.text)
    assert receipt is not None and f"Votre demande est déposée sous le numéro {receipt.group()}." in mine.text
    assert mine.html.select_one("#demandes td").text == receipt.group()
    [application] = stored(registry)
    assert application.answers["foyer"] == [{"membre_nom": "Paul Wamytan", "membre_age": 8, "membre_lien": "Enfant"}]
    assert application.answers["telephone"] == "+61412345678"


def test_a_refused_page_keeps_what_was_typed_and_says_why_next_to_each_field(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    app = citizen_app
    published(registry)
    page = app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303).follow()
    refused = fill(page, {**IDENTITY, "date_naissance": "31/02/1985", "commune": ""}, status=400)
    assert (
        refused.html.find(id="erreur-date_naissance").text == "Une date au format JJ/MM/AAAA, par exemple 21/03/2020."
    )
    assert refused.html.find(id="erreur-commune").text == "Ce champ est obligatoire."
    assert refused.html.find(id="champ-nom")["value"] == "Wamytan"
    assert refused.html.find(id="champ-date_naissance")["aria-describedby"].strip() == "erreur-date_naissance"
    saved = fill(refused, {}, action="enregistrer").follow()
    assert "Votre brouillon est enregistré" in saved.text
    again = saved.click(href="/etape/1")
    assert again.html.find(id="champ-date_naissance")["value"] == "31/02/1985"  # nothing typed is lost


def test_someone_else_s_draft_does_not_exist_for_you(citizen_app: webtest.TestApp, registry: Registry) -> None:
    app = citizen_app
    published(registry)
    app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303)
    with transaction_scope(registry) as request:
        draft = request.db.scalars(sa.select(Draft)).one()
        draft.applicant_id = None
        token = draft.token
    app.get(f"/demarches/{SLUG}/brouillon/{token}/etape/1", status=404)


def test_the_service_refuses_what_the_pages_let_through_a_crafted_post(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    """Answers written straight into the draft are read again whole at submission."""
    app = citizen_app
    published(registry)
    app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303)
    with transaction_scope(registry) as request:
        draft = request.db.scalars(sa.select(Draft)).one()
        draft.answers = {**ANSWERS, "telephone": "12"}
        token = draft.token
    review = app.get(f"/demarches/{SLUG}/brouillon/{token}/verification")
    review.forms["formulaire-verification"]["declaration"] = "oui"
    refused = review.forms["formulaire-verification"].submit(status=400)
    assert "Une réponse est à corriger (étape 4)" in refused.text
    assert stored(registry) == []


def test_the_account_prefills_what_it_knows(citizen_app: webtest.TestApp, registry: Registry) -> None:
    app = citizen_app
    published(registry)
    page = app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303).follow()
    with transaction_scope(registry) as request:
        token = request.db.scalars(sa.select(Draft.token)).one()
    last = app.get(f"/demarches/{SLUG}/brouillon/{token}/etape/4")
    assert last.html.find(id="champ-courriel")["value"] == "marie.wamytan@example.nc"
    assert page.html.find(id="champ-nom")["value"] == ""  # a person's name is theirs to type: one field, two here


def test_switched_off_on_the_public_site_the_catalogue_says_so_and_keeps_every_draft(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    app = citizen_app
    published(registry)
    app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303)
    with transaction_scope(registry) as request:
        request.find_service(IModuleStates).set_enabled(request, "aids", PUBLIC, False)
    closed = app.get(CATALOGUE, status=503)
    assert "Les démarches en ligne sont fermées pour le moment." in closed.text
    assert app.get("/mes-demarches/", status=503)
    with transaction_scope(registry) as request:
        request.find_service(IModuleStates).set_enabled(request, "aids", PUBLIC, True)
    assert len(app.get("/mes-demarches/").html.select("#brouillons li")) == 1


def test_what_is_typed_is_saved_as_it_is_typed(citizen_app: webtest.TestApp, registry: Registry) -> None:
    """The form's htmx autosave: a fragment saying when, the draft holding what was typed, valid or not."""
    app = citizen_app
    published(registry)
    page = app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303).follow()
    form = page.forms["formulaire-etape"]
    target = page.html.find(id="formulaire-etape")["hx-post"]
    fields = {"nom": "Wamytan", "prenoms": "Marie", "date_naissance": "31/02/1985", "commune": "", "csrf_token":
              form["csrf_token"].value}  # fmt: skip
    saved = app.post(target, fields, headers={"HX-Request": "true"})
    assert saved.html.find(id="sauvegarde").text.startswith("Brouillon enregistré à ")
    with transaction_scope(registry) as request:
        draft = request.db.scalars(sa.select(Draft)).one()
        assert draft.typed["1"]["date_naissance"] == ["31/02/1985"] and draft.answers == {}
    fields["date_naissance"], fields["commune"] = "03/07/1985", "Nouméa"
    app.post(target, fields, headers={"HX-Request": "true"})
    with transaction_scope(registry) as request:
        assert request.db.scalars(sa.select(Draft.answers)).one()["date_naissance"] == "1985-07-03"
    again = app.get(page.request.path)
    assert again.html.find(id="champ-date_naissance")["value"] == "03/07/1985"


def test_a_submitted_draft_s_pages_lead_to_the_application(citizen_app: webtest.TestApp, registry: Registry) -> None:
    app = citizen_app
    published(registry)
    app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303)
    with transaction_scope(registry) as request:
        draft = request.db.scalars(sa.select(Draft)).one()
        draft.answers = dict(ANSWERS)
        token = draft.token
    review = app.get(f"/demarches/{SLUG}/brouillon/{token}/verification")
    form = review.forms["formulaire-verification"]
    form["declaration"] = "oui"
    form.submit(status=303)
    step = app.get(f"/demarches/{SLUG}/brouillon/{token}/etape/1", status=303)
    assert step.location.endswith("/mes-demarches/")
    again = form.submit(status=303)  # the back button, then "Déposer" again: the same application, no error
    assert again.location.endswith("/mes-demarches/")
    assert len(stored(registry)) == 1
