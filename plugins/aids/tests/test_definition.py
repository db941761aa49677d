"""A procedure's definition: the two shipped ones read, and a broken one is refused whole, in French."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from cagou_aids.definition import REPEAT, DefinitionError, definition_data, parse_definition


def shipped(name: str) -> Any:
    return json.loads(resources.files("cagou_aids").joinpath("shipped", f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["repatriation", "business_aid"])
def test_the_shipped_definitions_read_and_read_back(name: str) -> None:
    definition = parse_definition(shipped(name))
    assert parse_definition(definition_data(definition)) == definition
    assert definition_data(parse_definition(definition_data(definition))) == definition_data(definition)


def test_the_repatriation_form_has_its_household_block_shown_on_a_yes() -> None:
    definition = parse_definition(shipped("repatriation"))
    household = definition.by_name["foyer"]
    assert household.type == REPEAT
    assert [inner.name for inner in household.fields] == ["membre_nom", "membre_age", "membre_lien"]
    assert (household.show_if.field, household.show_if.equals) == ("accompagne", "oui")  # type: ignore[union-attr]
    assert (household.min_count, household.max_count) == (1, 12)


def problems(data: Any) -> list[str]:
    with pytest.raises(DefinitionError) as refused:
        parse_definition(data)
    return refused.value.problems


def page(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"pages": [{"title": "Page", "fields": list(fields)}]}


def test_every_problem_is_named_with_where_it_lies() -> None:
    found = problems(
        page(
            {"name": "a", "type": "hologram", "label": "A"},
            {"name": "a", "type": "text", "label": "Encore a"},
            {"name": "B", "type": "text", "label": ""},
            {"name": "c", "type": "text", "label": "C", "colour": "bleu"},
        )
    )
    assert found == [
        "Page 1, champ 1 (« a ») : type de champ inconnu : « hologram ».",
        "Page 1, champ 2 (« a ») : ce nom est déjà pris par un autre champ.",
        "Page 1, champ 3 : « name » : des minuscules, chiffres et _, commençant par une lettre (40 au plus).",
        "Page 1, champ 3 : « label » est obligatoire.",
        "Page 1, champ 4 (« c ») : clé inconnue : « colour ».",
    ]


def test_a_condition_must_name_an_earlier_field() -> None:
    later = page(
        {"name": "a", "type": "text", "label": "A", "show_if": {"field": "b", "equals": "oui"}},
        {"name": "b", "type": "yesno", "label": "B"},
    )
    assert problems(later) == [
        "Page 1, champ 1 (« a ») : la condition porte sur « b », qui n'est pas un champ précédent."
    ]
    itself = page({"name": "a", "type": "yesno", "label": "A", "show_if": {"field": "a", "equals": "oui"}})
    assert "qui n'est pas un champ précédent" in problems(itself)[0]


def test_bounds_choices_and_blocks_are_checked() -> None:
    found = problems(
        page(
            {"name": "n", "type": "integer", "label": "N", "min": 10, "max": 2},
            {"name": "m", "type": "amount", "label": "M", "max": "beaucoup"},
            {"name": "c", "type": "choice", "label": "C", "choices": ["x", "x"], "display": "roue"},
            {
                "name": "r",
                "type": "repeat",
                "label": "R",
                "fields": [
                    {
                        "name": "s",
                        "type": "repeat",
                        "label": "S",
                        "fields": [{"name": "t", "type": "text", "label": "T"}],
                    }
                ],
            },
            {"name": "d", "type": "date", "label": "D", "min": "21/03/2020"},
            {"name": "f", "type": "file", "label": "F", "accept": ["application/x-msdownload"]},
        )
    )
    assert found == [
        "Page 1, champ 1 (« n ») : le minimum dépasse le maximum.",
        "Page 1, champ 2 (« m ») : « max » doit être un nombre entier.",
        "Page 1, champ 3 (« c ») : deux choix portent le même texte.",
        "Page 1, champ 3 (« c ») : « display » vaut « buttons » ou « list ».",
        "Page 1, champ 4 (« r »), champ 1 (« s ») : un bloc répétable ne peut pas en contenir un autre.",
        "Page 1, champ 5 (« d ») : « min » est une date AAAA-MM-JJ.",
        "Page 1, champ 6 (« f ») : « accept » : une liste de types parmi application/pdf, image/jpeg, image/png.",
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (None, "La définition doit être un objet JSON avec la clé « pages »."),
        ({"pages": []}, "La définition : « pages » doit être une liste d'au moins une page."),
        ({"pages": ["x"]}, "Page 1 : une page est un objet JSON."),
        ({"pages": [{"title": "P", "fields": "x"}]}, "Page 1 : « fields » doit être une liste de champs."),
        ({"pages": [{"title": "P", "fields": []}], "theme": 1}, "La définition : clé inconnue : « theme »."),
    ],
)
def test_a_shapeless_definition_is_refused(data: Any, problem: str) -> None:
    assert problems(data)[0] == problem


def test_a_prefill_must_suit_the_field() -> None:
    wrong = page({"name": "a", "type": "date", "label": "A", "prefill": "email"})
    assert problems(wrong) == [
        "Page 1, champ 1 (« a ») : « prefill » vaut, selon le type du champ : email (email), ridet (ridet), "
        "company (text)."
    ]
