"""The sample module's form page: the kit's one way to write a form (docs/plugins.md, "Forms")."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config
from wtforms import IntegerField, StringField, validators

from cagou.kit import Form, form_class, submit
from cagou_sample.interfaces import INotes

TEMPLATE = "cagou_sample:templates/note_form.jinja2"
MAX_TITLE = 200


class NoteForm(Form):
    title = StringField(
        "Titre",
        [
            validators.DataRequired("Le titre est obligatoire."),
            validators.Length(max=MAX_TITLE, message=f"Le titre fait {MAX_TITLE} caractères au plus."),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    pages = IntegerField("Nombre de pages", [validators.Optional(), validators.NumberRange(min=1, max=999)])


def page(request: Request, form: NoteForm) -> dict[str, Any]:
    return {"form": form, "data": form.data, "errors": form.field_errors()}


@view_config(route_name="sample.note_form", request_method="GET", renderer=TEMPLATE, permission="sample:note:view")
def note_form(request: Request) -> dict[str, Any]:
    return page(request, NoteForm())


@view_config(route_name="sample.note_form", request_method="POST", renderer=TEMPLATE, permission="sample:note:view")
def note_form_post(request: Request) -> Any:
    form = NoteForm(request.POST)
    return submit(
        request,
        form,
        lambda form: request.find_service(INotes).create(form.title.data),
        message=lambda note: f"Note « {note.title} » ajoutée.",
        redirect_to=request.route_path("sample.notes"),
        render=lambda form: page(request, form),
    )


#: A form built from stored data, as the aids module builds its procedures' forms.
SURVEY_FIELDS = {"commune": StringField("Commune", [validators.InputRequired("Indiquez votre commune.")])}


def survey_form(formdata: Any = None) -> Form:
    return form_class("SurveyForm", SURVEY_FIELDS)(formdata)
