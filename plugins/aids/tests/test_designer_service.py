"""The designer's service: each change checked whole before it is kept, versions, test mode, closing, import."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from cagou_aids.definition import parse_definition
from cagou_aids.interfaces import IApplications, IProcedures
from cagou_aids.models import CLOSED, DRAFT, PUBLISHED, TEST, Application, Procedure
from cagou_aids.services.designer import name_from
from cagou_aids.services.procedures import ProcedureSettings
from cagou_aids.versions import breaking_changes
from pyramid.registry import Registry
from test_services import ANSWERS, NOTICE, SETTINGS, audit_actions

from cagou.kit import Invalid, Refused, transaction_scope

BLANK = ProcedureSettings(title="Démarche d'essai", audience="particuliers", receipt_prefix="ESS", data_notice=NOTICE)


def blank(request: Any) -> Procedure:
    procedure: Procedure = request.find_service(IProcedures).create_blank(BLANK)
    return procedure


def census(request: Any, publish: bool = False) -> Procedure:
    """The repatriation census from its model, published when asked."""
    procedures = request.find_service(IProcedures)
    procedure: Procedure = procedures.create_from_model("repatriation", SETTINGS)
    if publish:
        procedures.publish(procedure)
    return procedure


def apply(request: Any, procedure: Procedure, key: str) -> Application:
    application: Application = request.find_service(IApplications).submit(procedure, ANSWERS, key, "marie@example.nc")
    return application


def names(procedure: Procedure) -> list[list[str]]:
    return [[spec["name"] for spec in page["fields"]] for page in procedure.latest.definition["pages"]]


def test_a_field_s_name_is_made_from_its_label_and_is_free_in_the_form() -> None:
    assert name_from("Date de naissance", set()) == "date_naissance"
    assert name_from("Date de naissance", {"date_naissance"}) == "date_naissance_2"
    assert name_from("À ?", set()) == "champ"
    assert name_from("2e adresse", set()) == "adresse"
    assert name_from("2020 : bilan", set()) == "champ_2020_bilan"


def test_fields_and_pages_are_added_moved_and_removed_and_each_change_is_audited(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = blank(request)
        procedures.add_field(procedure, 1, "text", "Nom", True)
        procedures.add_field(procedure, 1, "date", "Date de naissance")
        assert procedures.add_page(procedure, "Où vous êtes") == 2
        procedures.add_field(procedure, 2, "country", "Pays")
        procedures.move_field(procedure, "date_naissance", 1)  # over the page's edge: to the next page's start
        assert names(procedure) == [["nom"], ["date_naissance", "pays"]]
        procedures.move_field(procedure, "nom", 1)
        assert names(procedure) == [[], ["nom", "date_naissance", "pays"]]
        procedures.move_page(procedure, 2, -1)
        procedures.remove_page(procedure, 2)
        procedures.remove_field(procedure, "pays")
        assert names(procedure) == [["nom", "date_naissance"]]
        with pytest.raises(Invalid):
            procedures.move_field(procedure, "nom", -1)  # already first of the first page
        actions = audit_actions(request)
        assert actions[0] == "aids:procedure:create" and set(actions[1:]) == {
            "aids:procedure:field",
            "aids:procedure:page",
        }


def test_a_change_that_does_not_parse_is_never_stored(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = blank(request)
        procedures.add_field(procedure, 1, "yesno", "Accompagné ?")
        procedures.add_field(procedure, 1, "integer", "Combien")
        before = json.dumps(procedure.latest.definition)
        with pytest.raises(Invalid) as refused:
            condition = {"field": "combien", "equals": "1"}
            procedures.update_field(procedure, "accompagne", {"label": "Accompagné ?", "show_if": condition})
        assert "n'est pas un champ précédent" in refused.value.errors["form"]
        with pytest.raises(Invalid) as refused:
            procedures.update_field(procedure, "combien", {"label": "Combien", "min": 5, "max": 1})
        assert "le minimum dépasse le maximum" in refused.value.errors["form"]
        procedures.update_field(procedure, "combien", {"label": "Combien", "show_if": {"field": "accompagne",
                                                                                      "equals": "oui"}})  # fmt: skip
        with pytest.raises(Invalid):  # a condition rests on it
            procedures.remove_field(procedure, "accompagne")
        with pytest.raises(Invalid) as refused:
            procedures.add_field(procedure, 1, "signature", "Signez")
        assert refused.value.errors == {"type": "Choisissez un type de champ dans la liste."}
        assert json.dumps(procedure.latest.definition) != before  # the one good change is kept
        parse_definition(procedure.latest.definition)


def test_a_repeatable_block_gets_its_own_fields(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = blank(request)
        block = procedures.add_field(procedure, 1, "repeat", "Foyer")
        procedures.add_field(procedure, 1, "integer", "Âge", parent=block)
        spec = parse_definition(procedure.latest.definition).by_name[block]
        assert [inner.label for inner in spec.fields] == ["Nom et prénom", "Âge"]
        with pytest.raises(Invalid):
            procedures.add_field(procedure, 1, "repeat", "Dans le bloc", parent=block)


def test_breaking_changes_between_two_versions() -> None:
    before = parse_definition({"pages": [{"title": "P", "fields": [
        {"name": "nom", "type": "text", "label": "Nom"},
        {"name": "lien", "type": "choice", "label": "Lien", "choices": ["Enfant", "Parent"]},
        {"name": "age", "type": "integer", "label": "Âge"}]}]})  # fmt: skip
    after = parse_definition({"pages": [{"title": "P", "fields": [
        {"name": "nom", "type": "text", "label": "Nom", "required": True},
        {"name": "lien", "type": "choice", "label": "Lien", "choices": ["Enfant", "Autre"]},
        {"name": "ville", "type": "text", "label": "Ville"}]}]})  # fmt: skip
    assert breaking_changes(before, after) == [
        "Nouveau champ obligatoire : « Nom ».",
        "Choix supprimé : « Parent » du champ « Lien ».",
        "Champ supprimé : « Âge » (les réponses déjà saisies seront perdues).",
    ]
    assert breaking_changes(before, before) == []


def test_a_published_procedure_is_edited_as_a_new_version_and_applications_keep_theirs(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = census(request, publish=True)
        first = apply(request, procedure, "clef-1")
        procedures.add_field(procedure, 4, "text", "Numéro de passeport", True)
        assert [version.number for version in procedure.versions] == [1, 2]
        assert procedure.published.number == 1  # the public still fills version 1
        with pytest.raises(Invalid) as refused:
            procedures.publish(procedure)
        assert "confirm" in refused.value.errors
        procedures.publish(procedure, confirmed=True)
        assert procedure.published.number == 2 and first.version.number == 1
        with pytest.raises(Refused):
            procedures.publish(procedure)  # nothing new to publish
        assert "aids:procedure:version" in audit_actions(request)


def test_test_submissions_are_marked_then_deleted_at_publication(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = census(request)
        assert procedure.public_version is None
        procedures.put_in_test(procedure)
        assert procedure.state == TEST and procedure.public_version is procedure.latest
        trial = apply(request, procedure, "essai")
        assert trial.is_test
        procedures.publish(procedure)
        assert procedure.state == PUBLISHED
        assert request.db.get(Application, trial.id) is None


def test_back_to_draft_deletes_the_test_submissions(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = census(request)
        procedures.put_in_test(procedure)
        trial = apply(request, procedure, "essai")
        procedures.back_to_draft(procedure)
        assert procedure.state == DRAFT and request.db.get(Application, trial.id) is None
        with pytest.raises(Refused):
            procedures.close(procedure)


def test_a_closed_procedure_says_when_it_closed_and_refuses_submissions(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = census(request, publish=True)
        procedures.close(procedure)
        assert procedure.state == CLOSED and procedure.closes_at is not None
        with pytest.raises(Refused) as refused:
            apply(request, procedure, "tard")
        assert refused.value.status == 409
        with pytest.raises(Refused):
            procedures.add_field(procedure, 1, "text", "Trop tard")


def test_settings_are_checked_and_audited(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = blank(request)
        opens = datetime.datetime(2026, 3, 21, 7, tzinfo=datetime.UTC)
        bad = ProcedureSettings(**{**BLANK.__dict__, "receipt_prefix": "r", "opens_at": opens, "closes_at": opens,
                                   "contact_email": "pas une adresse"})  # fmt: skip
        with pytest.raises(Invalid) as refused:
            procedures.update_settings(procedure, bad)
        assert set(refused.value.errors) == {"receipt_prefix", "closes_at", "contact_email"}
        procedures.update_settings(procedure, ProcedureSettings(**{**BLANK.__dict__, "category": "Solidarité"}))
        assert procedure.category == "Solidarité"
        assert audit_actions(request)[-1] == "aids:procedure:settings"


def test_an_import_names_an_unknown_directorate_and_creates_nothing(registry: Registry) -> None:
    content = {"format": "cagou-demarche/1", "procedure": {"title": "Importée", "audience": "particuliers",
               "receipt_prefix": "IMP"}, "directorate": "NULLEPART",
               "definition": {"pages": [{"title": "P", "fields": []}]}}  # fmt: skip
    with transaction_scope(registry) as request:
        with pytest.raises(Invalid) as refused:
            request.find_service(IProcedures).import_file(json.dumps(content).encode())
        assert refused.value.errors == {"file": "La direction « NULLEPART » n'existe pas ici."}
        content["directorate"] = None
        procedure = request.find_service(IProcedures).import_file(json.dumps(content).encode())
        assert procedure.state == DRAFT and procedure.title == "Importée"
