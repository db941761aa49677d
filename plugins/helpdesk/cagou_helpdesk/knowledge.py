"""The knowledge base (articles by technicians for agents) and the canned answers.

Articles: every agent reads the published ones (``helpdesk:article:read``) and
searches them; technicians (``helpdesk:article:write``) also see the drafts,
write, edit, publish and unpublish. A draft is never shown to a reader who
cannot write: its page answers 404, as if it did not exist. An article's body
is plain text: it is escaped, and blank lines separate its paragraphs, so no
HTML written in an article ever reaches a page.

Canned answers are ready-made replies technicians insert and adapt on a
ticket: they manage them with ``helpdesk:article:write``, and the ticket page
shows them through the small fragment of :func:`canned_choice`.

Every change goes through ``IKnowledgeBase`` (``services/knowledge.py``) and is
in the audit log (``helpdesk:article:*``, ``helpdesk:canned_answer:*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from cagou.kit import INTRANET, Form, FormErrors, TextField, submit
from cagou_helpdesk import queries
from cagou_helpdesk.checks import MAX_ANSWER, MAX_ARTICLE, MAX_TITLE, ArticleInput, sort_key
from cagou_helpdesk.interfaces import IKnowledgeBase
from cagou_helpdesk.models import Article, CannedAnswer, Category

READ = "helpdesk:article:read"
WRITE = "helpdesk:article:write"
#: Who picks a canned answer on a ticket: those who work tickets.
WORK = "helpdesk:ticket:work"
TEMPLATES = "cagou_helpdesk:templates/"

MAX_QUERY = 200
SEARCH_LIMIT = 50
#: The ticket page's reply form (``<form id="reponse">``), which the canned-answer links replace with htmx.
REPLY_TARGET = "reponse"
#: The query parameter a canned-answer link adds to the ticket page's address.
CANNED_PARAMETER = "reponse_type"
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def includeme(config: Configurator) -> None:
    route = config.add_site_route
    route(INTRANET, "helpdesk.articles", "/assistance/articles/")
    route(INTRANET, "helpdesk.article_new", "/assistance/articles/nouveau")
    route(INTRANET, "helpdesk.article", r"/assistance/articles/{id:\d+}")
    route(INTRANET, "helpdesk.article_edit", r"/assistance/articles/{id:\d+}/modifier")
    route(INTRANET, "helpdesk.article_publish", r"/assistance/articles/{id:\d+}/publication")
    route(INTRANET, "helpdesk.canned", "/assistance/reponses-types/")
    route(INTRANET, "helpdesk.canned_list", "/assistance/reponses-types/choix")
    route(INTRANET, "helpdesk.canned_edit", r"/assistance/reponses-types/{id:\d+}")
    route(INTRANET, "helpdesk.canned_delete", r"/assistance/reponses-types/{id:\d+}/supprimer")
    config.scan("cagou_helpdesk.knowledge")


def paragraphs(body: str) -> list[list[str]]:
    """The paragraphs of a plain-text body (separated by blank lines), each as its lines.

    Templates print each line escaped and join lines with ``<br>``: the text
    never becomes HTML.
    """
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return []
    return [[line.rstrip() for line in block.split("\n")] for block in PARAGRAPH_BREAK.split(text) if block.strip()]


def excerpt(body: str, length: int = 160) -> str:
    text = " ".join(body.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# ---------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------


def article_or_404(request: Request) -> Article:
    """The article of the route; a draft exists only for those who may write."""
    article: Article | None = request.db.get(Article, int(request.matchdict["id"]))
    if article is None or (not article.published and not request.can(WRITE)):
        raise HTTPNotFound()
    return article


class ArticleForm(Form):
    """What is kept of what was sent is longer than allowed: the checks say by how much."""

    title = TextField(filters=[lambda value: value[: MAX_TITLE * 10]])
    body = TextField(filters=[lambda value: value[: MAX_ARTICLE * 2]])
    category = TextField(filters=[lambda value: value[:20]])


def article_categories(request: Request, current: Article | None = None) -> list[Category]:
    """Active categories, plus the article's own even if it was deactivated since."""
    condition: sa.ColumnElement[bool] = Category.active.is_(True)
    if current is not None and current.category_id is not None:
        condition = sa.or_(condition, Category.id == current.category_id)
    found = request.db.scalars(sa.select(Category).where(condition))
    return sorted(found, key=lambda category: sort_key(category.path))


@dataclass
class ArticleList:
    query: str
    articles: list[Article]
    #: Why nothing was searched: the words typed are all too short.
    too_short: bool = False


def find_articles(request: Request, text: str) -> ArticleList:
    """The articles a reader may see, filtered by the words typed (every word of 3 letters or more)."""
    query = " ".join(text.split())[:MAX_QUERY]
    writer = bool(request.can(WRITE))
    if query:
        if not any(len(word) >= 3 for word in query.split()):
            return ArticleList(query, [], too_short=True)
        found = list(queries.search_articles(request, query, SEARCH_LIMIT, published_only=not writer))
        return ArticleList(query, found)
    statement = sa.select(Article).options(selectinload(Article.category)).order_by(Article.title)
    if not writer:
        statement = statement.where(Article.published.is_(True))
    return ArticleList(query, list(request.db.scalars(statement)))


