"""What applicants type, field by field: New Caledonian numbers, RIDET, IBAN, F CFP, communes, dates."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from cagou_aids.answers import COMMUNES, amount_text, countries, read_answer, shown
from cagou_aids.definition import FieldSpec

TODAY = datetime.date(2020, 3, 21)


def spec(kind: str, **keys: Any) -> FieldSpec:
    return FieldSpec(name="champ", type=kind, label="Champ", **keys)


def read(field: FieldSpec, *values: str) -> Any:
    return read_answer(field, list(values), TODAY)


def refusal(field: FieldSpec, *values: str) -> str:
    with pytest.raises(ValueError) as refused:
        read(field, *values)
    return str(refused.value)


@pytest.mark.parametrize("typed", ["150 000", "150000", "150\u00a0000", "150\u202f000 F CFP", "150 000 XPF"])
def test_an_amount_is_whole_francs_however_it_is_spaced(typed: str) -> None:
    assert read(spec("amount", maximum=500_000), typed) == 150_000


def test_an_amount_is_shown_as_french_typography_writes_it() -> None:
    assert amount_text(150_000) == "150\u00a0000\u00a0F\u00a0CFP"
    assert shown(spec("amount"), 906_000_000) == "906\u00a0000\u00a0000\u00a0F\u00a0CFP"


def test_an_amount_above_the_cap_or_with_cents_is_refused() -> None:
    capped = spec("amount", minimum=1, maximum=500_000)
    assert refusal(capped, "500 001") == "Au plus 500\u00a0000\u00a0F\u00a0CFP."
    assert refusal(capped, "1 500,50") == "Un montant en francs CFP, sans centimes : par exemple 150 000."
    custom = spec("amount", maximum=10, message="Dix francs au plus.")
    assert refusal(custom, "11") == "Dix francs au plus."


@pytest.mark.parametrize(
    ("typed", "stored", "displayed"),
    [
        ("25 12 34", "+687251234", "25.12.34"),
        ("+687 25.12.34", "+687251234", "25.12.34"),
        ("78 12 34", "+687781234", "78.12.34"),
        ("+61 4 12 34 56 78", "+61412345678", "+61 412 345 678"),
        ("+33 6 12 34 56 78", "+33612345678", "+33 6 12 34 56 78"),
    ],
)
def test_a_phone_number_is_new_caledonian_by_default_or_international(typed: str, stored: str, displayed: str) -> None:
    assert read(spec("phone"), typed) == stored
    assert shown(spec("phone"), stored) == displayed


@pytest.mark.parametrize("typed", ["12 34", "0612345678", "téléphone", "+687 12"])
def test_a_phone_number_that_is_not_one_is_refused(typed: str) -> None:
    assert refusal(spec("phone"), typed).startswith("Un numéro calédonien de 6 chiffres")


def test_ridet_and_iban_are_checked_and_normalised() -> None:
    assert read(spec("ridet"), "1234567 001") == "1234567.001"
    assert "7 chiffres pour l'entreprise" in refusal(spec("ridet"), "12345")
    assert read(spec("iban"), "fr76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    assert shown(spec("iban"), "FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"
    assert refusal(spec("iban"), "FR76 3000 6000 0112 3456 7890 188").startswith("IBAN invalide")


def test_communes_are_the_province_sud_s_and_countries_are_named_in_french() -> None:
    assert len(COMMUNES) == 14 and "Nouméa" in COMMUNES and "Koné" not in COMMUNES
    assert read(spec("commune"), "Païta") == "Païta"
    assert refusal(spec("commune"), "Koné") == "Choisissez une commune de la province Sud dans la liste."
    names = countries()
    assert names["AU"] == "Australie" and names["NC"] == "Nouvelle-Calédonie" and names["PF"] == "Polynésie française"
    assert list(names).index("EG") < list(names).index("ES")  # Égypte before Espagne: accents do not sort last
    assert read(spec("country"), "AU") == "AU" and shown(spec("country"), "AU") == "Australie"


def test_dates_in_french_or_iso_within_their_bounds() -> None:
    birth = spec("date", not_future=True, min_date=datetime.date(1900, 1, 1))
    assert read(birth, "03/07/1985") == "1985-07-03" == read(birth, "1985-07-03")
    assert refusal(birth, "22/03/2020") == "La date ne peut pas être dans le futur."
    assert refusal(birth, "31/12/1899") == "Le 01/01/1900 au plus tôt."
    assert refusal(birth, "31/02/2020") == "Une date au format JJ/MM/AAAA, par exemple 21/03/2020."
    assert shown(birth, "1985-07-03") == "03/07/1985"


def test_texts_choices_and_yes_no() -> None:
    assert (
        refusal(spec("textarea", maximum=5000), "x" * 100_000) == "5000 caractères au plus (vous en avez écrit 100000)."
    )
    assert read(spec("text", maximum=10), "  Nouméa  ") == "Nouméa"
    assert read(spec("text", maximum=10), "   ") is None
    pick = spec("choices", choices=("a", "b", "c"))
    assert read(pick, "c", "a") == ["a", "c"]
    assert refusal(pick, "a", "z") == "Choix inconnu : « z »."
    assert read(spec("yesno"), "oui") is True and read(spec("yesno"), "non") is False
    assert refusal(spec("yesno"), "peut-être") == "Répondez oui ou non."
    assert refusal(spec("email"), "pas une adresse") == "Adresse électronique invalide : « pas une adresse »."


def test_an_answer_stored_otherwise_than_its_type_stores_shows_as_stored() -> None:
    """A hand-edited draft or an older version's answer is shown, never a failure of the page."""
    assert shown(spec("phone"), "12") == "12"
    assert shown(spec("date"), "hier") == "hier"
    assert shown(spec("amount"), "beaucoup") == "beaucoup"
