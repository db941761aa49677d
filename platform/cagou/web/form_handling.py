"""Server-side forms: WTForms for parsing and checking, one shape for the POST that follows.

Why WTForms: it is kept, Warehouse (Pyramid) uses it, it reads WebOb's
``request.POST`` as it is, it ships French messages for its validators, and a
form class is an ordinary Python class that can be built at run time from a
stored definition (:func:`form_class`), which the aids module's procedures
need. Colander/Deform would bring their own templates; pydantic would bring
validation without fields to render. What WTForms does not do here: CSRF,
which Pyramid checks on every POST before any view (``cagou.configure``), and
HTML, which the templates' ``field`` macro writes next to its message.

The shape of a page with a form (:func:`submit`): a GET renders the page; a
POST fills the form from ``request.POST``, validates it, hands it to a
service, which writes and audits or raises :class:`~cagou.refusals.Invalid` /
:class:`~cagou.refusals.Refused`; success flashes its message and redirects
(303), a refusal renders the page again with a 400 (or the refusal's status),
each message next to its field and what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import wtforms
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request

from cagou.refusals import Invalid, Refused
from cagou.web.forms import FormErrors

#: Where a refusal of the whole form goes (the templates' ``form_alert``).
FORM = "form"


class Form(wtforms.Form):
    """The base of every form: French messages, and its errors as the templates read them."""

    class Meta:
        locales = ("fr_FR", "fr")
        cache_translations = True

    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.refusal: str | None = None
        #: A service's messages about something other than one field (a group of fields, a fieldset).
        self.other_errors = FormErrors()

    def field_errors(self) -> FormErrors:
        """The first message of each field (and of the whole form, under ``form``)."""
        errors = FormErrors()
        for name, field in self._fields.items():
            if isinstance(field.errors, list | tuple) and field.errors:
                errors.add(name, str(field.errors[0]))
        for name, other in self.other_errors.items():
            errors.add(name, other)
        for whole in [*self.form_errors, self.refusal]:
            if whole:
                errors.add(FORM, str(whole))
        return errors

    def add_errors(self, errors: Mapping[str, str]) -> None:
        """Tie a service's messages to the form's fields, as the validators' own are (others keep their name)."""
        for name, message in errors.items():
            if name in self._fields:
                self._fields[name].errors = [*self._fields[name].errors, message]
            else:
                self.other_errors.add(name, message)

    def check(self) -> None:
        """Validate, raising :class:`Invalid` with the messages when something is refused."""
        if not self.validate():
            raise Invalid(self.field_errors())


class TextField(wtforms.StringField):
    """A text field whose data is always text: empty when the field was not sent."""

    data: str

    def process_data(self, value: Any) -> None:
        self.data = "" if value is None else str(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]) if valuelist else ""

    def _value(self) -> str:
        return self.data or ""


FormT = TypeVar("FormT", bound=Form)
Saved = TypeVar("Saved")


def form_class(name: str, fields: Mapping[str, Any], base: type[Form] = Form) -> type[Form]:
    """A form class built at run time from ``fields`` (name → an unbound WTForms field)."""
    return type(name, (base,), dict(fields))


def submit(
    request: Request,
    form: FormT,
    save: Callable[[FormT], Saved],
    *,
    redirect_to: str | Callable[[Saved], str],
    render: Callable[[FormT], dict[str, Any]],
    message: str | Callable[[Saved], str | None] | None = None,
) -> HTTPSeeOther | dict[str, Any]:
    """The POST of a page's form: check, save, flash and redirect, or the page again with its messages.

    ``save`` calls the service with the form's data and returns what it saved;
    ``message`` (flashed) and ``redirect_to`` may be computed from it. A
    service refuses by raising ``Invalid`` or ``Refused``; then nothing it
    wrote is kept: the transaction is doomed, so pyramid_tm aborts it once the
    page is rendered. ``render`` gives the page's values for the refused form.
    """
    try:
        form.check()
        saved = save(form)
    except Invalid as error:
        form.add_errors(error.errors)
        return refused(request, 400, render(form))
    except Refused as error:
        form.refusal = error.message
        return refused(request, error.status, render(form))
    flashed = message(saved) if callable(message) else message
    if flashed:
        request.session.flash(flashed)
    return HTTPSeeOther(redirect_to(saved) if callable(redirect_to) else redirect_to)


def refused(request: Request, status: int, values: dict[str, Any]) -> dict[str, Any]:
    """The page's values, answered with ``status``, and nothing of the request's writes kept."""
    request.response.status_int = status
    request.tm.doom()
    return values
