"""A procedure's form, as data: pages of fields, read from JSON and checked whole.

A designer builds the form on the intranet and an administrator may import
it from a file; either way it reaches the module as JSON and becomes a
:class:`Definition` through :func:`parse_definition`, which refuses the whole
of it, each problem named in French with where it lies, if anything is
unknown: a field type, a key, a condition on a field that does not come
before it. What is stored is :func:`definition_data` of what was parsed, so
a stored definition always reads back.

The JSON shape (``identifies``, optional, names the fields whose answers
say who applies, for duplicates)::

    {"identifies": ["ridet"], "pages": [{"title": "Votre situation", "help": "…", "show_if": {…},
                "fields": [{"name": "pays", "type": "country", "label": "Pays", "required": true}, …]}]}

Field keys: ``name`` (a lowercase identifier, unique in the form), ``type``
(:data:`FIELD_TYPES`), ``label``, and as the type allows: ``help``,
``required``, ``message`` (the French message for a required field left
empty or a wrong value), ``min`` / ``max`` (a number's bounds, an amount's
cap, a text's length, a date's bounds as ``AAAA-MM-JJ``), ``not_future``
(a date), ``choices`` and ``display`` (``buttons`` or ``list``), ``accept``
(a file's types), ``max_size`` (bytes), ``max_files``, ``prefill``
(``email``, ``ridet`` or ``company``: from the applicant's account), ``fields``,
``min_count`` and ``max_count`` (a repeatable block), and ``show_if``:
``{"field": "an earlier field", "equals": "a value"}``, shown only when that
answer has that value (or, for a multiple choice, contains it).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

TEXT, LONG_TEXT, INTEGER, AMOUNT, DATE, EMAIL, PHONE = "text", "textarea", "integer", "amount", "date", "email", "phone"
RIDET, IBAN, COMMUNE, COUNTRY = "ridet", "iban", "commune", "country"
CHOICE, CHOICES, YES_NO, FILE, HEADING, REPEAT = "choice", "choices", "yesno", "file", "heading", "repeat"

#: Every type of field, with its French name for the designer.
FIELD_TYPES = {
    TEXT: "Texte court",
    LONG_TEXT: "Texte long",
    INTEGER: "Nombre entier",
    AMOUNT: "Montant en F CFP",
    DATE: "Date",
    EMAIL: "Adresse électronique",
    PHONE: "Téléphone",
    RIDET: "RIDET",
    IBAN: "IBAN",
    COMMUNE: "Commune de la province Sud",
    COUNTRY: "Pays",
    CHOICE: "Choix unique",
    CHOICES: "Choix multiple",
    YES_NO: "Oui / non",
    FILE: "Fichier",
    HEADING: "Titre de section",
    REPEAT: "Bloc répétable",
}
#: The keys each type accepts beyond the common ones.
TYPE_KEYS: dict[str, frozenset[str]] = {
    TEXT: frozenset({"max"}),
    LONG_TEXT: frozenset({"max"}),
    INTEGER: frozenset({"min", "max"}),
    AMOUNT: frozenset({"min", "max"}),
    DATE: frozenset({"min", "max", "not_future"}),
    CHOICE: frozenset({"choices", "display"}),
    CHOICES: frozenset({"choices"}),
    FILE: frozenset({"accept", "max_size", "max_files"}),
    REPEAT: frozenset({"fields", "min_count", "max_count"}),
}
COMMON_KEYS = frozenset({"name", "type", "label", "help", "required", "message", "show_if", "prefill"})
#: What a field may be prefilled with from the applicant's account, with the field types it suits.
PREFILLS = {"email": (EMAIL,), "ridet": (RIDET,), "company": (TEXT,)}
PAGE_KEYS = frozenset({"title", "help", "fields", "show_if"})
#: What a field holds no answer for.
WITHOUT_ANSWER = frozenset({HEADING})
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Text lengths when the designer sets none: a line, and a page of explanation.
DEFAULT_TEXT_MAX = {TEXT: 200, LONG_TEXT: 5000}
TEXT_MAX_LIMIT = 20000
MAX_LABEL = 300
MAX_HELP = 2000
MAX_CHOICES = 100
MAX_FIELDS = 200
MAX_PAGES = 20
MAX_REPEAT_COUNT = 50
MAX_FILE_SIZE = 20 * 1024 * 1024
MAX_FILES = 10
#: The file types a field may accept, by MIME type, with their French name.
FILE_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}
DISPLAYS = ("buttons", "list")


class DefinitionError(ValueError):
    """A definition refused whole: every problem, in French, each saying where it lies."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Condition:
    """Shown only when the answer to ``field`` (an earlier one) is ``equals``, or contains it."""

    field: str
    equals: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    message: str = ""
    minimum: int | None = None
    maximum: int | None = None
    min_date: datetime.date | None = None
    max_date: datetime.date | None = None
    not_future: bool = False
    choices: tuple[str, ...] = ()
    display: str = "buttons"
    accept: tuple[str, ...] = ()
    max_size: int = MAX_FILE_SIZE
    max_files: int = 1
    fields: tuple[FieldSpec, ...] = ()
    min_count: int = 0
    max_count: int = 10
    show_if: Condition | None = None
    #: Filled in from the applicant's account when a draft starts (:data:`PREFILLS`); the applicant may change it.
    prefill: str = ""

    @property
    def has_answer(self) -> bool:
        return self.type not in WITHOUT_ANSWER

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        """A choice's or a yes/no's options, as (value sent, label shown)."""
        if self.type == YES_NO:
            return (("oui", "Oui"), ("non", "Non"))
        return tuple((choice, choice) for choice in self.choices)


