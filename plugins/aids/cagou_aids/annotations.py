"""Private annotations: the instructors' own fields on an application, defined per procedure by its designer.

A procedure's annotations are a list, each ``{"code", "label", "help", "kind", "options"}``:

- ``code``: 1 to 24 lowercase letters, digits or ``_``, starting with a letter; unique in the procedure;
- ``label`` (up to 200 characters) and ``help`` (up to 1,000);
- ``kind``: ``texte`` (at most 5,000 characters), ``montant`` (a whole number of F CFP, zero or more,
  shown ``150 000 F CFP``), ``oui_non``, ``choix`` (one of ``options``, 2 to 30 of them, each up to
  200 characters) or ``fichier`` (one PDF, JPEG or PNG, 10 MB at most, judged from its bytes).

:func:`parse_annotations` checks a list whole; the designer's page sends
rows (:func:`annotations_from_rows`) whose problems are said next to each
field. :func:`read_value` checks what an instructor typed for one
annotation. Nothing here is ever shown to the applicant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from cagou.kit import FormErrors
from cagou_aids.answers import amount_text

TEXT, AMOUNT, YES_NO, CHOICE, FILE = "texte", "montant", "oui_non", "choix", "fichier"
KINDS = {TEXT: "Texte", AMOUNT: "Montant en F CFP", YES_NO: "Oui / non", CHOICE: "Choix dans une liste",
         FILE: "Fichier"}  # fmt: skip
CODE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
MAX_LABEL, MAX_HELP, MAX_TEXT, MAX_OPTIONS, MAX_ANNOTATIONS = 200, 1000, 5000, 30, 40
#: The largest amount an annotation holds (a PostgreSQL integer's bound, far above any aid).
MAX_AMOUNT = 2_000_000_000
#: A file annotation's ``aids_file.field``: ``annotation:<code>``, never listed among the applicant's files.
FILE_FIELD_PREFIX = "annotation:"
MAX_ANNOTATION_FILE = 10 * 1024 * 1024


@dataclass(frozen=True)
class AnnotationSpec:
    code: str
    label: str
    kind: str
    help: str = ""
    options: tuple[str, ...] = ()


def check_one(errors: FormErrors, data: Mapping[str, Any], suffix: str, seen: set[str]) -> AnnotationSpec | None:
    """One annotation's definition, each problem under its field's name followed by ``suffix``."""
    code = str(data.get("code", "")).strip()
    label = str(data.get("label", "")).strip()
    help_text = str(data.get("help", "")).strip()
    kind = str(data.get("kind", ""))
    raw_options = data.get("options", [])
    options = tuple(str(o).strip() for o in raw_options if str(o).strip()) if isinstance(raw_options, list) else ()
    failed = len(errors)
    if not CODE.match(code):
        errors.add(f"code{suffix}", "Le code fait 1 à 24 caractères : minuscules, chiffres ou _, en commençant par "
                                    "une lettre.")  # fmt: skip
    elif code in seen:
        errors.add(f"code{suffix}", f"Le code « {code} » est déjà pris par une autre annotation.")
    seen.add(code)
    if not label or len(label) > MAX_LABEL:
        errors.add(f"label{suffix}", f"Le libellé est obligatoire, {MAX_LABEL} caractères au plus.")
    if len(help_text) > MAX_HELP:
        errors.add(f"help{suffix}", f"L'aide fait {MAX_HELP} caractères au plus.")
    if kind not in KINDS:
        errors.add(f"kind{suffix}", f"Choisissez le type parmi : {', '.join(KINDS.values())}.")
    if kind == CHOICE and not 2 <= len(options) <= MAX_OPTIONS:
        errors.add(f"options{suffix}", f"Un choix a de 2 à {MAX_OPTIONS} options, une par ligne.")
    elif kind == CHOICE and (len(set(options)) != len(options) or any(len(o) > MAX_LABEL for o in options)):
        errors.add(f"options{suffix}", f"Chaque option est différente des autres, {MAX_LABEL} caractères au plus.")
    if len(errors) > failed:
        return None
    return AnnotationSpec(code, label, kind, help_text, options if kind == CHOICE else ())


def parse_annotations(data: Any) -> tuple[AnnotationSpec, ...]:
    """The annotations ``data`` lists, or :class:`AnnotationsError` with every problem, each under its field's
    name suffixed with the annotation's rank (``label-2``), as the designer's page names its inputs."""
    errors = FormErrors()
    if not isinstance(data, list) or len(data) > MAX_ANNOTATIONS:
        errors.add("annotations", f"Les annotations sont une liste d'au plus {MAX_ANNOTATIONS} éléments.")
        raise AnnotationsError(errors)
    seen: set[str] = set()
    specs = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            errors.add(f"code-{number}", "Une annotation est un objet JSON.")
            continue
        spec = check_one(errors, item, f"-{number}", seen)
        if spec is not None:
            specs.append(spec)
    if errors:
        raise AnnotationsError(errors)
    return tuple(specs)


class AnnotationsError(ValueError):
    """Settings refused whole (annotations, eligibility rules, triage weights): each problem under its field."""

    def __init__(self, errors: FormErrors) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def annotations_data(specs: Sequence[AnnotationSpec]) -> list[dict[str, Any]]:
    return [{**asdict(spec), "options": list(spec.options)} for spec in specs]


def annotations_from_rows(values: Mapping[str, str], count: int) -> list[dict[str, Any]]:
    """The designer page's rows (``code-1``, ``label-1``… up to ``count``) as the list the parser reads; a row
    whose code and label are both empty is left out (that is how an annotation is removed)."""
    rows = []
    for number in range(1, count + 1):
        code, label = values.get(f"code-{number}", "").strip(), values.get(f"label-{number}", "").strip()
        if not code and not label:
            continue
        rows.append({
            "code": code, "label": label, "help": values.get(f"help-{number}", ""),
            "kind": values.get(f"kind-{number}", ""),
            "options": values.get(f"options-{number}", "").splitlines(),
        })  # fmt: skip
    return rows


def read_value(errors: FormErrors, spec: AnnotationSpec, raw: Any, name: str) -> Any:
    """An instructor's value for ``spec`` (text as typed from a form, or JSON from the API), typed by its kind;
    None for empty. A file's value is read elsewhere (its upload)."""
    if raw is None or raw == "":
        return None
    if spec.kind == TEXT:
        text = str(raw).strip()
        if len(text) > MAX_TEXT:
            errors.add(name, f"« {spec.label} » fait {MAX_TEXT} caractères au plus.")
        return text or None
    if spec.kind == AMOUNT:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            number = None
        elif isinstance(raw, int):
            number = raw
        else:
            digits = re.sub(r"[\s\u00a0\u202f]|F\s*CFP|XPF", "", raw, flags=re.IGNORECASE)
            number = int(digits) if digits.isdigit() else None
        if number is None or not 0 <= number <= MAX_AMOUNT:
            errors.add(name, f"« {spec.label} » est un montant en F CFP : un nombre entier positif ou nul, "
                             "sans décimale.")  # fmt: skip
            return None
        return number
    if spec.kind == YES_NO:
        if raw in (True, "oui"):
            return True
        if raw in (False, "non"):
            return False
        errors.add(name, f"« {spec.label} » vaut oui ou non.")
        return None
    if spec.kind == CHOICE:
        if raw not in spec.options:
            errors.add(name, f"« {spec.label} » est l'une de ces options : {', '.join(spec.options)}.")
            return None
        return raw
    errors.add(name, f"« {spec.label} » est un fichier : envoyez-le depuis la page de la demande.")
    return None


def shown_value(spec: AnnotationSpec, value: Any) -> str:
    """A value as the instructors read it."""
    if value is None:
        return ""
    if spec.kind == AMOUNT and isinstance(value, int):
        return amount_text(value)
    if spec.kind == YES_NO:
        return "Oui" if value else "Non"
    return str(value)


def is_filled(value: Any) -> bool:
    return value is not None and value != ""
