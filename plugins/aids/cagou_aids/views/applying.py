"""The applicant's journey on the public site: start, each page, check the answers, submit, "Mes démarches".

Each page of the form is a form of :mod:`cagou_aids.forms`; what was typed
is kept in the draft whatever the button (next, previous, save and come
back later), and a page is accepted, its answers kept, only when it checks.
The review page reads every answer again (:func:`check_answers`) and
sends the applicant back to the page of the first refused one.
"""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from webob.multidict import MultiDict

from cagou.kit import FormErrors, IClock, Invalid, Refused, local, uploads_of
from cagou_aids.abuse import HONEYPOT, before_start, before_submission, review_shown, submitted
from cagou_aids.answers import COMMUNES, countries, shown_answer
from cagou_aids.definition import FILE, Definition, Page
from cagou_aids.forms import PageForm, formdata_of, page_form_class, page_visible
from cagou_aids.interfaces import IDrafts
from cagou_aids.mails import duplicate_notice
from cagou_aids.models import APPLICATION_STATES, Draft
from cagou_aids.queries import applications_of, draft_of, drafts_of, procedure_by_slug
from cagou_aids.services.drafts import files_of
from cagou_aids.states import state_for_applicant
from cagou_aids.views import refuse
from cagou_aids.views.catalogue import procedure_values

STEP = "cagou_aids:templates/step.jinja2"
PROCEDURE = "cagou_aids:templates/procedure.jinja2"
REVIEW = "cagou_aids:templates/review.jinja2"
NEXT, PREVIOUS, SAVE = "suivant", "precedent", "enregistrer"
#: A draft's pages are checked by :func:`current_draft`: its signed-in owner, or the guest holding its token.
DRAFT_OWNER = NO_PERMISSION_REQUIRED
DECLARATION = "J'atteste sur l'honneur l'exactitude des renseignements fournis."


def current_draft(request: Request, confirmed: bool = True) -> Draft:
    """The draft of the address: the signed-in applicant's own, or a guest's, whose key is its token (a guest
    who has not given the mailed code yet is sent to give it)."""
    person = request.identity.id if request.identity is not None else None
    draft = draft_of(request.db, request.matchdict["token"], person)
    if draft is None or draft.procedure.slug != request.matchdict["slug"]:
        raise HTTPNotFound("Ce brouillon n'existe pas, ou il n'est pas le vôtre.")
    if confirmed and draft.applicant_id is None and draft.confirmed_at is None:
        raise HTTPSeeOther(request.route_path("aids.guest_confirm", slug=draft.procedure.slug, token=draft.token))
    return draft


def open_draft(request: Request) -> Draft:
    """The draft of the address while it is still one: once submitted, its pages lead to the application."""
    draft = current_draft(request)
    if draft.application_id is not None:
        raise HTTPSeeOther(followed_path(request, draft))
    return draft


def visible_pages(definition: Definition, answers: dict[str, Any]) -> list[int]:
    return [number for number in range(1, len(definition.pages) + 1) if page_visible(definition, number, answers)]


def step_path(request: Request, draft: Draft, number: int) -> str:
    return str(request.route_path("aids.step", slug=draft.procedure.slug, token=draft.token, number=number))


def review_path(request: Request, draft: Draft) -> str:
    return str(request.route_path("aids.review", slug=draft.procedure.slug, token=draft.token))


@view_config(route_name="aids.start", request_method="POST", renderer=PROCEDURE, permission="aids:apply")
def start(request: Request) -> Any:
    procedure = procedure_by_slug(request.db, request.matchdict["slug"])
    if procedure is None or procedure.public_version is None:
        raise HTTPNotFound("Cette démarche n'existe pas.")
    try:
        before_start(request)
        draft = request.find_service(IDrafts).start(procedure, request.identity)
    except Refused as refused:
        refuse(request, refused.status)
        return procedure_values(request, procedure, refused.message)
    return HTTPSeeOther(step_path(request, draft, 1))


def step_values(request: Request, draft: Draft, number: int, form: PageForm, errors: FormErrors) -> dict[str, Any]:
    definition = draft.version.parsed
    pages = visible_pages(definition, draft.answers)
    return {
        "procedure": draft.procedure, "draft": draft, "page": definition.pages[number - 1], "form": form,
        "number": number, "position": pages.index(number) + 1 if number in pages else 1, "count": len(pages),
        "errors": errors, "communes": COMMUNES, "countries": countries(),
        "first": number == pages[0] if pages else True,
        "files": {stored.sha256: stored for stored in files_of(request.db, draft)},
        "multipart": any(spec.type == FILE for spec in definition.pages[number - 1].fields),
    }  # fmt: skip


