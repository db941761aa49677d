"""A procedure's pages as forms, built at run time from its definition with the kit's ``form_class``.

Each page of a :class:`~cagou_aids.definition.Definition` becomes a form
class whose fields are :class:`AnswerField`: WTForms reads what the browser
sent, the field reads it into an answer (:func:`cagou_aids.answers.read_answer`)
and keeps the French message next to it. A page is read in field order, so
that a field shown only for a given earlier answer (``show_if``) is judged
on the answers before it, this page's and the earlier pages' alike; a hidden
field is neither checked nor kept, whatever was sent for it.

A repeatable block (the members of a household) is one field whose entries
arrive as ``household-0-name``, ``household-1-name``…, as WTForms'
``FieldList`` names them; its answer is the list of the entries' answers.

:func:`check_answers` reads every page again from stored answers, which is
what a submission does before anything is kept: what reaches the database
is what the definition allows, whatever pages were posted or skipped.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from webob.multidict import MultiDict
from wtforms import Field
from wtforms.validators import ValidationError

from cagou.kit import Form, FormErrors, Invalid, form_class
from cagou_aids.answers import condition_value, read_answer
from cagou_aids.definition import CHOICES, FILE, REPEAT, YES_NO, Condition, Definition, FieldSpec, Page

REQUIRED = "Ce champ est obligatoire."
ENTRY_KEY = re.compile(r"^(?P<index>\d{1,3})-(?P<name>[a-z][a-z0-9_]*)$")


class AnswerField(Field):
    """One field of a procedure's page: what was typed (``raw``), and the answer read from it."""

    def __init__(self, label: str = "", validators: Any = None, *, spec: FieldSpec, **kwargs: Any) -> None:
        super().__init__(label, validators, description=spec.help, **kwargs)
        self.spec = spec
        self.raw: list[str] = []
        #: A repeatable block's entries: what was typed in each, by the inner field's name.
        self.entries: list[dict[str, list[str]]] = []
        self.answer: Any = None
        #: A repeatable block's messages, keyed ``name-index-inner`` as its inputs are.
        self.entry_errors = FormErrors()
        #: Set by the page form from the platform's clock (Nouméa's date): "not in the future" is judged on it.
        self.today = datetime.date.min

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        if formdata is None:
            return
        if self.spec.type == REPEAT:
            self.entries = entries_sent(self.name, formdata)
        else:
            self.raw = [str(value) for value in formdata.getlist(self.name)]

    def pre_validate(self, form: Any) -> None:
        spec = self.spec
        if spec.type == REPEAT:
            self.answer = self.read_entries(form)
            return
        try:
            self.answer = read_answer(spec, self.raw, self.today)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if self.answer is None and spec.required:
            raise ValidationError(spec.message or REQUIRED)

    def read_entries(self, form: Any) -> list[dict[str, Any]]:
        spec, answers = self.spec, []
        filled = [
            entry for entry in self.entries if any(value.strip() for values in entry.values() for value in values)
        ]
        for index, entry in enumerate(filled):
            answer: dict[str, Any] = {}
            for inner in spec.fields:
                if not visible(inner.show_if, {**form.known, **answer}, form.definition):
                    continue
                try:
                    value = read_answer(inner, entry.get(inner.name, []), self.today)
                except ValueError as error:
                    self.entry_errors.add(f"{self.name}-{index}-{inner.name}", str(error))
                    continue
                if value is None and inner.required:
                    self.entry_errors.add(f"{self.name}-{index}-{inner.name}", inner.message or REQUIRED)
                answer[inner.name] = value
            answers.append(answer)
        self.entries = filled
        if self.entry_errors:
            raise ValidationError("Corrigez les lignes signalées ci-dessous.")
        if len(answers) < max(spec.min_count, 1 if spec.required else 0):
            raise ValidationError(spec.message or f"Au moins {max(spec.min_count, 1)} ligne(s).")
        if len(answers) > spec.max_count:
            raise ValidationError(f"{spec.max_count} lignes au plus.")
        return answers


def entries_sent(name: str, formdata: Any) -> list[dict[str, list[str]]]:
    """A repeatable block's entries as sent (``name-0-inner``…), in the order of their numbers."""
    entries: dict[int, dict[str, list[str]]] = {}
    prefix = f"{name}-"
    for key in set(formdata):
        if not isinstance(key, str) or not key.startswith(prefix):
            continue
        found = ENTRY_KEY.match(key[len(prefix) :])
        if found is not None:
            values = [str(value) for value in formdata.getlist(key)]
            entries.setdefault(int(found.group("index")), {})[found.group("name")] = values
    return [entries[index] for index in sorted(entries)]


