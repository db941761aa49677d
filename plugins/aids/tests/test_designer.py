"""The designer's pages: a procedure made from a blank page, its fields and pages, preview, test, publication."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.models import PUBLISHED, TEST, Procedure
from pyramid.registry import Registry
from test_services import NOTICE, audit_actions

from cagou.kit import AGENT, IAccounts, transaction_scope
from cagou.testing import login

DESIGNER, PASSWORD = "conceptrice", "lagon-vanille-tricot-2026"


@pytest.fixture
def designer(app: webtest.TestApp, registry: Registry, demonstration: None) -> webtest.TestApp:
    """A designer of the Direction des finances, signed in on the intranet."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        directorate = accounts.directorate("DFI")
        assert directorate is not None
        account = accounts.create(DESIGNER, "Anne Conceptrice", AGENT, password=PASSWORD)
        accounts.grant(account, "aids:designer", directorate)
    login(app, DESIGNER, PASSWORD)
    return app


def procedure_of(registry: Registry, title: str) -> Procedure:
    with transaction_scope(registry) as request:
        procedure = request.db.scalar(sa.select(Procedure).where(Procedure.title == title))
        assert procedure is not None
        request.db.expunge(procedure)
        return procedure


def definition_of(registry: Registry, procedure_id: int) -> dict:
    with transaction_scope(registry) as request:
        return dict(request.db.get(Procedure, procedure_id).latest.definition)


def create_blank(app: webtest.TestApp, title: str = "Recensement test") -> webtest.TestResponse:
    form = app.get("/intranet/demarches/nouvelle").forms["formulaire-nouvelle-demarche"]
    form["title"], form["receipt_prefix"] = title, "RECT"
    return form.submit().follow()


def add_field(page: webtest.TestResponse, kind: str, label: str, required: bool = False, choices: str = ""):
    form = page.forms["formulaire-ajout-champ"]
    form["type"], form["label"], form["choices"] = kind, label, choices
    form["required"] = required
    return form.submit().follow()


def test_a_blank_procedure_gets_fields_and_pages_and_shows_them_as_the_applicant_will(
    designer: webtest.TestApp, registry: Registry
) -> None:
    page = create_blank(designer)
    assert "Recensement test" in page.text
    page = add_field(page, "text", "Nom de famille", required=True)
    page = add_field(page, "choice", "Lien avec vous", choices="Enfant\nParent")
    preview = page.html.select_one("#apercu")
    assert preview.select_one("#apercu-champ-nom_famille") is not None
    assert [label.text for label in preview.select("fieldset label")] == ["Enfant", "Parent"]
    form = page.forms["formulaire-ajout-page"]
    form["title"] = "Où vous êtes"
    page = form.submit().follow()
    assert "Page 2 : Où vous êtes" in page.text
    procedure_id = procedure_of(registry, "Recensement test").id
    data = definition_of(registry, procedure_id)
    assert [spec["name"] for spec in data["pages"][0]["fields"]] == ["nom_famille", "lien_avec_vous"]
    assert data["pages"][0]["fields"][0]["required"] is True


def test_fields_are_reordered_with_plain_forms(designer: webtest.TestApp, registry: Registry) -> None:
    page = create_blank(designer)
    page = add_field(page, "text", "Nom")
    page = add_field(page, "text", "Prénoms")
    procedure_id = procedure_of(registry, "Recensement test").id
    csrf = page.forms["formulaire-ajout-champ"]["csrf_token"].value
    designer.post(f"/intranet/demarches/{procedure_id}/conception/champs/prenoms/monter", {"csrf_token": csrf},
                  status=303)  # fmt: skip
    assert [s["name"] for s in definition_of(registry, procedure_id)["pages"][0]["fields"]] == ["prenoms", "nom"]
    page = designer.get(f"/intranet/demarches/{procedure_id}/conception")
    assert [row["id"] for row in page.html.select(".designer-fields tbody tr")] == ["ligne-prenoms", "ligne-nom"]


def test_a_field_is_edited_with_a_condition_and_a_message(designer: webtest.TestApp, registry: Registry) -> None:
    page = create_blank(designer)
    page = add_field(page, "yesno", "Voyagez-vous accompagné ?", required=True)
    page = add_field(page, "integer", "Nombre de personnes")
    procedure_id = procedure_of(registry, "Recensement test").id
    edit = designer.get(f"/intranet/demarches/{procedure_id}/conception/champs/nombre_personnes")
    form = edit.forms["formulaire-champ"]
    form["show_if"], form["min"], form["max"], form["message"] = (
        "voyagez_vous_accompagne:oui",
        "1",
        "12",
        "Entre 1 et 12.",
    )
    form.submit().follow()
    spec = definition_of(registry, procedure_id)["pages"][0]["fields"][1]
    assert spec["show_if"] == {"field": "voyagez_vous_accompagne", "equals": "oui"}
    assert (spec["min"], spec["max"], spec["message"]) == (1, 12, "Entre 1 et 12.")