@view_config(route_name="helpdesk.articles", renderer=TEMPLATES + "article_list.jinja2", permission=READ)
def articles(request: Request) -> Any:
    """The knowledge base, searched; htmx asks for the results alone as the reader types."""
    found = find_articles(request, str(request.params.get("q", "")))
    values = {
        "found": found,
        "drafts": [article for article in found.articles if not article.published],
        "published": [article for article in found.articles if article.published],
        "writer": request.can(WRITE),
        "excerpt": excerpt,
    }
    if request.is_htmx:
        return render_to_response(TEMPLATES + "article_results.jinja2", values, request=request)
    return values


@view_config(route_name="helpdesk.article", renderer=TEMPLATES + "article.jinja2", permission=READ)
def article(request: Request) -> dict[str, Any]:
    found = article_or_404(request)
    return {"article": found, "paragraphs": paragraphs(found.body), "writer": request.can(WRITE)}


def form_values(
    request: Request, data: ArticleInput, current: Article | None, errors: FormErrors | None = None
) -> dict[str, Any]:
    return {
        "article": current,
        "data": data,
        "categories": article_categories(request, current),
        "errors": errors or FormErrors(),
        "max_title": MAX_TITLE,
        "max_body": MAX_ARTICLE,
    }


@view_config(
    route_name="helpdesk.article_new",
    request_method="GET",
    renderer=TEMPLATES + "article_form.jinja2",
    permission=WRITE,
)
def article_new(request: Request) -> dict[str, Any]:
    return form_values(request, ArticleInput(), None)


@view_config(
    route_name="helpdesk.article_new",
    request_method="POST",
    renderer=TEMPLATES + "article_form.jinja2",
    permission=WRITE,
)
def article_create(request: Request) -> Any:
    return submit(
        request,
        ArticleForm(request.POST),
        lambda form: request.find_service(IKnowledgeBase).create_article(ArticleInput(**form.data)),
        message=lambda created: (
            f"Article « {created.title} » enregistré comme brouillon : publiez-le quand il est prêt."
        ),
        redirect_to=lambda created: request.route_path("helpdesk.article", id=created.id),
        render=lambda form: form_values(request, ArticleInput(**form.data), None, form.field_errors()),
    )


@view_config(
    route_name="helpdesk.article_edit",
    request_method="GET",
    renderer=TEMPLATES + "article_form.jinja2",
    permission=WRITE,
)
def article_edit_form(request: Request) -> dict[str, Any]:
    found = article_or_404(request)
    return form_values(request, ArticleInput.of(found), found)


@view_config(
    route_name="helpdesk.article_edit",
    request_method="POST",
    renderer=TEMPLATES + "article_form.jinja2",
    permission=WRITE,
)
def article_edit(request: Request) -> Any:
    found = article_or_404(request)
    return submit(
        request,
        ArticleForm(request.POST),
        lambda form: request.find_service(IKnowledgeBase).update_article(found, ArticleInput(**form.data)),
        message=lambda changed: f"Article « {found.title} » enregistré." if changed else "Aucune modification.",
        redirect_to=request.route_path("helpdesk.article", id=found.id),
        render=lambda form: form_values(request, ArticleInput(**form.data), found, form.field_errors()),
    )


@view_config(route_name="helpdesk.article_publish", request_method="POST", permission=WRITE)
def article_publish(request: Request) -> HTTPSeeOther:
    found = article_or_404(request)
    wanted = request.POST.get("published")
    if wanted not in ("0", "1"):
        raise HTTPBadRequest("Le champ « published » vaut 0 ou 1.")
    if not request.find_service(IKnowledgeBase).publish_article(found, wanted == "1"):
        request.session.flash("Aucune modification.")
    elif found.published:
        request.session.flash(f"Article « {found.title} » publié : les agents le voient et la recherche le propose.")
    else:
        request.session.flash(f"Article « {found.title} » retiré : seuls les techniciens le voient.")
    return HTTPSeeOther(request.route_path("helpdesk.article", id=found.id))


# ---------------------------------------------------------------------------
# Canned answers
# ---------------------------------------------------------------------------


def canned_or_404(request: Request) -> CannedAnswer:
    answer: CannedAnswer | None = request.db.get(CannedAnswer, int(request.matchdict["id"]))
    if answer is None:
        raise HTTPNotFound()
    return answer


def canned_answers(request: Request) -> list[CannedAnswer]:
    return list(request.db.scalars(sa.select(CannedAnswer).order_by(CannedAnswer.title)))


