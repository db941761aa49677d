"""The designer's forms (WTForms on the kit's ``Form``), and what they read into the service's terms.

The fields carry no validators: the procedures service judges what they
send (``Invalid``, each message under the form's field name), so that a
message says the same whether the page or an import sent the value. What
only the page can get wrong (a number or a date typed badly) is read here,
its message next to its field.
"""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.registry import Registry
from wtforms import BooleanField, SelectMultipleField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # (WTForms 3.3; not in its stubs yet)

from cagou.kit import Form, FormErrors, Invalid, TextField, parse_date, timezone
from cagou_aids.definition import (
    AMOUNT,
    CHOICE,
    CHOICES,
    DATE,
    EMAIL,
    FIELD_TYPES,
    FILE,
    FILE_TYPES,
    HEADING,
    INTEGER,
    LONG_TEXT,
    REPEAT,
    RIDET,
    TEXT,
    Definition,
    FieldSpec,
)
from cagou_aids.services.procedures import DATA_NOTICE_PARTS, ProcedureSettings

MEGABYTE = 1024 * 1024
#: The prefills a designer may tick, by the type of field they suit (``company``, a text, comes from models).
PREFILL_OFFERED = {EMAIL: "email", RIDET: "ridet"}
#: The fields whose answer may say who applies (for duplicates): one value each, on a page of their own.
IDENTIFYING = frozenset(FIELD_TYPES) - {LONG_TEXT, AMOUNT, CHOICES, FILE, HEADING, REPEAT}


class NewProcedureForm(Form):
    source = TextField()
    title = TextField()
    audience = TextField()
    receipt_prefix = TextField()
    directorate = TextField()


class SettingsForm(Form):
    title = TextField()
    summary = TextField()
    help_text = TextField()
    audience = TextField()
    category = TextField()
    opens_at = TextField()
    closes_at = TextField()
    directorate = TextField()
    contact_email = TextField()
    receipt_prefix = TextField()
    legal_basis = TextField()
    purpose = TextField()
    retention_months = TextField()
    dpo_contact = TextField()


class AddFieldForm(Form):
    page = TextField()
    parent = TextField()
    type = TextField()
    label = TextField()
    required = BooleanField()
    choices = TextField()


class FieldForm(Form):
    label = TextField()
    help = TextField()
    required = BooleanField()
    message = TextField()
    min = TextField()
    max = TextField()
    not_future = BooleanField()
    choices = TextField()
    display = TextField()
    accept = SelectMultipleField(
        choices=[SelectChoice(kind, label) for kind, label in FILE_TYPES.items()], validate_choice=False
    )
    max_size = TextField()
    max_files = TextField()
    min_count = TextField()
    max_count = TextField()
    show_if = TextField()
    prefill = BooleanField()
    identifies = BooleanField()


class PageSettingsForm(Form):
    title = TextField()
    help = TextField()
    show_if = TextField()


class AddPageForm(Form):
    title = TextField()


class ConfirmForm(Form):
    confirm = BooleanField()


def read_instant(errors: FormErrors, name: str, text: str, registry: Registry) -> datetime.datetime | None:
    """A date and time typed in Nouméa (``2026-03-21T18:00``, as a ``datetime-local`` input sends it), in UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        typed = datetime.datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        typed = None
    if typed is None or typed.tzinfo is not None or not 1900 <= typed.year <= 2999:
        errors.add(name, "Une date et une heure, par exemple 2026-03-21 18:00 (heure de Nouméa).")
        return None
    return typed.replace(tzinfo=timezone(registry)).astimezone(datetime.UTC)


def typed_instant(instant: datetime.datetime | None, registry: Registry) -> str:
    """An instant as a ``datetime-local`` input shows it, in Nouméa time."""
    return instant.astimezone(timezone(registry)).strftime("%Y-%m-%dT%H:%M") if instant else ""


def read_int(errors: FormErrors, name: str, text: str, scale: int = 1) -> int | None:
    text = "".join(text.split())
    if not text:
        return None
    try:
        return int(text) * scale
    except ValueError:
        errors.add(name, "Un nombre entier, par exemple 10.")
        return None


def read_day(errors: FormErrors, name: str, text: str) -> str | None:
    if not text.strip():
        return None
    day = parse_date(text)
    if day is None:
        errors.add(name, "Une date au format JJ/MM/AAAA, par exemple 21/03/2020.")
        return None
    return day.isoformat()


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def settings_of(form: SettingsForm, registry: Registry) -> ProcedureSettings:
    """The settings the form sends; ``Invalid`` for what the page alone reads (instants, a number, a directorate)."""
    errors = FormErrors()
    opens_at = read_instant(errors, "opens_at", form.opens_at.data, registry)
    closes_at = read_instant(errors, "closes_at", form.closes_at.data, registry)
    retention = read_int(errors, "retention_months", form.retention_months.data)
    directorate = read_int(errors, "directorate", form.directorate.data)
    if errors:
        raise Invalid(errors)
    notice: dict[str, Any] = {part: getattr(form, part).data.strip() for part in DATA_NOTICE_PARTS}
    notice["retention_months"] = retention
    notice = {part: value for part, value in notice.items() if value not in ("", None)}
    return ProcedureSettings(
        title=form.title.data, audience=form.audience.data, receipt_prefix=form.receipt_prefix.data.strip(),
        summary=form.summary.data, help_text=form.help_text.data, category=form.category.data,
        contact_email=form.contact_email.data, opens_at=opens_at, closes_at=closes_at, directorate_id=directorate,
        data_notice=notice,
    )  # fmt: skip


def notice_errors(errors: FormErrors) -> FormErrors:
    """The service's ``data_notice.<part>`` messages under the settings form's field names."""
    return FormErrors({name.removeprefix("data_notice."): message for name, message in errors.items()})


def condition_of(text: str) -> dict[str, str] | None:
    """``name:value`` (an option of the condition list) as a definition's ``show_if``."""
    if not text:
        return None
    name, _, value = text.partition(":")
    return {"field": name, "equals": value}