@dataclass(frozen=True)
class Page:
    title: str
    fields: tuple[FieldSpec, ...]
    help: str = ""
    show_if: Condition | None = None


@dataclass(frozen=True)
class Definition:
    pages: tuple[Page, ...]
    #: The fields whose answers together say who applies (a RIDET; a name and a date of birth): two
    #: applications with the same answers to them on one procedure are flagged as duplicates.
    identifies: tuple[str, ...] = ()
    by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {spec.name: spec for spec in self.fields()})

    def fields(self) -> Iterator[FieldSpec]:
        """Every top-level field, page after page (a repeatable block's own fields are in its ``fields``)."""
        for page in self.pages:
            yield from page.fields


class Reader:
    """Reads a definition, gathering every problem rather than stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.names: set[str] = set()

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where} : {text}")

    def definition(self, data: Any) -> Definition:
        if not isinstance(data, Mapping):
            raise DefinitionError(["La définition doit être un objet JSON avec la clé « pages »."])
        self.unknown_keys("La définition", data, frozenset({"pages", "identifies"}))
        pages_data = data.get("pages")
        if not isinstance(pages_data, list) or not pages_data:
            self.problem("La définition", "« pages » doit être une liste d'au moins une page.")
            pages_data = []
        if len(pages_data) > MAX_PAGES:
            self.problem("La définition", f"{MAX_PAGES} pages au plus.")
        pages = tuple(self.page(number, page) for number, page in enumerate(pages_data[:MAX_PAGES], start=1))
        if sum(len(page.fields) for page in pages) > MAX_FIELDS:
            self.problem("La définition", f"{MAX_FIELDS} champs au plus.")
        identifies = self.identifies(data.get("identifies", []), pages)
        if self.problems:
            raise DefinitionError(self.problems)
        return Definition(pages, identifies)

    def identifies(self, data: Any, pages: tuple[Page, ...]) -> tuple[str, ...]:
        names = {spec.name for page in pages for spec in page.fields if spec.has_answer and spec.type != REPEAT}
        if not isinstance(data, list) or not all(isinstance(name, str) and name in names for name in data):
            self.problem(
                "La définition", "« identifies » est une liste de champs du formulaire (hors blocs répétables)."
            )
            return ()
        return tuple(data)

    def page(self, number: int, data: Any) -> Page:
        where = f"Page {number}"
        if not isinstance(data, Mapping):
            self.problem(where, "une page est un objet JSON.")
            return Page("", ())
        self.unknown_keys(where, data, PAGE_KEYS)
        title = self.text(where, data, "title", MAX_LABEL, required=True)
        show_if = self.condition(where, data.get("show_if"))
        fields_data = data.get("fields")
        if not isinstance(fields_data, list):
            self.problem(where, "« fields » doit être une liste de champs.")
            fields_data = []
        fields = tuple(self.field(f"{where}, champ {index}", item) for index, item in enumerate(fields_data, 1))
        return Page(title, fields, self.text(where, data, "help", MAX_HELP), show_if)

    def field(self, where: str, data: Any, inside_repeat: bool = False) -> FieldSpec:
        if not isinstance(data, Mapping):
            self.problem(where, "un champ est un objet JSON.")
            return FieldSpec("", HEADING, "")
        name = data.get("name")
        if isinstance(name, str) and NAME.match(name):
            where = f"{where} (« {name} »)"
            if name in self.names:
                self.problem(where, "ce nom est déjà pris par un autre champ.")
        else:
            self.problem(where, "« name » : des minuscules, chiffres et _, commençant par une lettre (40 au plus).")
            name = ""
        kind = data.get("type")
        if kind not in FIELD_TYPES:
            self.problem(where, f"type de champ inconnu : « {str(kind)[:40]} ».")
            kind = HEADING
        elif kind == REPEAT and inside_repeat:
            self.problem(where, "un bloc répétable ne peut pas en contenir un autre.")
        self.unknown_keys(where, data, COMMON_KEYS | TYPE_KEYS.get(kind, frozenset()))
        # The condition refers to fields before this one: read it before this field's name is known.
        show_if = self.condition(where, data.get("show_if"))
        if name:
            self.names.add(name)
        spec = FieldSpec(
            name=name,
            type=kind,
            label=self.text(where, data, "label", MAX_LABEL, required=True),
            help=self.text(where, data, "help", MAX_HELP),
            required=self.flag(where, data, "required"),
            message=self.text(where, data, "message", MAX_LABEL),
            show_if=show_if,
            prefill=self.prefill(where, data, kind),
        )
        return self.typed(where, spec, data)

    def typed(self, where: str, spec: FieldSpec, data: Mapping[str, Any]) -> FieldSpec:
        """The keys that belong to the field's type."""
        kind, changes = spec.type, dict[str, Any]()
        if kind in (TEXT, LONG_TEXT):
            changes["maximum"] = self.number(where, data, "max", 1, TEXT_MAX_LIMIT)
            if changes["maximum"] is None:
                changes["maximum"] = DEFAULT_TEXT_MAX[kind]
        elif kind in (INTEGER, AMOUNT):
            changes["minimum"] = self.number(where, data, "min", 0 if kind == AMOUNT else None, None)
            changes["maximum"] = self.number(where, data, "max", 0 if kind == AMOUNT else None, None)
            if None not in (changes["minimum"], changes["maximum"]) and changes["minimum"] > changes["maximum"]:
                self.problem(where, "le minimum dépasse le maximum.")
        elif kind == DATE:
            changes["min_date"], changes["max_date"] = self.date(where, data, "min"), self.date(where, data, "max")
            changes["not_future"] = self.flag(where, data, "not_future")
        elif kind in (CHOICE, CHOICES):
            changes["choices"] = self.choices(where, data.get("choices"))
            display = data.get("display", "buttons")
            if display not in DISPLAYS:
                self.problem(where, "« display » vaut « buttons » ou « list ».")
            changes["display"] = display if display in DISPLAYS else "buttons"
        elif kind == FILE:
            changes.update(self.file_keys(where, data))
        elif kind == REPEAT:
            changes.update(self.repeat_keys(where, data))
        return FieldSpec(**{**spec.__dict__, **changes})

    def file_keys(self, where: str, data: Mapping[str, Any]) -> dict[str, Any]:
        accept = data.get("accept", list(FILE_TYPES))
        if not isinstance(accept, list) or not accept or any(kind not in FILE_TYPES for kind in accept):
            self.problem(where, f"« accept » : une liste de types parmi {', '.join(FILE_TYPES)}.")
            accept = list(FILE_TYPES)
        size = self.number(where, data, "max_size", 1, MAX_FILE_SIZE)
        count = self.number(where, data, "max_files", 1, MAX_FILES)
        return {
            "accept": tuple(accept),
            "max_size": MAX_FILE_SIZE if size is None else size,
            "max_files": 1 if count is None else count,
        }

    def repeat_keys(self, where: str, data: Mapping[str, Any]) -> dict[str, Any]:
        inner = data.get("fields")
        if not isinstance(inner, list) or not inner:
            self.problem(where, "un bloc répétable contient une liste « fields » d'au moins un champ.")
            inner = []
        fields = tuple(self.field(f"{where}, champ {index}", item, True) for index, item in enumerate(inner, 1))
        low = self.number(where, data, "min_count", 0, MAX_REPEAT_COUNT)
        high = self.number(where, data, "max_count", 1, MAX_REPEAT_COUNT)
        low, high = low or 0, 10 if high is None else high
        if low > high:
            self.problem(where, "« min_count » dépasse « max_count ».")
        return {"fields": fields, "min_count": low, "max_count": high}

    def prefill(self, where: str, data: Mapping[str, Any], kind: str) -> str:
        value = data.get("prefill", "")
        if value and (value not in PREFILLS or kind not in PREFILLS[value]):
            allowed = ", ".join(f"{name} ({', '.join(types)})" for name, types in PREFILLS.items())
            self.problem(where, f"« prefill » vaut, selon le type du champ : {allowed}.")
            return ""
        return str(value)

    def condition(self, where: str, data: Any) -> Condition | None:
        if data is None:
            return None
        if not isinstance(data, Mapping) or set(data) != {"field", "equals"}:
            self.problem(where, '« show_if » : {"field": un champ précédent, "equals": une valeur}.')
            return None
        target, value = data["field"], data["equals"]
        if not isinstance(target, str) or target not in self.names:
            self.problem(where, f"la condition porte sur « {str(target)[:40]} », qui n'est pas un champ précédent.")
            return None
        if not isinstance(value, str | bool):
            self.problem(where, "la valeur de la condition est un texte (ou true / false pour un oui / non).")
            return None
        return Condition(target, value if isinstance(value, str) else ("oui" if value else "non"))

    def unknown_keys(self, where: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.problem(where, f"clé inconnue : « {str(key)[:40]} ».")

    def text(self, where: str, data: Mapping[str, Any], key: str, maximum: int, required: bool = False) -> str:
        given = data.get(key, "")
        if not isinstance(given, str):
            self.problem(where, f"« {key} » doit être un texte.")
            return ""
        value = given.strip()
        if required and not value:
            self.problem(where, f"« {key} » est obligatoire.")
        if len(value) > maximum:
            self.problem(where, f"« {key} » fait {maximum} caractères au plus.")
        return value

    def flag(self, where: str, data: Mapping[str, Any], key: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.problem(where, f"« {key} » vaut true ou false.")
            return False
        return value

    def number(self, where: str, data: Mapping[str, Any], key: str, low: int | None, high: int | None) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"« {key} » doit être un nombre entier.")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"entre {low} et {high}" if high is not None else f"au moins {low}"
            self.problem(where, f"« {key} » doit être {bounds}.")
            return None
        return value

    def date(self, where: str, data: Mapping[str, Any], key: str) -> datetime.date | None:
        value = data.get(key)
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            pass
        self.problem(where, f"« {key} » est une date AAAA-MM-JJ.")
        return None

    def choices(self, where: str, data: Any) -> tuple[str, ...]:
        if not isinstance(data, list) or not data or not all(isinstance(item, str) and item.strip() for item in data):
            self.problem(where, "« choices » est une liste de textes non vides.")
            return ()
        choices = tuple(item.strip() for item in data)
        if len(set(choices)) != len(choices):
            self.problem(where, "deux choix portent le même texte.")
        if len(choices) > MAX_CHOICES or any(len(choice) > MAX_LABEL for choice in choices):
            self.problem(where, f"{MAX_CHOICES} choix au plus, de {MAX_LABEL} caractères au plus.")
        return choices


def parse_definition(data: Any) -> Definition:
    """The definition ``data`` (parsed JSON) describes; :class:`DefinitionError` with every problem otherwise."""
    return Reader().definition(data)


def definition_data(definition: Definition) -> dict[str, Any]:
    """A definition as JSON data, as :func:`parse_definition` reads it back."""
    data: dict[str, Any] = {"pages": [page_data(page) for page in definition.pages]}
    if definition.identifies:
        data["identifies"] = list(definition.identifies)
    return data


def page_data(page: Page) -> dict[str, Any]:
    data: dict[str, Any] = {"title": page.title, "fields": [field_data(spec) for spec in page.fields]}
    if page.help:
        data["help"] = page.help
    if page.show_if:
        data["show_if"] = {"field": page.show_if.field, "equals": page.show_if.equals}
    return data


def field_data(spec: FieldSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": spec.name, "type": spec.type, "label": spec.label}
    optional = {"help": spec.help, "required": spec.required, "message": spec.message, "prefill": spec.prefill}
    data.update({key: value for key, value in optional.items() if value})
    if spec.show_if:
        data["show_if"] = {"field": spec.show_if.field, "equals": spec.show_if.equals}
    kind = spec.type
    if kind in (TEXT, LONG_TEXT, INTEGER, AMOUNT):
        bounds = {"min": spec.minimum, "max": spec.maximum}
        data.update({key: value for key, value in bounds.items() if value is not None and key in TYPE_KEYS[kind]})
    elif kind == DATE:
        dates = {"min": spec.min_date, "max": spec.max_date}
        data.update({key: value.isoformat() for key, value in dates.items() if value is not None})
        if spec.not_future:
            data["not_future"] = True
    elif kind in (CHOICE, CHOICES):
        data["choices"] = list(spec.choices)
        if kind == CHOICE:
            data["display"] = spec.display
    elif kind == FILE:
        data.update({"accept": list(spec.accept), "max_size": spec.max_size, "max_files": spec.max_files})
    elif kind == REPEAT:
        data.update(
            {"fields": [field_data(inner) for inner in spec.fields], "min_count": spec.min_count,
             "max_count": spec.max_count}
        )  # fmt: skip
    return data
