"""Expert opinions' pages: asked from the application's page, answered on the intranet or through a one-time link.

- the application's page (intranet) shows the opinions the agent may read and
  the form "Demander un avis" (:func:`opinion_panel`, its include
  ``opinions_panel.jinja2``);
- "Avis demandés" (``/intranet/avis/``) lists what is asked of the
  directorates the agent answers for, each answered on its page;
- the outside expert's link (``/avis/<token>``, public site) shows the
  question, the files shared and the answer form only; a token unknown
  answers 404, one used or past its deadline 410, neither saying which
  application it was about.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from cagou.kit import (
    INTRANET,
    PUBLIC,
    IAuditLog,
    IFileStorage,
    Refused,
    TextField,
    attachment_response,
    submit,
    uploads_of,
)  # fmt: skip
from cagou.kit import Form as KitForm
from cagou_aids.interfaces import IOpinions
from cagou_aids.models import StoredFile
from cagou_aids.models.opinions import Opinion, OpinionFile
from cagou_aids.opinion_rules import (
    GIVE,
    asked_of_me,
    is_open,
    may_answer,
    may_read,
)  # fmt: skip
from cagou_aids.services.opinions import OpinionAsked
from cagou_aids.views import ERROR_PAGE, file_response
from cagou_aids.views.instruction import APPLICATION_PAGE, READ, ProcedureContext, instructor_action, read_application
from cagou_aids.views.opinion_panel import AskForm, local_day

ANSWER_PAGE = "cagou_aids:templates/opinion_answer.jinja2"


def includeme(config: Configurator) -> None:
    procedure = {"factory": "cagou_aids.views.instruction.procedure_context"}
    application = r"/demarches/{id:\d+}/demandes/{receipt}/avis"
    config.add_site_route(INTRANET, "aids.opinion_ask", application, **procedure)
    config.add_site_route(
        INTRANET, "aids.opinion_attachment", application + r"/{opinion:\d+}/pieces/{file:\d+}", **procedure
    )
    config.add_site_route(INTRANET, "aids.opinions_asked", "/avis/")
    config.add_site_route(INTRANET, "aids.opinion", r"/avis/{opinion:\d+}")
    config.add_site_route(INTRANET, "aids.opinion_file", r"/avis/{opinion:\d+}/fichiers/{file:\d+}")
    config.add_site_route(PUBLIC, "aids.opinion_answer", "/avis/{token}")
    config.add_site_route(PUBLIC, "aids.opinion_shared", r"/avis/{token}/fichiers/{file:\d+}")


class AnswerForm(KitForm):
    avis = TextField()
    texte = TextField()


@view_config(route_name="aids.opinion_ask", request_method="POST", renderer=APPLICATION_PAGE, permission=READ)
def ask_opinion(context: ProcedureContext, request: Request) -> Any:
    """An instructor asks an opinion of another directorate or of an outside expert."""
    form = AskForm(request.POST)
    asked = OpinionAsked(
        question=form.question.data, recipient=form.destinataire.data, directorate=form.direction.data,
        email=form.courriel.data, visibility=form.visibilite.data, deadline=form.echeance.data,
        files=list(form.fichiers.data or []),
    )  # fmt: skip
    opinions = request.find_service(IOpinions)
    return instructor_action(context, request, lambda application: opinions.ask(application, asked),
                             "Avis demandé.", "avis")  # fmt: skip


def stored_response(request: Request, stored: OpinionFile) -> Response:
    try:
        file = request.find_service(IFileStorage).open(stored.storage_key)
    except KeyError:
        raise HTTPNotFound("Ce fichier n'est plus conservé.") from None
    return attachment_response(file, stored.filename, stored.content_type)


@view_config(route_name="aids.opinion_attachment", request_method="GET", permission=READ)
def answer_attachment(context: ProcedureContext, request: Request) -> Response:
    """A file of an expert's answer, for the agents who read the opinion."""
    application = read_application(context, request)
    opinion: Opinion | None = request.db.get(Opinion, int(request.matchdict["opinion"]))
    if opinion is None or opinion.application_id != application.id or not may_read(request, opinion,
                                                                                     context.procedure):  # fmt: skip
        raise HTTPNotFound("Ce fichier n'existe pas.")
    stored = next((each for each in opinion.files if each.id == int(request.matchdict["file"])), None)
    if stored is None:
        raise HTTPNotFound("Ce fichier n'existe pas.")
    request.find_service(IAuditLog).record_read(
        "aids:file:read", f"Pièce « {stored.filename} » d'un avis sur la demande {application.receipt} téléchargée.",
        "aids", "aids_application", str(application.id),
    )  # fmt: skip
    return stored_response(request, stored)


# --- answering on the intranet ---------------------------------------------------------------------------


@view_config(route_name="aids.opinions_asked", request_method="GET", permission=GIVE,
             renderer="cagou_aids:templates/opinions_asked.jinja2")  # fmt: skip
