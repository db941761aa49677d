"""What an applicant types into each kind of field: read, checked, normalised, and shown back.

:func:`read_answer` turns what a field received (the form's values for its
name, as text) into the stored answer, or raises ``ValueError`` with the
French message to show next to the field. The stored answers are JSON:
text, whole numbers (amounts in whole francs), dates as ``AAAA-MM-JJ``,
phone numbers in E.164 (``+687251234``), a RIDET as ``1234567.001``, an IBAN
compact, a country as its ISO 3166 code, a yes/no as a boolean, a multiple
choice as a list. :func:`shown` writes an answer as a person reads it
(``150 000 F CFP``, ``+687 25 12 34``, ``Australie``).

New Caledonia is what the shelf's form builders do not know: phone numbers
are checked by ``phonenumbers`` with ``NC`` as the default region (six
digits, or +687), IBANs by ``python-stdnum``, RIDETs as the core's accounts
check them, the communes are the Province Sud's, and the countries are
named in French by Babel (the CLDR).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import phonenumbers
from babel import Locale
from stdnum import iban
from stdnum.exceptions import ValidationError

from cagou.kit import check_address, normalize_ridet
from cagou_aids.definition import (
    AMOUNT,
    CHOICE,
    CHOICES,
    COMMUNE,
    COUNTRY,
    DATE,
    EMAIL,
    FILE,
    IBAN,
    INTEGER,
    LONG_TEXT,
    PHONE,
    REPEAT,
    RIDET,
    TEXT,
    YES_NO,
    Definition,
    FieldSpec,
)

if TYPE_CHECKING:
    from cagou_aids.models import Application

#: The 14 communes of the Province Sud (Poya for its southern part), in alphabetical order.
COMMUNES = (
    "Bouloupari", "Bourail", "Dumbéa", "Farino", "Île des Pins", "La Foa", "Moindou", "Le Mont-Dore",
    "Nouméa", "Païta", "Poya", "Sarraméa", "Thio", "Yaté",
)  # fmt: skip
YES, NO = "oui", "non"
#: Spaces people and spreadsheets put in numbers: ordinary, non-breaking, narrow non-breaking, thin.
NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")
AMOUNT_SUFFIX = re.compile(r"(f\.?\s*cfp|xpf|f)$", re.IGNORECASE)
WHOLE = re.compile(r"^[+-]?\d{1,15}$")
FILE_REFERENCE = re.compile(r"^[0-9a-f]{64}$")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
#: Not a region but a code ISO 3166 reserves (the European Union, the world…), left out of the list.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"})


@functools.cache
def countries() -> dict[str, str]:
    """ISO 3166 code → French name, sorted as a French reader expects (accents ignored)."""
    names = {
        code: name
        for code, name in Locale("fr").territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }
    return dict(sorted(names.items(), key=lambda item: sort_key(item[1])))


def sort_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def read_answer(spec: FieldSpec, values: Sequence[str], today: datetime.date) -> Any:
    """The answer ``values`` (what the form sent for the field) give, None when empty; ValueError if refused."""
    if spec.type == CHOICES:
        chosen = [value for value in values if value]
        unknown = [value for value in chosen if value not in spec.choices]
        if unknown:
            raise ValueError(spec.message or f"Choix inconnu : « {unknown[0][:100]} ».")
        return [choice for choice in spec.choices if choice in chosen] or None
    if spec.type == FILE:
        return read_files(spec, [value for value in values if value])
    text = values[0].strip() if values else ""
    if not text:
        return None
    try:
        return READERS[spec.type](spec, text, today)
    except ValueError as error:
        raise ValueError(spec.message or str(error)) from None


def read_files(spec: FieldSpec, references: list[str]) -> list[str] | None:
    """A file field's answer: the SHA-256 of each file stored for it (the upload itself is checked when stored)."""
    if any(not FILE_REFERENCE.match(reference) for reference in references):
        raise ValueError("Envoyez le fichier à nouveau.")
    if len(references) > spec.max_files:
        raise ValueError(f"{spec.max_files} fichier(s) au plus.")
    return references or None


def read_text(spec: FieldSpec, text: str, today: datetime.date) -> str:
    maximum = spec.maximum or 0
    if len(text) > maximum:
        raise ValueError(f"{maximum} caractères au plus (vous en avez écrit {len(text)}).")
    return text


def read_whole(spec: FieldSpec, text: str, today: datetime.date) -> int:
    compact = NUMBER_SPACES.sub("", text)
    if spec.type == AMOUNT:
        compact = AMOUNT_SUFFIX.sub("", compact.casefold()).strip()
    if not WHOLE.match(compact):
        if spec.type == AMOUNT:
            raise ValueError("Un montant en francs CFP, sans centimes : par exemple 150 000.")
        raise ValueError("Un nombre entier, sans virgule : par exemple 3.")
    number = int(compact)
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(f"Au moins {shown_number(spec, spec.minimum)}.")
    if spec.maximum is not None and number > spec.maximum:
        raise ValueError(f"Au plus {shown_number(spec, spec.maximum)}.")
    return number