class PageForm(Form):
    """A page of a procedure; :meth:`read` checks it against the answers given before it."""

    definition: Definition
    page: Page

    def __init__(self, formdata: Any = None, *, known: Mapping[str, Any] | None = None, today: datetime.date) -> None:
        super().__init__(formdata)
        #: The answers before this page's fields (earlier pages'); this page's are added as they are read.
        self.known: dict[str, Any] = dict(known or {})
        for field in self.answer_fields():
            field.today = today

    def answer_fields(self) -> list[AnswerField]:
        return [field for field in self._fields.values() if isinstance(field, AnswerField)]

    def validate(self, extra_validators: Any = None) -> bool:
        """Check each shown field in order; a hidden one is emptied, whatever was sent for it."""
        valid = True
        for field in self.answer_fields():
            if not visible(field.spec.show_if, self.known, self.definition):
                field.errors, field.answer, field.raw, field.entries = [], None, [], []
                self.known.pop(field.spec.name, None)
                continue
            if not field.validate(self):
                valid = False
            if field.spec.has_answer:
                self.known[field.spec.name] = field.answer
        return valid

    def offered(self, field: AnswerField) -> bool:
        """Whether the page shows ``field``: always when its condition is on this page (the answer may
        change before sending), otherwise when the earlier answers satisfy it."""
        condition = field.spec.show_if
        if condition is None or condition.field in {spec.name for spec in self.page.fields}:
            return True
        return visible(condition, self.known, self.definition)

    def condition_label(self, field: AnswerField) -> str | None:
        """ "Seulement si …" for a field whose condition is on this page."""
        condition = field.spec.show_if
        target = self.definition.by_name.get(condition.field) if condition is not None else None
        if condition is None or target is None or target not in self.page.fields:
            return None
        return f"À remplir seulement si vous avez répondu « {condition.equals} » à « {target.label} »."

    def field_errors(self) -> FormErrors:
        errors = super().field_errors()
        for field in self.answer_fields():
            for name, message in field.entry_errors.items():
                errors.add(name, message)
        return errors

    def answers(self) -> dict[str, Any]:
        """This page's answers, once :meth:`validate` has accepted it (hidden fields left out)."""
        return {
            field.spec.name: field.answer
            for field in self.answer_fields()
            if field.spec.has_answer and field.spec.name in self.known
        }

    def read(self) -> dict[str, Any]:
        """The page's answers, or :class:`Invalid` with each message next to its field."""
        self.check()
        return self.answers()


def page_form_class(definition: Definition, number: int) -> type[PageForm]:
    """The form of page ``number`` (from 1) of ``definition``."""
    page = definition.pages[number - 1]
    fields = {spec.name: AnswerField(spec.label, spec=spec) for spec in page.fields}
    built = cast(type[PageForm], form_class(f"Page{number}Form", fields, base=PageForm))
    built.definition, built.page = definition, page
    return built


def page_visible(definition: Definition, number: int, answers: Mapping[str, Any]) -> bool:
    return visible(definition.pages[number - 1].show_if, answers, definition)


def visible(condition: Condition | None, answers: Mapping[str, Any], definition: Definition) -> bool:
    """Whether a field or a page with ``condition`` is shown, given the answers before it."""
    if condition is None:
        return True
    target = definition.by_name.get(condition.field)
    if target is None:  # a field of a repeatable block, compared within its entry
        target = next(inner for spec in definition.fields() for inner in spec.fields if inner.name == condition.field)
    return condition.equals in condition_value(target, answers.get(condition.field))


def check_answers(definition: Definition, answers: Mapping[str, Any], today: datetime.date) -> dict[str, Any]:
    """Every page read again from stored ``answers``: what a submission keeps, or Invalid (page by page)."""
    kept: dict[str, Any] = {}
    errors = FormErrors()
    for number in range(1, len(definition.pages) + 1):
        if not page_visible(definition, number, kept):
            continue
        form = page_form_class(definition, number)(formdata_of(definition.pages[number - 1], answers),
                                                   known=kept, today=today)  # fmt: skip
        form.validate()
        for name, message in form.field_errors().items():
            errors.add(name, message)
        kept.update(form.answers())
    if errors:
        raise Invalid(errors)
    return kept


def formdata_of(page: Page, answers: Mapping[str, Any]) -> MultiDict[str, str]:
    """What a browser would send for ``page`` to give ``answers`` (a draft, a stored application)."""
    data: MultiDict[str, str] = MultiDict()
    for spec in page.fields:
        answer = answers.get(spec.name)
        if spec.type == REPEAT:
            for index, entry in enumerate(answer or []):
                for inner in spec.fields:
                    for value in raw_values(inner, entry.get(inner.name)):
                        data.add(f"{spec.name}-{index}-{inner.name}", value)
        else:
            for value in raw_values(spec, answer):
                data.add(spec.name, value)
    return data


def raw_values(spec: FieldSpec, answer: Any) -> Sequence[str]:
    """An answer as the text a form sends for it."""
    if answer is None:
        return []
    if spec.type in (CHOICES, FILE):
        return [str(item) for item in answer]
    if spec.type == YES_NO:
        return ["oui" if answer else "non"]
    return [str(answer)]
