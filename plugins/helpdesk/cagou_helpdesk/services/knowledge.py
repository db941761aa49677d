"""The knowledge base's changes: articles (drafts, edits, publication) and canned answers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, Invalid, check_text
from cagou_helpdesk import rules
from cagou_helpdesk.checks import MAX_ANSWER, MAX_ARTICLE, MAX_TITLE, ArticleInput
from cagou_helpdesk.interfaces import IKnowledgeBase
from cagou_helpdesk.models import Article, CannedAnswer, Category
from cagou_helpdesk.services.common import record


def check_article(request: Request, data: ArticleInput, current: Article | None) -> tuple[str, str, Category | None]:
    errors = FormErrors()
    title = check_text(errors, "title", " ".join(data.title.split()), "Le titre", MAX_TITLE)
    body = check_text(errors, "body", data.body.replace("\r\n", "\n"), "Le texte de l'article", MAX_ARTICLE)
    category = None
    if data.category.strip():
        value = data.category.strip()
        category = request.db.get(Category, int(value)) if value.isdigit() else None
        keeps = current is not None and category is not None and category.id == current.category_id
        if category is None or (not category.active and not keeps):
            errors.add("category", "Choisissez une catégorie de la liste, ou aucune.")
    if errors:
        raise Invalid(errors)
    return title, body, category


def snapshot(article: Article) -> dict[str, object]:
    return {
        "title": article.title,
        "category": article.category.path if article.category else None,
        "published": article.published,
        "length": len(article.body),
    }


def check_canned(request: Request, title: str, body: str, current: CannedAnswer | None) -> tuple[str, str]:
    errors = FormErrors()
    title = check_text(errors, "title", " ".join(title.split()), "Le titre", MAX_TITLE)
    body = check_text(errors, "body", body.replace("\r\n", "\n"), "Le texte de la réponse", MAX_ANSWER)
    if title and "title" not in errors:
        for other in request.db.scalars(sa.select(CannedAnswer)):
            if other is not current and other.title.casefold() == title.casefold():
                errors.add("title", f"Une réponse type s'intitule déjà « {other.title} » : choisissez un autre titre.")
    if errors:
        raise Invalid(errors)
    return title, body


@implementer(IKnowledgeBase)
class KnowledgeBaseService:
    """The articles and canned answers of the request's database, changed in the request's transaction."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def create_article(self, data: ArticleInput) -> Article:
        """A new draft; raises :class:`Invalid`."""
        request = self.request
        title, body, category = check_article(request, data, None)
        instant = rules.now(request)
        article = Article(
            title=title,
            body=body,
            category=category,
            published=False,
            author=request.identity,
            created_at=instant,
            updated_at=instant,
        )
        request.db.add(article)
        request.db.flush()
        record(
            request,
            "article:create",
            f"Article « {title} » rédigé (brouillon).",
            "article",
            article.id,
            before=None,
            after=snapshot(article),
        )
        return article

    def update_article(self, article: Article, data: ArticleInput) -> bool:
        """Save an edit; whether anything changed. Raises :class:`Invalid`."""
        request = self.request
        title, body, category = check_article(request, data, article)
        before = snapshot(article)
        if (title, body, category.id if category else None) == (article.title, article.body, article.category_id):
            return False
        article.title, article.body, article.category = title, body, category
        article.updated_at = rules.now(request)
        request.db.flush()
        record(
            request,
            "article:update",
            f"Article « {title} » modifié.",
            "article",
            article.id,
            before=before,
            after=snapshot(article),
        )
        return True

    def publish_article(self, article: Article, published: bool) -> bool:
        request = self.request
        if article.published == published:
            return False
        article.published = published
        article.updated_at = rules.now(request)
        verb, summary = ("publish", "publié") if published else ("unpublish", "retiré de la publication")
        record(
            request,
            f"article:{verb}",
            f"Article « {article.title} » {summary}.",
            "article",
            article.id,
            before={"published": not published},
            after={"published": published},
        )
        return True

    def create_canned(self, title: str, body: str) -> CannedAnswer:
        request = self.request
        title, body = check_canned(request, title, body, None)
        answer = CannedAnswer(title=title, body=body)
        request.db.add(answer)
        request.db.flush()
        record(
            request,
            "canned_answer:create",
            f"Réponse type « {title} » créée.",
            "canned_answer",
            answer.id,
            before=None,
            after={"title": title, "body": body},
        )
        return answer

    def update_canned(self, answer: CannedAnswer, title: str, body: str) -> bool:
        request = self.request
        title, body = check_canned(request, title, body, answer)
        if (title, body) == (answer.title, answer.body):
            return False
        before = {"title": answer.title, "body": answer.body}
        answer.title, answer.body = title, body
        request.db.flush()
        record(
            request,
            "canned_answer:update",
            f"Réponse type « {title} » modifiée.",
            "canned_answer",
            answer.id,
            before=before,
            after={"title": title, "body": body},
        )
        return True

    def delete_canned(self, answer: CannedAnswer) -> None:
        request = self.request
        record(
            request,
            "canned_answer:delete",
            f"Réponse type « {answer.title} » supprimée.",
            "canned_answer",
            answer.id,
            before={"title": answer.title, "body": answer.body},
            after=None,
        )
        request.db.delete(answer)
        request.db.flush()


def knowledge_base_factory(context: Any, request: Request) -> KnowledgeBaseService:
    return KnowledgeBaseService(request)