def field_values(form: FieldForm, spec: FieldSpec, top_level: bool) -> dict[str, Any]:
    """The field's JSON keys as the form sets them, for its type; ``Invalid`` for a number or a day typed badly.

    ``identifies`` (whether the answer says who applies) is the form's key, not the field's: the service keeps
    it in the definition's list."""
    errors = FormErrors()
    kind = spec.type
    values: dict[str, Any] = {
        "label": form.label.data, "help": form.help.data, "message": form.message.data,
        "required": bool(form.required.data), "show_if": condition_of(form.show_if.data),
        "prefill": (PREFILL_OFFERED[kind] if form.prefill.data else None) if kind in PREFILL_OFFERED
        else spec.prefill or None,
    }  # fmt: skip
    if top_level and kind in IDENTIFYING:
        values["identifies"] = bool(form.identifies.data)
    if kind in (TEXT, LONG_TEXT):
        values["max"] = read_int(errors, "max", form.max.data)
    elif kind in (INTEGER, AMOUNT):
        values["min"], values["max"] = read_int(errors, "min", form.min.data), read_int(errors, "max", form.max.data)
    elif kind == DATE:
        values["min"], values["max"] = read_day(errors, "min", form.min.data), read_day(errors, "max", form.max.data)
        values["not_future"] = bool(form.not_future.data)
    elif kind in (CHOICE, CHOICES):
        values["choices"] = lines(form.choices.data)
        if kind == CHOICE:
            values["display"] = form.display.data or "buttons"
    elif kind == FILE:
        values["accept"] = list(form.accept.data or [])
        values["max_size"] = read_int(errors, "max_size", form.max_size.data, MEGABYTE)
        values["max_files"] = read_int(errors, "max_files", form.max_files.data)
    elif kind == REPEAT:
        values["min_count"] = read_int(errors, "min_count", form.min_count.data)
        values["max_count"] = read_int(errors, "max_count", form.max_count.data)
    if errors:
        raise Invalid(errors)
    return values


def field_formdata(spec: FieldSpec, definition: Definition) -> dict[str, Any]:
    """What the field's form shows first: the field as stored."""
    data: dict[str, Any] = {"label": spec.label, "help": spec.help, "required": spec.required,
                            "message": spec.message, "display": spec.display, "prefill": bool(spec.prefill),
                            "identifies": spec.name in definition.identifies}  # fmt: skip
    if spec.show_if:
        data["show_if"] = f"{spec.show_if.field}:{spec.show_if.equals}"
    if spec.type in (TEXT, LONG_TEXT, INTEGER, AMOUNT):
        data |= {"min": "" if spec.minimum is None else str(spec.minimum),
                 "max": "" if spec.maximum is None else str(spec.maximum)}  # fmt: skip
    if spec.type == DATE:
        data |= {
            "min": spec.min_date.strftime("%d/%m/%Y") if spec.min_date else "",
            "max": spec.max_date.strftime("%d/%m/%Y") if spec.max_date else "",
            "not_future": spec.not_future,
        }
    data |= {"choices": "\n".join(spec.choices), "accept": list(spec.accept), "max_files": str(spec.max_files),
             "max_size": str(spec.max_size // MEGABYTE), "min_count": str(spec.min_count),
             "max_count": str(spec.max_count)}  # fmt: skip
    return data


def condition_options(definition: Definition, before: str) -> list[tuple[str, str]]:
    """The conditions a field or a page may take: each option of each choice or yes/no field before ``before``
    (a field's name; ``""`` for every field), as (``name:value``, its French wording)."""
    options: list[tuple[str, str]] = []
    for spec in definition.fields():
        for candidate in [spec, *spec.fields]:
            if candidate.name == before:
                return options
            for value, label in candidate.options:  # a choice's, a multiple choice's, a yes/no's
                options.append((f"{candidate.name}:{value}", f"« {candidate.label} » vaut « {label} »"))
    return options
