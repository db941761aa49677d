"""The instructors' queue as a query string: what :mod:`cagou_aids.views.queue` reads, and writes back in links.

Everything the list shows is in its address, so that a view is a bookmark:

=================  ==============================================================================
``q``              words of the receipt number, the applicant's name, the answers (full text)
``etat``           one state of the procedure's workflow
``du``, ``au``     submitted on or after, on or before that day (Nouméa), ``JJ/MM/AAAA`` or ISO
``r.<champ>``      an answer: equal to (a choice, a commune, a yes/no ``oui``/``non``), containing
                   (a text)
``r.<champ>.min``, a number, an amount or a date answer at least / at most that
``r.<champ>.max``
``col``            a field shown as a column (repeated, in order)
``tri``            ``recent`` (default), ``ancien``, or ``priorite`` (the triage's score)
``groupes``        ``miens`` (the files of my groups of instructors) or ``toutes``
``apres``/``avant`` the keyset cursor of the page after / before
=================  ==============================================================================

A parameter it cannot read (an unknown field, a state the workflow lacks, a
day that is no day, a cursor edited by hand, a control character) is a
:class:`BadQueryError`, which the page answers with a 400 and the French message;
parameters it does not know are left for other filters (:data:`~cagou_aids.queries.FILTERS`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from pyramid.registry import Registry
from webob.multidict import MultiDict

from cagou.kit import parse_date, timezone
from cagou_aids.answers import COMMUNES, countries, shown
from cagou_aids.definition import (
    AMOUNT,
    CHOICE,
    COMMUNE,
    COUNTRY,
    DATE,
    EMAIL,
    INTEGER,
    PHONE,
    RIDET,
    TEXT,
    YES_NO,
    Definition,
    FieldSpec,
)  # fmt: skip
from cagou_aids.queries import (
    BETWEEN,
    CONTAINS,
    CONTROL,
    EQUALS,
    MAX_QUERY,
    SORTS,
    YES_OR_NO,
    AnswerFilter,
    ApplicationFilters,
    read_cursor,
)  # fmt: skip

#: How each type of field is filtered on.
KIND_OF_TYPE = {
    CHOICE: EQUALS, COMMUNE: EQUALS, COUNTRY: EQUALS, YES_NO: YES_OR_NO,
    TEXT: CONTAINS, EMAIL: CONTAINS, PHONE: CONTAINS, RIDET: CONTAINS,
    INTEGER: BETWEEN, AMOUNT: BETWEEN, DATE: BETWEEN,
}  # fmt: skip
MAX_COLUMNS = 8
MAX_PARAMETERS = 60
#: The page's own parameters, besides ``r.…``: what a saved view keeps (not the page it was on).
VIEW_PARAMETERS = ("q", "etat", "du", "au", "col", "tri", "groupes")
PAGE_PARAMETERS = ("apres", "avant")


class BadQueryError(ValueError):
    """A parameter the list cannot read: its French message."""


@dataclass(frozen=True)
class Queue:
    """The list asked for: its filters, and the fields shown as columns."""

    filters: ApplicationFilters
    columns: tuple[FieldSpec, ...]


def filterable(definition: Definition) -> list[FieldSpec]:
    """The fields an instructor filters on or shows as a column: one value each, of a type filtered on."""
    return [spec for spec in definition.fields() if spec.has_answer and spec.type in KIND_OF_TYPE]


def filter_options(spec: FieldSpec) -> tuple[tuple[str, str], ...]:
    """The values an equality filter offers, as (value sent, label shown); none for a text."""
    if spec.type == COMMUNE:
        return tuple((commune, commune) for commune in COMMUNES)
    if spec.type == COUNTRY:
        return tuple(countries().items())
    return spec.options


def text_of(params: Mapping[str, str], name: str, label: str) -> str:
    value = params.get(name, "")
    if len(value) > MAX_QUERY:
        raise BadQueryError(f"{label} : {MAX_QUERY} caractères au plus.")
    if CONTROL.search(value):
        raise BadQueryError(f"{label} : caractère de contrôle refusé.")
    return value.strip()


def day_of(params: Mapping[str, str], name: str, label: str) -> datetime.date | None:
    value = text_of(params, name, label)
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise BadQueryError(f"{label} : saisissez une date au format JJ/MM/AAAA (par exemple 23/03/2026).")
    return day


def bound(spec: FieldSpec, text: str, label: str) -> int | str:
    """A range's bound: a whole number, or a day written ``AAAA-MM-JJ`` as dates are stored."""
    if spec.type == DATE:
        day = parse_date(text)
        if day is None:
            raise BadQueryError(f"« {spec.label} », {label} : saisissez une date au format JJ/MM/AAAA.")
        return day.isoformat()
    digits = text.replace(" ", "").replace("\u00a0", "")
    if not digits.lstrip("-").isdigit() or len(digits) > 15:
        raise BadQueryError(f"« {spec.label} », {label} : saisissez un nombre entier.")
    return int(digits)


