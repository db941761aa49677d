"""A procedure's pages as forms: conditions judged on earlier answers, hidden answers dropped, blocks."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from cagou_aids.definition import parse_definition
from cagou_aids.forms import check_answers, page_form_class
from test_definition import shipped
from webob.multidict import MultiDict

from cagou.kit import Invalid

TODAY = datetime.date(2020, 3, 21)
REPATRIATION = parse_definition(shipped("repatriation"))
HOUSEHOLD_PAGE = 3


def post(*pairs: tuple[str, str]) -> MultiDict:
    return MultiDict(list(pairs))


def read_page(number: int, data: MultiDict, known: dict[str, Any] | None = None) -> dict[str, Any]:
    return page_form_class(REPATRIATION, number)(data, known=known, today=TODAY).read()


def refused(number: int, data: MultiDict) -> dict[str, str]:
    with pytest.raises(Invalid) as error:
        read_page(number, data)
    return dict(error.value.errors)


def test_a_page_gives_its_answers_normalised() -> None:
    data = post(("nom", " Wamytan "), ("prenoms", "Marie"), ("date_naissance", "03/07/1985"), ("commune", "Nouméa"))
    assert read_page(1, data) == {"nom": "Wamytan", "prenoms": "Marie", "date_naissance": "1985-07-03",
                                  "commune": "Nouméa"}  # fmt: skip


def test_each_refusal_is_next_to_its_field() -> None:
    errors = refused(1, post(("nom", ""), ("date_naissance", "2031-01-01"), ("commune", "Koné")))
    assert errors == {
        "nom": "Ce champ est obligatoire.",
        "prenoms": "Ce champ est obligatoire.",
        "date_naissance": "La date ne peut pas être dans le futur.",
        "commune": "Choisissez une commune de la province Sud dans la liste.",
    }


def test_a_hidden_block_is_neither_checked_nor_kept() -> None:
    sent = post(("accompagne", "non"), ("foyer-0-membre_nom", "Paul"), ("foyer-0-membre_age", "pas un âge"))
    assert read_page(HOUSEHOLD_PAGE, sent) == {"accompagne": False}


def test_a_shown_block_reads_each_entry_and_names_each_wrong_cell() -> None:
    sent = post(
        ("accompagne", "oui"),
        ("foyer-0-membre_nom", "Paul Wamytan"), ("foyer-0-membre_age", "8"), ("foyer-0-membre_lien", "Enfant"),
        ("foyer-1-membre_nom", ""), ("foyer-1-membre_age", ""), ("foyer-1-membre_lien", ""),  # an empty row is no entry
        ("foyer-2-membre_nom", "Jeanne"), ("foyer-2-membre_age", "140"), ("foyer-2-membre_lien", "Voisin"),
    )  # fmt: skip
    assert refused(HOUSEHOLD_PAGE, sent) == {
        "foyer": "Corrigez les lignes signalées ci-dessous.",
        "foyer-1-membre_age": "Au plus 120.",
        "foyer-1-membre_lien": "Choix inconnu : « Voisin ».",
    }
    sent = post(("accompagne", "oui"), ("foyer-0-membre_nom", "Paul"), ("foyer-0-membre_age", "8"),
                ("foyer-0-membre_lien", "Enfant"))  # fmt: skip
    assert read_page(HOUSEHOLD_PAGE, sent) == {
        "accompagne": True, "foyer": [{"membre_nom": "Paul", "membre_age": 8, "membre_lien": "Enfant"}],
    }  # fmt: skip


def test_a_shown_block_needs_its_minimum_of_entries() -> None:
    assert refused(HOUSEHOLD_PAGE, post(("accompagne", "oui"))) == {"foyer": "Au moins 1 ligne(s)."}


def test_a_condition_on_an_earlier_page_uses_its_answer() -> None:
    status = {"name": "statut", "type": "choice", "label": "Statut", "choices": ["étudiant", "autre"]}
    school = {"name": "ecole", "type": "text", "label": "École", "required": True,
              "show_if": {"field": "statut", "equals": "étudiant"}}  # fmt: skip
    definition = parse_definition(
        {"pages": [{"title": "Un", "fields": [status]}, {"title": "Deux", "fields": [school]}]}
    )
    second = page_form_class(definition, 2)
    with pytest.raises(Invalid):
        second(post(), known={"statut": "étudiant"}, today=TODAY).read()
    assert second(post(("ecole", "UNC")), known={"statut": "autre"}, today=TODAY).read() == {}


def test_stored_answers_are_read_again_whole_before_a_submission() -> None:
    answers = {
        "nom": "Wamytan", "prenoms": "Marie", "date_naissance": "1985-07-03", "commune": "Nouméa",
        "pays": "AU", "ville": "Sydney", "depuis": "2020-02-10", "accompagne": False,
        "foyer": [{"membre_nom": "Paul", "membre_age": 8, "membre_lien": "Enfant"}],  # hidden by "accompagne"
        "criteres": ["Grossesse"], "telephone": "+61412345678", "courriel": "marie@example.nc",
        "intrus": "ajouté à la main",
    }  # fmt: skip
    kept = check_answers(REPATRIATION, answers, TODAY)
    assert "foyer" not in kept and "intrus" not in kept
    assert kept["criteres"] == ["Grossesse"] and kept["accompagne"] is False and kept["retour_prevu"] is None
    with pytest.raises(Invalid) as error:
        check_answers(REPATRIATION, {**answers, "telephone": "12"}, TODAY)
    assert list(error.value.errors) == ["telephone"]