def page_number(request: Request, definition: Definition) -> int:
    try:
        number = int(request.matchdict["number"])
    except ValueError:
        raise HTTPNotFound("Cette étape n'existe pas.") from None
    if not 1 <= number <= len(definition.pages):
        raise HTTPNotFound("Cette étape n'existe pas.")
    return number


def earlier_answers(definition: Definition, number: int, answers: dict[str, Any]) -> dict[str, Any]:
    names = {spec.name for page in definition.pages[number - 1 :] for spec in page.fields}
    return {name: value for name, value in answers.items() if name not in names}


@view_config(route_name="aids.step", request_method="GET", renderer=STEP, permission=DRAFT_OWNER)
def step(request: Request) -> dict[str, Any]:
    draft = open_draft(request)
    definition = draft.version.parsed
    number = page_number(request, definition)
    typed = draft.typed.get(str(number))
    formdata = multidict(typed) if typed is not None else formdata_of(definition.pages[number - 1], draft.answers)
    form = page_form_class(definition, number)(formdata, known=earlier_answers(definition, number, draft.answers),
                                               today=today(request))  # fmt: skip
    return step_values(request, draft, number, form, FormErrors())


@view_config(route_name="aids.step", request_method="POST", renderer=STEP, permission=DRAFT_OWNER)
def step_post(request: Request) -> Any:
    draft = open_draft(request)
    definition = draft.version.parsed
    number = page_number(request, definition)
    known = earlier_answers(definition, number, draft.answers)
    drafts = request.find_service(IDrafts)
    refused_files = FormErrors()
    formdata = with_files(request, draft, definition.pages[number - 1], refused_files)
    form = page_form_class(definition, number)(formdata, known=known, today=today(request))
    typed = {field.name: field.raw for field in form.answer_fields()}
    typed.update({key: [str(value) for value in formdata.getall(key)] for key in formdata if "-" in key})
    action = request.POST.get("action", NEXT)
    accepted = form.validate()
    for name, message in refused_files.items():
        form[name].errors = [message]  # why the file was refused says more than "required"
        accepted = False
    # What was typed is kept whatever the button; the page's answers only once it checks.
    drafts.save_page(draft, number, typed, form.answers() if accepted else None)
    if action not in (PREVIOUS, SAVE) and not accepted:
        request.response.status_int = 400
        return step_values(request, draft, number, form, form.field_errors())
    return HTTPSeeOther(next_place(request, draft, definition, number, action))


@view_config(
    route_name="aids.autosave", request_method="POST", renderer="cagou_aids:templates/autosaved.jinja2",
    permission=DRAFT_OWNER,
)  # fmt: skip
def autosave(request: Request) -> dict[str, Any]:
    """What is typed, saved as it is typed (htmx, a moment after each change): the page's fields, checked
    silently: their answers are kept when the page checks, what was typed always; files wait for "Suivant"."""
    draft = open_draft(request)
    definition = draft.version.parsed
    number = page_number(request, definition)
    values: MultiDict[str, str] = MultiDict(
        (key, value) for key, value in request.POST.items() if isinstance(value, str)
    )
    form = page_form_class(definition, number)(values, known=earlier_answers(definition, number, draft.answers),
                                               today=today(request))  # fmt: skip
    typed = {field.name: field.raw for field in form.answer_fields() if field.spec.type != FILE}
    typed.update({key: [str(value) for value in values.getall(key)] for key in values if "-" in key})
    previous = draft.typed.get(str(number), {})
    typed.update({name: previous[name] for name in previous if name not in typed})  # the page's files, as they were
    accepted = form.validate()
    request.find_service(IDrafts).save_page(draft, number, typed, form.answers() if accepted else None)
    return {"at": local(request.registry, draft.updated_at)}


def with_files(request: Request, draft: Draft, page: Page, refused: FormErrors) -> MultiDict[str, str]:
    """The page's values with, for each file field, the SHA-256 of its files: those kept (ticked, and the
    draft's own) and those just sent, stored; a file refused gets its message in ``refused``."""
    values: MultiDict[str, str] = MultiDict(
        (key, value) for key, value in request.POST.items() if isinstance(value, str)
    )
    file_specs = [spec for spec in page.fields if spec.type == FILE]
    if not file_specs:
        return values
    own = {(stored.field, stored.sha256) for stored in files_of(request.db, draft)}
    drafts = request.find_service(IDrafts)
    for spec in file_specs:
        kept = [value for value in values.getall(spec.name) if (spec.name, value) in own]
        if spec.name in values:
            del values[spec.name]
        sent = drafts.attach(draft, spec, uploads_of(request, spec.name), refused)
        for reference in dict.fromkeys(kept + sent):
            values.add(spec.name, reference)
    return values