def test_hostile_field_input_is_refused_next_to_its_field_and_nothing_is_stored(
    designer: webtest.TestApp, registry: Registry
) -> None:
    page = create_blank(designer)
    page = add_field(page, "text", "Nom")
    procedure_id = procedure_of(registry, "Recensement test").id
    before = definition_of(registry, procedure_id)
    form = page.forms["formulaire-ajout-champ"]
    form["type"].force_value("script")
    form["label"] = "Piège"
    refused = form.submit(status=400)
    assert refused.html.select_one("#erreur-type").text == "Choisissez un type de champ dans la liste."
    edit = designer.get(f"/intranet/demarches/{procedure_id}/conception/champs/nom").forms["formulaire-champ"]
    edit["show_if"].force_value("inconnu:oui")
    refused = edit.submit(status=400)
    assert "qui n'est pas un champ précédent" in refused.html.select_one(".alert-error").text
    edit = designer.get(f"/intranet/demarches/{procedure_id}/conception/champs/nom").forms["formulaire-champ"]
    edit["max"] = "beaucoup"
    refused = edit.submit(status=400)
    assert refused.html.select_one("#erreur-max").text == "Un nombre entier, par exemple 10."
    assert definition_of(registry, procedure_id) == before


def test_publication_with_an_incomplete_notice_is_refused_with_its_message(
    designer: webtest.TestApp, registry: Registry
) -> None:
    page = create_blank(designer)
    page = add_field(page, "text", "Nom")
    refused = page.forms["formulaire-publier"].submit(status=400)
    assert "Indiquez la base légale du traitement" in refused.html.select_one("#erreurs").text
    assert procedure_of(registry, "Recensement test").state == "brouillon"


def complete_settings(app: webtest.TestApp, procedure_id: int) -> None:
    form = app.get(f"/intranet/demarches/{procedure_id}/conception/reglages").forms["formulaire-reglages"]
    form["legal_basis"], form["purpose"] = NOTICE["legal_basis"], NOTICE["purpose"]
    form["retention_months"], form["dpo_contact"] = "24", NOTICE["dpo_contact"]
    form["closes_at"] = "2099-06-30T18:00"
    form.submit().follow()


def test_settings_are_kept_in_noumea_time_and_a_bad_instant_is_refused(
    designer: webtest.TestApp, registry: Registry
) -> None:
    create_blank(designer)
    procedure = procedure_of(registry, "Recensement test")
    complete_settings(designer, procedure.id)
    procedure = procedure_of(registry, "Recensement test")
    assert procedure.closes_at is not None and procedure.closes_at.hour == 7  # 18:00 in Nouméa is 07:00 UTC
    assert procedure.data_notice["retention_months"] == 24
    form = designer.get(f"/intranet/demarches/{procedure.id}/conception/reglages").forms["formulaire-reglages"]
    form["opens_at"] = "demain"
    refused = form.submit(status=400)
    assert "heure de Nouméa" in refused.html.select_one("#erreur-opens_at").text


def test_test_mode_then_publication_then_a_new_version_with_breaking_changes(
    designer: webtest.TestApp, registry: Registry
) -> None:
    page = create_blank(designer)
    page = add_field(page, "text", "Nom", required=True)
    page = add_field(page, "choice", "Lien", choices="Enfant\nParent")
    procedure_id = procedure_of(registry, "Recensement test").id
    complete_settings(designer, procedure_id)
    page = designer.get(f"/intranet/demarches/{procedure_id}/conception")
    csrf = page.forms["formulaire-publier"]["csrf_token"].value
    designer.post(f"/intranet/demarches/{procedure_id}/conception/etat/tester", {"csrf_token": csrf}, status=303)
    assert procedure_of(registry, "Recensement test").state == TEST
    catalogue = designer.get("/demarches/")
    assert "Recensement test" not in catalogue.text
    page = designer.get(f"/intranet/demarches/{procedure_id}/conception")
    page.forms["formulaire-publier"].submit(status=303)
    assert procedure_of(registry, "Recensement test").state == PUBLISHED
    page = designer.get(f"/intranet/demarches/{procedure_id}/conception")
    assert "formulaire-publier" not in page.forms
    page = add_field(page, "email", "Courriel", required=True)
    edit = designer.get(f"/intranet/demarches/{procedure_id}/conception/champs/lien").forms["formulaire-champ"]
    edit["choices"] = "Enfant"
    edit.submit().follow()
    page = designer.get(f"/intranet/demarches/{procedure_id}/conception")
    changes = [item.text for item in page.html.select("#changements li")]
    assert changes == ["Nouveau champ obligatoire : « Courriel ».", "Choix supprimé : « Parent » du champ « Lien »."]
    refused = page.forms["formulaire-publier"].submit(status=400)
    assert "cochez pour confirmer" in refused.html.select_one("#erreur-confirm").text
    form = designer.get(f"/intranet/demarches/{procedure_id}/conception").forms["formulaire-publier"]
    form["confirm"] = True
    form.submit(status=303)
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_id)
        assert [v.number for v in procedure.versions] == [1, 2] and procedure.published.number == 2
        assert "aids:procedure:version" in audit_actions(request)


