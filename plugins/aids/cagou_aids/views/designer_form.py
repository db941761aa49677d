"""The designer's page of a procedure's form: its pages and fields, each change a plain POST, and the preview.

The preview is the applicant's page itself: the same form class
(:func:`~cagou_aids.forms.page_form_class`) drawn by the same macros
(``fields.jinja2``), its ids prefixed so that they never meet the designer's
own. Reordering and removing are buttons of plain POST forms that redirect
back (303); htmx only swaps the page's region in place. While a field is
edited, htmx posts the form to the preview, which draws the page with the
change applied, kept nowhere until "Enregistrer".
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import FormErrors, IClock, Invalid, local, submit
from cagou_aids.answers import COMMUNES, countries
from cagou_aids.definition import (
    FIELD_TYPES,
    FILE_TYPES,
    REPEAT,
    Definition,
    DefinitionError,
    FieldSpec,
    parse_definition,
)
from cagou_aids.design_forms import (
    IDENTIFYING,
    PREFILL_OFFERED,
    AddFieldForm,
    AddPageForm,
    FieldForm,
    PageSettingsForm,
    condition_of,
    condition_options,
    field_formdata,
    field_values,
    lines,
)
from cagou_aids.forms import page_form_class
from cagou_aids.interfaces import IProcedures
from cagou_aids.models import Procedure
from cagou_aids.services.designer import with_field
from cagou_aids.views.designer import DESIGNER, design_path, state_facts
from cagou_aids.views.instruction import DESIGN, ProcedureContext

FIELD = "cagou_aids:templates/designer_field.jinja2"
PAGE = "cagou_aids:templates/designer_page.jinja2"
PREVIEW = "cagou_aids:templates/designer_preview.jinja2"
MOVES = {"monter": -1, "descendre": 1}
SUB = "sous"


def page_asked(request: Request, definition: Definition) -> int:
    try:
        number = int(request.params.get("page", "1"))
    except ValueError:
        number = 1
    return min(max(number, 1), len(definition.pages))


def today(request: Request) -> datetime.date:
    return local(request.registry, request.find_service(IClock).now()).date()


def preview_values(request: Request, procedure: Procedure, definition: Definition, number: int) -> dict[str, Any]:
    """The applicant's page ``number`` of ``definition``, empty, as the step template's macros draw it."""
    form = page_form_class(definition, number)(None, known={}, today=today(request))
    return {
        "preview_form": form, "preview_page": definition.pages[number - 1], "preview_number": number,
        "preview_count": len(definition.pages), "preview_labels": every_label(definition), "communes": COMMUNES,
        "countries": countries(), "procedure": procedure,
    }  # fmt: skip


def every_label(definition: Definition) -> dict[str, str]:
    return {inner.name: inner.label for spec in definition.fields() for inner in [spec, *spec.fields]}


def designer_values(
    request: Request, procedure: Procedure, number: int | None = None, state_errors: FormErrors | None = None,
    add_form: AddFieldForm | None = None, add_errors: FormErrors | None = None,
    page_form: AddPageForm | None = None, page_errors: FormErrors | None = None,
) -> dict[str, Any]:  # fmt: skip
    definition = parse_definition(procedure.latest.definition)
    number = min(max(number, 1), len(definition.pages)) if number else page_asked(request, definition)
    return {
        "procedure": procedure, "definition": definition, "number": number, "types": FIELD_TYPES,
        "version": procedure.latest, "published": procedure.published, "facts": state_facts(request, procedure),
        "state_errors": state_errors or FormErrors(), "add_form": add_form or AddFieldForm(data={"page": number}),
        "add_errors": add_errors or FormErrors(), "page_form": page_form or AddPageForm(),
        "page_errors": page_errors or FormErrors(), **preview_values(request, procedure, definition, number),
    }  # fmt: skip


@view_config(route_name="aids.design", request_method="GET", renderer=DESIGNER, permission=DESIGN)
def designer(context: ProcedureContext, request: Request) -> dict[str, Any]:
    return designer_values(request, context.procedure)


@view_config(route_name="aids.design_preview", request_method="GET", renderer=PREVIEW, permission=DESIGN)
def preview(context: ProcedureContext, request: Request) -> dict[str, Any]:
    definition = parse_definition(context.procedure.latest.definition)
    return {**preview_values(request, context.procedure, definition, page_asked(request, definition)), "problems": []}


def page_path(request: Request, procedure: Procedure, number: int) -> str:
    return f"{design_path(request, procedure)}?page={number}#page-{number}"


# --- fields ------------------------------------------------------------------------------------------------


@view_config(route_name="aids.design_add_field", request_method="POST", renderer=DESIGNER, permission=DESIGN)
def add_field(context: ProcedureContext, request: Request) -> Any:
    procedure = context.procedure
    # A repeatable block's page has the page's form and this one: the block's fields are prefixed.
    form = AddFieldForm(request.POST, prefix=SUB if f"{SUB}-parent" in request.POST else "")
    number = int(form.page.data) if form.page.data.isdigit() else 1

    def save(form: AddFieldForm) -> str:
        return request.find_service(IProcedures).add_field(  # type: ignore[no-any-return]
            procedure, number, form.type.data, form.label.data, bool(form.required.data),
            tuple(lines(form.choices.data)), form.parent.data,
        )  # fmt: skip

    if form.parent.data:
        return submit(
            request, form, save, message=lambda name: "Champ ajouté au bloc.",
            redirect_to=request.route_path("aids.design_field", id=procedure.id, name=form.parent.data),
            render=lambda form: field_page_values(request, procedure, form.parent.data, None, sub_errors(form), form),
        )  # fmt: skip
    return submit(
        request, form, save, message=lambda name: f"Champ « {form.label.data.strip()} » ajouté.",
        redirect_to=page_path(request, procedure, number),
        render=lambda form: designer_values(request, procedure, number, add_form=form, add_errors=form.field_errors()),
    )  # fmt: skip


def sub_errors(form: AddFieldForm) -> FormErrors:
    return FormErrors({f"{SUB}-{name}" if name != "form" else name: text for name, text in form.field_errors().items()})


def spec_named(definition: Definition, name: str) -> tuple[FieldSpec, int]:
    """The field ``name`` (a repeatable block's own fields included) and its page's number; 404 otherwise."""
    for number, page in enumerate(definition.pages, start=1):
        for spec in page.fields:
            for candidate in [spec, *spec.fields]:
                if candidate.name == name:
                    return candidate, number
    raise HTTPNotFound("Ce champ n'existe pas dans le formulaire.")


def field_page_values(
    request: Request, procedure: Procedure, name: str, form: FieldForm | None, errors: FormErrors,
    add_form: AddFieldForm | None = None,
) -> dict[str, Any]:  # fmt: skip
    definition = parse_definition(procedure.latest.definition)
    spec, number = spec_named(definition, name)
    return {
        "procedure": procedure, "spec": spec, "form": form or FieldForm(data=field_formdata(spec, definition)),
        "errors": errors, "top_level": spec.name in definition.by_name, "identifying": IDENTIFYING,
        "prefills": PREFILL_OFFERED,
        "types": FIELD_TYPES, "file_types": FILE_TYPES, "conditions": condition_options(definition, spec.name),
        "add_form": add_form or AddFieldForm(), "add_errors": errors if add_form else FormErrors(),
        "inner_types": {kind: label for kind, label in FIELD_TYPES.items() if kind not in (REPEAT, "heading", "file")},
        "problems": [], **preview_values(request, procedure, definition, number),
    }  # fmt: skip


@view_config(route_name="aids.design_field", request_method="GET", renderer=FIELD, permission=DESIGN)
def field_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    return field_page_values(request, context.procedure, request.matchdict["name"], None, FormErrors())


@view_config(route_name="aids.design_field", request_method="POST", renderer=FIELD, permission=DESIGN)
def field_post(context: ProcedureContext, request: Request) -> Any:
    procedure = context.procedure
    name = request.matchdict["name"]
    definition = parse_definition(procedure.latest.definition)
    spec, number = spec_named(definition, name)
    form = FieldForm(request.POST)

    def save(form: FieldForm) -> None:
        values = field_values(form, spec, spec.name in definition.by_name)
        request.find_service(IProcedures).update_field(procedure, name, values)

    return submit(
        request, form, save, message=f"Champ « {form.label.data.strip() or spec.label} » enregistré.",
        redirect_to=page_path(request, procedure, number),
        render=lambda form: field_page_values(request, procedure, name, form, form.field_errors()),
    )  # fmt: skip


@view_config(route_name="aids.design_field_preview", request_method="POST", renderer=PREVIEW, permission=DESIGN)
def field_preview(context: ProcedureContext, request: Request) -> dict[str, Any]:
    """The page with the field as the form being edited sets it, kept nowhere (htmx, while typing)."""
    procedure = context.procedure
    name = request.matchdict["name"]
    stored = procedure.latest.definition
    before = parse_definition(stored)
    spec, number = spec_named(before, name)
    problems: list[str] = []
    try:
        values = field_values(FieldForm(request.POST), spec, spec.name in before.by_name)
        definition = parse_definition(with_field(copy.deepcopy(stored), name, values))
    except DefinitionError as error:
        definition, problems = parse_definition(stored), error.problems
    except Invalid as error:
        definition, problems = parse_definition(stored), list(error.errors.values())
    return {**preview_values(request, procedure, definition, number), "problems": problems}


@view_config(route_name="aids.design_field_action", request_method="POST", renderer=DESIGNER, permission=DESIGN)
def field_action(context: ProcedureContext, request: Request) -> Any:
    procedure = context.procedure
    name, action = request.matchdict["name"], request.matchdict["action"]
    if action not in (*MOVES, "supprimer"):
        raise HTTPNotFound("Cette action n'existe pas.")
    _, number = spec_named(parse_definition(procedure.latest.definition), name)
    procedures = request.find_service(IProcedures)

    def save(form: AddFieldForm) -> None:
        if action == "supprimer":
            procedures.remove_field(procedure, name)
        else:
            procedures.move_field(procedure, name, MOVES[action])

    return submit(
        request, AddFieldForm(request.POST), save, message="Champ supprimé." if action == "supprimer" else None,
        redirect_to=page_path(request, procedure, number),
        render=lambda form: designer_values(request, procedure, number, state_errors=form.field_errors()),
    )  # fmt: skip


# --- pages -------------------------------------------------------------------------------------------------


@view_config(route_name="aids.design_add_page", request_method="POST", renderer=DESIGNER, permission=DESIGN)
def add_page(context: ProcedureContext, request: Request) -> Any:
    procedure = context.procedure
    form = AddPageForm(request.POST)
    return submit(
        request, form, lambda form: request.find_service(IProcedures).add_page(procedure, form.title.data),
        message=lambda number: f"Page {number} ajoutée.",
        redirect_to=lambda number: page_path(request, procedure, number),
        render=lambda form: designer_values(request, procedure, page_form=form, page_errors=form.field_errors()),
    )  # fmt: skip


def page_number(request: Request, procedure: Procedure) -> int:
    number = int(request.matchdict["number"])
    if not 1 <= number <= len(procedure.latest.definition["pages"]):
        raise HTTPNotFound("Cette page n'existe pas.")
    return number


def page_values(request: Request, procedure: Procedure, number: int, form: PageSettingsForm | None,
                errors: FormErrors) -> dict[str, Any]:  # fmt: skip
    definition = parse_definition(procedure.latest.definition)
    page = definition.pages[number - 1]
    first = page.fields[0].name if page.fields else ""
    later = {spec.name for other in definition.pages[number - 1 :] for spec in other.fields}
    options = [option for option in condition_options(definition, first) if option[0].partition(":")[0] not in later]
    shown = f"{page.show_if.field}:{page.show_if.equals}" if page.show_if else ""
    return {
        "procedure": procedure, "page": page, "number": number, "errors": errors, "conditions": options,
        "form": form or PageSettingsForm(data={"title": page.title, "help": page.help, "show_if": shown}),
        **preview_values(request, procedure, definition, number),
    }  # fmt: skip


@view_config(route_name="aids.design_page", request_method="GET", renderer=PAGE, permission=DESIGN)
def page_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    return page_values(request, context.procedure, page_number(request, context.procedure), None, FormErrors())


@view_config(route_name="aids.design_page", request_method="POST", renderer=PAGE, permission=DESIGN)
def page_post(context: ProcedureContext, request: Request) -> Any:
    procedure = context.procedure
    number = page_number(request, procedure)
    form = PageSettingsForm(request.POST)

    def save(form: PageSettingsForm) -> None:
        fields = procedure.latest.definition["pages"][number - 1]["fields"]
        values = {"title": form.title.data, "help": form.help.data, "show_if": condition_of(form.show_if.data),
                  "fields": fields}  # fmt: skip
        request.find_service(IProcedures).update_page(procedure, number, values)

    return submit(
        request, form, save, message="Page enregistrée.", redirect_to=page_path(request, procedure, number),
        render=lambda form: page_values(request, procedure, number, form, form.field_errors()),
    )  # fmt: skip


@view_config(route_name="aids.design_page_action", request_method="POST", renderer=DESIGNER, permission=DESIGN)
def page_action(context: ProcedureContext, request: Request) -> Any:
    procedure = context.procedure
    number, action = page_number(request, procedure), request.matchdict["action"]
    if action not in (*MOVES, "supprimer"):
        raise HTTPNotFound("Cette action n'existe pas.")
    procedures = request.find_service(IProcedures)

    def save(form: AddPageForm) -> int:
        if action == "supprimer":
            procedures.remove_page(procedure, number)
            return max(number - 1, 1)
        procedures.move_page(procedure, number, MOVES[action])
        return number + MOVES[action]

    return submit(
        request, AddPageForm(request.POST), save, message="Page supprimée." if action == "supprimer" else None,
        redirect_to=lambda target: page_path(request, procedure, target),
        render=lambda form: designer_values(request, procedure, number, state_errors=form.field_errors()),
    )  # fmt: skip
