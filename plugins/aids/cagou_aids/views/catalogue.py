"""The catalogue of open procedures, and each procedure's page, on the public site."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from cagou.kit import FormErrors, IClock, local
from cagou_aids.definition import FILE, FieldSpec
from cagou_aids.models import AUDIENCES, BOTH, TEST, Procedure
from cagou_aids.queries import is_open, open_procedures, procedure_by_slug

#: CommonMark without raw HTML: a designer's help text cannot carry a script (links are checked by markdown-it).
MARKDOWN = MarkdownIt("js-default")


def rendered(text: str) -> Markup:
    return Markup(MARKDOWN.render(text))  # noqa: S704  (markdown-it escapes everything, raw HTML disabled)


@view_config(
    route_name="aids.catalogue", renderer="cagou_aids:templates/catalogue.jinja2", permission=NO_PERMISSION_REQUIRED
)
def catalogue(request: Request) -> dict[str, Any]:
    text = request.GET.get("q", "").strip()[:100]
    audience = request.GET.get("public", "")
    instant = request.find_service(IClock).now()
    procedures = open_procedures(request.db, instant, text, audience)
    return {
        "procedures": procedures, "q": text, "audience": audience if audience in AUDIENCES else "",
        "audiences": {key: label for key, label in AUDIENCES.items() if key != BOTH}, "labels": AUDIENCES,
        "closing": {procedure.id: local(request.registry, procedure.closes_at) for procedure in procedures
                    if procedure.closes_at is not None},
    }  # fmt: skip


@view_config(
    route_name="aids.procedure", renderer="cagou_aids:templates/procedure.jinja2", permission=NO_PERMISSION_REQUIRED
)
def procedure_page(request: Request) -> dict[str, Any]:
    procedure = procedure_by_slug(request.db, request.matchdict["slug"])
    if procedure is None or procedure.public_version is None:
        raise HTTPNotFound("Cette démarche n'existe pas ou n'est pas publiée.")
    return procedure_values(request, procedure)


def procedure_values(
    request: Request, procedure: Procedure, refusal: str = "", guest_errors: FormErrors | None = None,
    guest_email: str = "",
) -> dict[str, Any]:  # fmt: skip
    instant = request.find_service(IClock).now()
    registry = request.registry
    return {
        "procedure": procedure, "open": is_open(procedure, instant), "help": rendered(procedure.help_text),
        "audience": AUDIENCES[procedure.audience], "notice": procedure.data_notice,
        "opens_at": procedure.opens_at and local(registry, procedure.opens_at),
        "closes_at": procedure.closes_at and local(registry, procedure.closes_at),
        "documents": [spec.label for spec in files_asked(procedure)], "refusal": refusal,
        "guest_errors": guest_errors or FormErrors(), "guest_email": guest_email,
        "in_test": procedure.state == TEST,
    }  # fmt: skip


def files_asked(procedure: Procedure) -> list[FieldSpec]:
    """The documents to prepare: every file field of the published form."""
    version = procedure.public_version
    assert version is not None
    definition = version.parsed
    return [spec for spec in definition.fields() if spec.type == FILE]