def test_export_then_import_and_a_bad_file_is_refused_next_to_the_file_field(
    designer: webtest.TestApp, registry: Registry
) -> None:
    page = create_blank(designer)
    add_field(page, "text", "Nom")
    procedure_id = procedure_of(registry, "Recensement test").id
    exported = designer.get(f"/intranet/demarches/{procedure_id}/conception/export.json")
    data = json.loads(exported.body)
    assert data["format"] == "cagou-demarche/1" and exported.content_disposition.startswith("attachment")
    form = designer.get("/intranet/demarches/nouvelle").forms["formulaire-import"]
    form["file"] = webtest.Upload("demarche.json", exported.body, "application/json")
    imported = form.submit().follow()
    assert "importée en brouillon" in imported.text
    data["definition"]["pages"][0]["fields"][0]["type"] = "inconnu"
    form = designer.get("/intranet/demarches/nouvelle").forms["formulaire-import"]
    form["file"] = webtest.Upload("demarche.json", json.dumps(data).encode(), "application/json")
    refused = form.submit(status=400)
    assert "type de champ inconnu : « inconnu »" in refused.html.select_one("#erreur-file").text
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Procedure)) == 4  # the demonstration's two


def test_a_procedure_from_a_model_or_a_clone(designer: webtest.TestApp, registry: Registry) -> None:
    form = designer.get("/intranet/demarches/nouvelle").forms["formulaire-nouvelle-demarche"]
    form["source"], form["title"], form["receipt_prefix"] = "modele:repatriation", "Rapatriement", "RAP"
    page = form.submit().follow()
    assert page.html.select_one("#apercu-champ-nom") is not None
    original = procedure_of(registry, "Rapatriement")
    form = designer.get("/intranet/demarches/nouvelle").forms["formulaire-nouvelle-demarche"]
    form["source"], form["title"], form["receipt_prefix"] = f"clone:{original.id}", "Copie", "COP"
    form.submit().follow()
    assert definition_of(registry, procedure_of(registry, "Copie").id) == definition_of(registry, original.id)


def test_another_directorate_s_procedure_cannot_be_designed(designer: webtest.TestApp, registry: Registry) -> None:
    with transaction_scope(registry) as request:
        from cagou_aids.interfaces import IProcedures
        from test_services import SETTINGS

        other = request.find_service(IAccounts).directorate("DEFE-SAE")
        from cagou_aids.services.procedures import ProcedureSettings

        settings = ProcedureSettings(**{**SETTINGS.__dict__, "directorate_id": other.id})
        procedure_id = request.find_service(IProcedures).create_from_model("repatriation", settings).id
    designer.get(f"/intranet/demarches/{procedure_id}/conception", status=403)
    form = designer.get("/intranet/demarches/nouvelle").forms["formulaire-nouvelle-demarche"]
    form["title"], form["receipt_prefix"] = "Ailleurs", "AIL"
    form["directorate"].force_value(str(other.id))
    refused = form.submit(status=400)
    assert re.search("Choisissez une direction", refused.html.select_one("#erreur-directorate").text)


def from_model(app: webtest.TestApp, title: str = "Rapatriement") -> int:
    form = app.get("/intranet/demarches/nouvelle").forms["formulaire-nouvelle-demarche"]
    form["source"], form["title"], form["receipt_prefix"] = "modele:repatriation", title, "RAPT"
    found = re.search(r"/demarches/(\d+)/conception", form.submit().location or "")
    assert found is not None
    return int(found.group(1))


def state_action(app: webtest.TestApp, procedure_id: int, action: str, status: int = 303) -> webtest.TestResponse:
    csrf = app.get(f"/intranet/demarches/{procedure_id}/conception").forms["formulaire-ajout-page"]["csrf_token"].value
    return app.post(f"/intranet/demarches/{procedure_id}/conception/etat/{action}", {"csrf_token": csrf},
                    status=status)  # fmt: skip