def canned_answer_text(request: Request, value: str) -> str:
    """The body of the canned answer whose id ``value`` is, or "" (for the ticket page's ``?reponse_type=``)."""
    value = str(value).strip()
    if not value.isdigit():
        return ""
    answer: CannedAnswer | None = request.db.get(CannedAnswer, int(value))
    return answer.body if answer is not None else ""


def canned_values(
    request: Request, errors: FormErrors | None = None, data: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "answers": canned_answers(request),
        "data": data or {"title": "", "body": ""},
        "errors": errors or FormErrors(),
        "excerpt": excerpt,
        "max_title": MAX_TITLE,
    }


class CannedForm(Form):
    title = TextField(filters=[lambda value: value[: MAX_TITLE * 10]])
    body = TextField(filters=[lambda value: value[: MAX_ANSWER * 2]])


@view_config(
    route_name="helpdesk.canned", request_method="GET", renderer=TEMPLATES + "canned_list.jinja2", permission=WRITE
)
def canned(request: Request) -> dict[str, Any]:
    return canned_values(request)


@view_config(
    route_name="helpdesk.canned", request_method="POST", renderer=TEMPLATES + "canned_list.jinja2", permission=WRITE
)
def canned_create(request: Request) -> Any:
    return submit(
        request,
        CannedForm(request.POST),
        lambda form: request.find_service(IKnowledgeBase).create_canned(form.title.data, form.body.data),
        message=lambda answer: f"Réponse type « {answer.title} » créée.",
        redirect_to=lambda answer: request.route_path("helpdesk.canned", _anchor=f"reponse-{answer.id}"),
        render=lambda form: canned_values(request, form.field_errors(), form.data),
    )


def canned_edit_values(
    request: Request, answer: CannedAnswer, errors: FormErrors | None = None, data: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "answer": answer,
        "data": data or {"title": answer.title, "body": answer.body},
        "errors": errors or FormErrors(),
        "max_title": MAX_TITLE,
    }


@view_config(
    route_name="helpdesk.canned_edit",
    request_method="GET",
    renderer=TEMPLATES + "canned_form.jinja2",
    permission=WRITE,
)
def canned_edit_form(request: Request) -> dict[str, Any]:
    return canned_edit_values(request, canned_or_404(request))


@view_config(
    route_name="helpdesk.canned_edit",
    request_method="POST",
    renderer=TEMPLATES + "canned_form.jinja2",
    permission=WRITE,
)
def canned_edit(request: Request) -> Any:
    answer = canned_or_404(request)
    return submit(
        request,
        CannedForm(request.POST),
        lambda form: request.find_service(IKnowledgeBase).update_canned(answer, form.title.data, form.body.data),
        message=lambda changed: f"Réponse type « {answer.title} » enregistrée." if changed else "Aucune modification.",
        redirect_to=request.route_path("helpdesk.canned", _anchor=f"reponse-{answer.id}"),
        render=lambda form: canned_edit_values(request, answer, form.field_errors(), form.data),
    )


@view_config(route_name="helpdesk.canned_delete", request_method="POST", permission=WRITE)
def canned_delete(request: Request) -> HTTPSeeOther:
    answer = canned_or_404(request)
    title = answer.title
    request.find_service(IKnowledgeBase).delete_canned(answer)
    request.session.flash(f"Réponse type « {title} » supprimée.")
    return HTTPSeeOther(request.route_path("helpdesk.canned"))


def canned_choice_values(request: Request, ticket_id: int, text: str = "") -> dict[str, Any]:
    """What ``canned_choice.jinja2`` needs, for a ticket page that includes it directly."""
    text = " ".join(text.split())[:MAX_QUERY]
    answers = canned_answers(request)
    if text:
        answers = [answer for answer in answers if text.casefold() in answer.title.casefold()]
    return {
        "answers": answers,
        "ticket_id": ticket_id,
        "query": text,
        "excerpt": excerpt,
        "target": REPLY_TARGET,
        "parameter": CANNED_PARAMETER,
    }


@view_config(
    route_name="helpdesk.canned_list",
    request_method="GET",
    renderer=TEMPLATES + "canned_choice_page.jinja2",
    permission=WORK,
)
def canned_choice(request: Request) -> Any:
    """The canned answers as links for the ticket page, next to its reply box: an htmx fragment.

    ``?ticket=<id>`` (required) is the ticket shown; ``?q=`` filters by title.
    Each link leads to the ticket page with ``?reponse_type=<id>`` (without
    JavaScript, the page reloads with the reply box filled in); with htmx it
    fetches the same page and swaps only the element ``#reponse``.
    Asked without htmx, the list comes inside the whole layout.
    """
    ticket = str(request.params.get("ticket", "")).strip()
    if not ticket.isdigit() or len(ticket) > 18:
        raise HTTPBadRequest("Précisez le ticket : ?ticket=<numéro>.")
    values = canned_choice_values(request, int(ticket), str(request.params.get("q", "")))
    if request.is_htmx:
        return render_to_response(TEMPLATES + "canned_choice.jinja2", values, request=request)
    return values