def next_place(request: Request, draft: Draft, definition: Definition, number: int, action: str) -> str:
    pages = visible_pages(definition, draft.answers)
    if action == SAVE:
        request.session.flash("Votre brouillon est enregistré : reprenez-le depuis « Mes démarches ».")
        return str(request.route_path("aids.mine"))
    if action == PREVIOUS:
        before = [page for page in pages if page < number]
        return step_path(request, draft, before[-1] if before else number)
    after = [page for page in pages if page > number]
    return step_path(request, draft, after[0]) if after else review_path(request, draft)


def review_values(request: Request, draft: Draft, errors: FormErrors) -> dict[str, Any]:
    definition = draft.version.parsed
    pages = visible_pages(definition, draft.answers)
    summary = [
        (number, definition.pages[number - 1], [(spec, shown_answer(spec, draft.answers.get(spec.name)))
                                                for spec in definition.pages[number - 1].fields if spec.has_answer])
        for number in pages
    ]  # fmt: skip
    return {
        "procedure": draft.procedure, "draft": draft, "summary": summary, "errors": errors, "declaration": DECLARATION,
        "honeypot": HONEYPOT,
    }  # fmt: skip


@view_config(route_name="aids.review", request_method="GET", renderer=REVIEW, permission=DRAFT_OWNER)
def review(request: Request) -> Any:
    draft = current_draft(request)
    if draft.application is not None:
        return HTTPSeeOther(followed_path(request, draft))
    review_shown(request, draft)
    return review_values(request, draft, FormErrors())


@view_config(route_name="aids.review", request_method="POST", renderer=REVIEW, permission=DRAFT_OWNER)
def review_post(request: Request) -> Any:
    draft = open_draft(request)
    if request.POST.get("declaration") != "oui":
        request.response.status_int = 400
        return review_values(request, draft, FormErrors(declaration="Cochez l'attestation sur l'honneur pour déposer."))
    try:
        checks = before_submission(request, draft)
        application = request.find_service(IDrafts).submit(draft)
    except Invalid as refused:
        refuse(request, 400)
        first = first_page_with(draft.version.parsed, refused.errors)
        message = f"Une réponse est à corriger (étape {first}) : {next(iter(refused.errors.values()))}"
        return review_values(request, draft, FormErrors(form=message))
    except Refused as refused:
        refuse(request, refused.status)
        return review_values(request, draft, FormErrors(form=refused.message))
    submitted(request, checks)
    request.session.flash(f"Votre demande est déposée sous le numéro {application.receipt}.")
    if application.duplicate_of is not None:
        zone = local(request.registry, application.submitted_at).tzinfo
        request.session.flash(duplicate_notice(application.duplicate_of, zone))
    return HTTPSeeOther(followed_path(request, draft))


def followed_path(request: Request, draft: Draft) -> str:
    """Where a submitted application is followed: "Mes démarches", or the guest's private link."""
    if draft.applicant_id is None:
        return str(request.route_path("aids.guest_follow", slug=draft.procedure.slug, token=draft.token))
    return str(request.route_path("aids.mine"))


def first_page_with(definition: Definition, errors: FormErrors) -> int:
    for number, page in enumerate(definition.pages, start=1):
        if any(name.split("-")[0] in {spec.name for spec in page.fields} for name in errors):
            return number
    return 1


@view_config(route_name="aids.mine", renderer="cagou_aids:templates/mine.jinja2", permission="aids:apply")
def mine(request: Request) -> dict[str, Any]:
    person = request.identity.id
    applications = applications_of(request.db, person)
    registry = request.registry
    return {
        "drafts": drafts_of(request.db, person), "applications": applications, "states": APPLICATION_STATES,
        "local": lambda instant: local(registry, instant),
        "state_of": lambda application: state_for_applicant(application)[0],
    }  # fmt: skip


def today(request: Request) -> datetime.date:
    return local(request.registry, request.find_service(IClock).now()).date()


def multidict(typed: dict[str, list[str]]) -> MultiDict[str, str]:
    return MultiDict([(name, value) for name, values in typed.items() for value in values])