def opinions_asked(request: Request) -> dict[str, Any]:
    return {"opinions": asked_of_me(request), "day": lambda instant: local_day(request, instant),
            "is_open": lambda opinion: is_open(request, opinion)}  # fmt: skip


def my_opinion(request: Request) -> Opinion:
    """The opinion asked of the agent's directorate, or 404 (whoever else's it is)."""
    opinion: Opinion | None = request.db.get(Opinion, int(request.matchdict["opinion"]))
    if opinion is None or not may_answer(request, opinion):
        raise HTTPNotFound("Cet avis n'existe pas.")
    return opinion


def answer_values(request: Request, opinion: Opinion, form: AnswerForm, action: str, file_url: Any) -> dict[str, Any]:
    return {"opinion": opinion, "form": form, "errors": form.field_errors(),
            "action": action, "file_url": file_url, "deadline": local_day(request, opinion.deadline),
            "answerable": is_open(request, opinion)}  # fmt: skip


def intranet_answer_values(request: Request, opinion: Opinion, form: AnswerForm) -> dict[str, Any]:
    return answer_values(
        request, opinion, form, request.route_path("aids.opinion", opinion=opinion.id),
        lambda stored: request.route_path("aids.opinion_file", opinion=opinion.id, file=stored.id),
    )  # fmt: skip


@view_config(route_name="aids.opinion", request_method="GET", permission=GIVE, renderer=ANSWER_PAGE)
def opinion_page(request: Request) -> dict[str, Any]:
    return intranet_answer_values(request, my_opinion(request), AnswerForm())


def favourable_of(form: AnswerForm) -> bool | None:
    return {"oui": True, "non": False}.get(form.avis.data)


@view_config(route_name="aids.opinion", request_method="POST", permission=GIVE, renderer=ANSWER_PAGE)
def opinion_answer(request: Request) -> Any:
    opinion = my_opinion(request)
    uploads = uploads_of(request, "pieces")
    return submit(
        request, AnswerForm(request.POST),
        lambda form: request.find_service(IOpinions).answer(opinion, favourable_of(form), form.texte.data, uploads,
                                                            request.identity),
        message="Votre avis est rendu : l'instructeur en est prévenu.",
        redirect_to=request.route_path("aids.opinions_asked"),
        render=lambda form: intranet_answer_values(request, opinion, form),
    )  # fmt: skip


def shared_file(request: Request, opinion: Opinion) -> StoredFile:
    wanted = int(request.matchdict["file"])
    stored = next((each for each in opinion.shared_files if each.id == wanted), None)
    if stored is None:
        raise HTTPNotFound("Ce fichier n'existe pas.")
    return stored


@view_config(route_name="aids.opinion_file", request_method="GET", permission=GIVE)
def opinion_file(request: Request) -> Response:
    opinion = my_opinion(request)
    stored = shared_file(request, opinion)
    request.find_service(IAuditLog).record_read(
        "aids:file:read", f"Fichier « {stored.filename} » partagé pour avis téléchargé.", "aids", "aids_application",
        str(opinion.application_id),
    )  # fmt: skip
    return file_response(request, stored)


# --- the outside expert's link ---------------------------------------------------------------------------


def closed_link(request: Request, refusal: Refused) -> Response:
    """404 or 410, with a French page that names no application."""
    title = "Lien expiré" if refusal.status == 410 else "Lien inconnu"
    response = render_to_response(ERROR_PAGE, {"status": refusal.status, "title": title, "message": refusal.message},
                                  request)  # fmt: skip
    response.status_int = refusal.status
    return response


def outside_answer_values(request: Request, opinion: Opinion, form: AnswerForm) -> dict[str, Any]:
    token = request.matchdict["token"]
    return answer_values(
        request, opinion, form, request.route_path("aids.opinion_answer", token=token),
        lambda stored: request.route_path("aids.opinion_shared", token=token, file=stored.id),
    )  # fmt: skip


@view_config(route_name="aids.opinion_answer", permission=NO_PERMISSION_REQUIRED, renderer=ANSWER_PAGE)
def outside_answer(request: Request) -> Any:
    try:
        opinion = request.find_service(IOpinions).by_token(request.matchdict["token"])
    except Refused as refusal:
        return closed_link(request, refusal)
    if request.method != "POST":
        return outside_answer_values(request, opinion, AnswerForm())
    uploads = uploads_of(request, "pieces")
    return submit(
        request, AnswerForm(request.POST),
        lambda form: request.find_service(IOpinions).answer(opinion, favourable_of(form), form.texte.data, uploads,
                                                            None),
        redirect_to=request.route_path("aids.catalogue"),
        message="Merci : votre avis est transmis au service instructeur. Ce lien ne sert plus.",
        render=lambda form: outside_answer_values(request, opinion, form),
    )  # fmt: skip


@view_config(route_name="aids.opinion_shared", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def outside_file(request: Request) -> Response:
    try:
        opinion = request.find_service(IOpinions).by_token(request.matchdict["token"])
    except Refused as refusal:
        return closed_link(request, refusal)
    return file_response(request, shared_file(request, opinion))