def answer_filter(spec: FieldSpec, params: Mapping[str, str]) -> AnswerFilter | None:
    name, kind = f"r.{spec.name}", KIND_OF_TYPE[spec.type]
    if kind == BETWEEN:
        texts = [text_of(params, f"{name}.{end}", f"« {spec.label} »") for end in ("min", "max")]
        if not any(texts):
            return None
        ends = zip(texts, ("minimum", "maximum"), strict=True)
        low, high = (bound(spec, text, label) if text else None for text, label in ends)
        return AnswerFilter(spec.name, BETWEEN, low=low, high=high)
    value = text_of(params, name, f"« {spec.label} »")
    if not value:
        return None
    if kind == YES_OR_NO and value not in ("oui", "non"):
        raise BadQueryError(f"« {spec.label} » : « oui » ou « non ».")
    if kind == EQUALS and value not in dict(filter_options(spec)):
        raise BadQueryError(f"« {spec.label} » n'a pas le choix « {value[:40]} ».")
    return AnswerFilter(spec.name, kind, value)


def cursor_param(params: Mapping[str, str], name: str) -> tuple[datetime.datetime, int] | None:
    try:
        return read_cursor(params.get(name, "")[:80])
    except ValueError:
        raise BadQueryError("Lien de page invalide : revenez à la première page de la liste.") from None


def local_midnight(registry: Registry, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone(registry)).astimezone(datetime.UTC)


def read_queue(
    registry: Registry, params: MultiDict[str, str], definition: Definition, states: Sequence[str],
    account_id: int | None = None,
) -> Queue:  # fmt: skip
    """The list the query string asks for; :class:`BadQueryError` for a parameter it cannot read."""
    if len(params) > MAX_PARAMETERS:
        raise BadQueryError("Trop de paramètres dans l'adresse de la liste.")
    specs = {spec.name: spec for spec in filterable(definition)}
    unknown = [key for key in params if key.startswith("r.") and key[2:].split(".")[0] not in specs]
    if unknown:
        raise BadQueryError(f"Ce formulaire n'a pas de champ « {unknown[0][2:42]} » sur lequel filtrer.")
    conditions = [found for spec in specs.values() if (found := answer_filter(spec, params)) is not None]
    legacy = params.get("champ", "")  # the first list's one condition, kept for its bookmarks
    if legacy and legacy in specs and (value := text_of(params, "valeur", "La valeur")):
        conditions.append(AnswerFilter(legacy, EQUALS, value))
    state = text_of(params, "etat", "L'état")
    if state and state not in states:
        raise BadQueryError(f"Cette démarche n'a pas d'état « {state[:40]} ».")
    sort = params.get("tri", "") or "recent"
    if sort not in SORTS:
        raise BadQueryError(f"Tri inconnu : « {sort[:40]} » (« recent », « ancien » ou « priorite »).")
    names = params.getall("col")
    if len(names) > MAX_COLUMNS or any(name not in specs for name in names):
        raise BadQueryError(f"Colonnes : au plus {MAX_COLUMNS}, parmi les champs du formulaire.")
    first, last = day_of(params, "du", "Déposée du"), day_of(params, "au", "Déposée au")
    if first and last and last < first:
        raise BadQueryError("La période de dépôt finit avant de commencer.")
    known = {*VIEW_PARAMETERS, *PAGE_PARAMETERS, "champ", "valeur"}
    filters = ApplicationFilters(
        text=text_of(params, "q", "La recherche"), answers=tuple(conditions), state=state, sort=sort,
        submitted_from=local_midnight(registry, first) if first else None,
        submitted_before=local_midnight(registry, last + datetime.timedelta(days=1)) if last else None,
        after=cursor_param(params, "apres"), before=cursor_param(params, "avant"),
        extra=tuple((key, value) for key, value in params.items() if key not in known and not key.startswith("r.")),
        account_id=account_id,
    )  # fmt: skip
    return Queue(filters, tuple(specs[name] for name in dict.fromkeys(names)))


def view_query(params: MultiDict[str, str]) -> str:
    """The query string of the list without its page: what a saved view and "select every result" keep."""
    kept = [(key, value) for key, value in params.items() if key not in PAGE_PARAMETERS and value]
    return urlencode(kept)


def page_query(params: MultiDict[str, str], name: str, cursor: str) -> str:
    """The query string of the page after (``apres``) or before (``avant``), the rest as it is."""
    kept = [(key, value) for key, value in params.items() if key not in PAGE_PARAMETERS]
    return urlencode([*kept, (name, cursor)])


def cell(spec: FieldSpec, answers: Mapping[str, object]) -> str:
    """A column's cell: the answer as the pages show it."""
    return shown(spec, answers.get(spec.name))