def test_a_procedure_in_test_is_reached_by_its_link_only_then_closed_says_since_when(
    designer: webtest.TestApp, registry: Registry
) -> None:
    procedure_id = from_model(designer)
    complete_settings(designer, procedure_id)
    state_action(designer, procedure_id, "tester")
    slug = procedure_of(registry, "Rapatriement").slug
    visitor = webtest.TestApp(designer.app)
    assert "Rapatriement" not in visitor.get("/demarches/").text
    page = visitor.get(f"/demarches/{slug}")
    assert "Démarche en test" in page.html.select_one("#en-test").text
    assert "formulaire-commencer" in page.forms
    state_action(designer, procedure_id, "fermer", status=409)  # only a published procedure closes
    state_action(designer, procedure_id, "publier")
    state_action(designer, procedure_id, "fermer")
    page = visitor.get(f"/demarches/{slug}")
    assert "Cette démarche est close depuis le" in page.text and "formulaire-commencer" not in page.forms


def test_unknown_actions_fields_and_pages_answer_404(designer: webtest.TestApp, registry: Registry) -> None:
    procedure_id = from_model(designer)
    base = f"/intranet/demarches/{procedure_id}/conception"
    csrf = designer.get(base).forms["formulaire-ajout-page"]["csrf_token"].value
    designer.post(f"{base}/etat/detruire", {"csrf_token": csrf}, status=404)
    designer.post(f"{base}/champs/nom/aplatir", {"csrf_token": csrf}, status=404)
    designer.get(f"{base}/champs/inconnu", status=404)
    designer.get(f"{base}/pages/9", status=404)
    designer.post(f"{base}/pages/1/supprimer", {"csrf_token": csrf}, status=303)
    designer.get(f"{base}/apercu?page=abc", status=200)


def test_a_field_is_prefilled_from_the_account_and_says_who_applies(
    designer: webtest.TestApp, registry: Registry
) -> None:
    page = create_blank(designer)
    page = add_field(page, "email", "Courriel", required=True)
    add_field(page, "text", "Nom", required=True)
    procedure_id = procedure_of(registry, "Recensement test").id
    for name, boxes in (("courriel", ("prefill",)), ("nom", ("identifies",))):
        form = designer.get(f"/intranet/demarches/{procedure_id}/conception/champs/{name}").forms["formulaire-champ"]
        for box in boxes:
            form[box] = True
        form.submit().follow()
    data = definition_of(registry, procedure_id)
    assert data["pages"][0]["fields"][0]["prefill"] == "email" and data["identifies"] == ["nom"]
    form = designer.get(f"/intranet/demarches/{procedure_id}/conception/champs/nom").forms["formulaire-champ"]
    assert form["identifies"].checked
    form["identifies"] = False
    form.submit().follow()
    assert "identifies" not in definition_of(registry, procedure_id)


def test_a_page_is_shown_only_for_an_earlier_answer_and_a_condition_on_a_later_one_is_refused(
    designer: webtest.TestApp, registry: Registry
) -> None:
    page = create_blank(designer)
    page = add_field(page, "yesno", "Accompagné ?", required=True)
    form = page.forms["formulaire-ajout-page"]
    form["title"] = "Le foyer"
    page = form.submit().follow()
    add_field(page, "integer", "Combien")
    procedure_id = procedure_of(registry, "Recensement test").id
    form = designer.get(f"/intranet/demarches/{procedure_id}/conception/pages/2").forms["formulaire-page"]
    assert [value for value, *_ in form["show_if"].options] == ["", "accompagne:oui", "accompagne:non"]
    form["show_if"] = "accompagne:oui"
    form.submit().follow()
    assert definition_of(registry, procedure_id)["pages"][1]["show_if"] == {"field": "accompagne", "equals": "oui"}
    form = designer.get(f"/intranet/demarches/{procedure_id}/conception/pages/1").forms["formulaire-page"]
    form["show_if"].force_value("combien:2")
    refused = form.submit(status=400)
    assert "qui n'est pas un champ précédent" in refused.html.select_one(".alert-error").text


def test_a_field_for_a_page_that_does_not_exist_and_a_closed_procedure_published_again_are_refused(
    designer: webtest.TestApp, registry: Registry
) -> None:
    procedure_id = from_model(designer)
    page = designer.get(f"/intranet/demarches/{procedure_id}/conception")
    form = page.forms["formulaire-ajout-champ"]
    form["page"].force_value("99")
    form["label"] = "Perdu"
    refused = form.submit(status=400)
    assert "Cette page n'existe pas." in refused.html.select_one("#formulaire-ajout-champ .error-message").text
    complete_settings(designer, procedure_id)
    state_action(designer, procedure_id, "publier")
    state_action(designer, procedure_id, "fermer")
    refused = state_action(designer, procedure_id, "publier", status=409)
    assert "Une démarche fermée ne se publie plus" in refused.text
    assert procedure_of(registry, "Rapatriement").state == "fermee"