def read_date(spec: FieldSpec, text: str, today: datetime.date) -> str:
    french = FRENCH_DATE.match(text)
    try:
        if french:
            day = datetime.date(int(french.group(3)), int(french.group(2)), int(french.group(1)))
        else:
            day = datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError("Une date au format JJ/MM/AAAA, par exemple 21/03/2020.") from None
    if spec.not_future and day > today:
        raise ValueError("La date ne peut pas être dans le futur.")
    if spec.min_date is not None and day < spec.min_date:
        raise ValueError(f"Le {spec.min_date:%d/%m/%Y} au plus tôt.")
    if spec.max_date is not None and day > spec.max_date:
        raise ValueError(f"Le {spec.max_date:%d/%m/%Y} au plus tard.")
    return day.isoformat()


def read_email(spec: FieldSpec, text: str, today: datetime.date) -> str:
    return check_address(text)


def read_phone(spec: FieldSpec, text: str, today: datetime.date) -> str:
    refusal = ValueError("Un numéro calédonien de 6 chiffres (25 12 34), ou international avec son indicatif (+33…).")
    try:
        number = phonenumbers.parse(text, "NC")
    except phonenumbers.NumberParseException:
        raise refusal from None
    if not phonenumbers.is_valid_number(number):
        raise refusal
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_ridet(spec: FieldSpec, text: str, today: datetime.date) -> str:
    return normalize_ridet(text)


def read_iban(spec: FieldSpec, text: str, today: datetime.date) -> str:
    try:
        return str(iban.validate(text))
    except ValidationError:
        raise ValueError("IBAN invalide : vérifiez-le sur votre relevé d'identité bancaire.") from None


def read_listed(spec: FieldSpec, text: str, today: datetime.date) -> Any:
    if spec.type == COMMUNE:
        if text not in COMMUNES:
            raise ValueError("Choisissez une commune de la province Sud dans la liste.")
        return text
    if spec.type == COUNTRY:
        if text not in countries():
            raise ValueError("Choisissez un pays dans la liste.")
        return text
    if spec.type == YES_NO:
        if text not in (YES, NO):
            raise ValueError("Répondez oui ou non.")
        return text == YES
    if text not in spec.choices:
        raise ValueError(f"Choix inconnu : « {text[:100]} ».")
    return text


READERS = {
    TEXT: read_text,
    LONG_TEXT: read_text,
    INTEGER: read_whole,
    AMOUNT: read_whole,
    DATE: read_date,
    EMAIL: read_email,
    PHONE: read_phone,
    RIDET: read_ridet,
    IBAN: read_iban,
    COMMUNE: read_listed,
    COUNTRY: read_listed,
    CHOICE: read_listed,
    YES_NO: read_listed,
}


def amount_text(number: int) -> str:
    """``150000`` → ``150 000 F CFP`` (non-breaking spaces, as French typography sets them)."""
    return f"{number:,}".replace(",", "\u00a0") + "\u00a0F\u00a0CFP"


def shown_number(spec: FieldSpec, number: int) -> str:
    return amount_text(number) if spec.type == AMOUNT else f"{number:,}".replace(",", "\u00a0")


def shown(spec: FieldSpec, answer: Any) -> str:
    """An answer as the applicant and the instructor read it (as stored, if it is not what its type stores)."""
    if answer is None or answer == []:
        return ""
    try:
        return formatted(spec, answer)
    except (ValueError, TypeError, phonenumbers.NumberParseException):
        return str(answer)


def formatted(spec: FieldSpec, answer: Any) -> str:
    kind = spec.type
    if kind in (INTEGER, AMOUNT):
        return shown_number(spec, int(answer))
    if kind == DATE:
        return datetime.date.fromisoformat(answer).strftime("%d/%m/%Y")
    if kind == PHONE:
        number = phonenumbers.parse(answer, None)
        national = number.country_code == 687
        style = phonenumbers.PhoneNumberFormat.NATIONAL if national else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        return str(phonenumbers.format_number(number, style))
    if kind == IBAN:
        return str(iban.format(answer))
    if kind == COUNTRY:
        return countries().get(answer, str(answer))
    if kind == YES_NO:
        return "Oui" if answer else "Non"
    if kind == CHOICES:
        return ", ".join(answer)
    if kind == FILE:
        return f"{len(answer)} fichier(s)"
    return str(answer)


def shown_answer(spec: FieldSpec, answer: Any) -> Any:
    """:func:`shown`, and for a repeatable block each entry as (label, shown) pairs: what the pages list."""
    if spec.type == REPEAT:
        return [[(inner.label, shown(inner, entry.get(inner.name))) for inner in spec.fields] for entry in answer or []]
    return shown(spec, answer)


def condition_value(spec: FieldSpec, answer: Any) -> list[str]:
    """The values a ``show_if`` compares with: the answer as text (``oui``/``non`` for a yes/no)."""
    if answer is None:
        return []
    if spec.type == YES_NO:
        return [YES if answer else NO]
    if isinstance(answer, list):
        return [str(item) for item in answer]
    return [str(answer)]


def applicant_name(application: Application) -> str:
    """Who applied, as the pages and the receipt name them: the company, the person, else the address."""
    answers = application.answers
    if answers.get("raison_sociale"):
        return str(answers["raison_sociale"])
    return " ".join(str(answers[key]) for key in ("prenoms", "nom") if answers.get(key)) or application.email


def answer_rows(definition: Definition, answers: dict[str, Any]) -> list[tuple[str, Any, FieldSpec]]:
    """(page title, :func:`shown_answer`, field) of each answer, in the form's order: what every page lists."""
    rows = []
    for page in definition.pages:
        for spec in page.fields:
            if not spec.has_answer or spec.name not in answers:
                continue
            rows.append((page.title, shown_answer(spec, answers[spec.name]), spec))
    return rows
