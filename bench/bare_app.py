"""The baseline: the least a Pyramid application can do for the two routes measured.

Cagou's figures are read as a ratio of this application's, served by the same
gunicorn settings on the same machine and database: the ratio then shows
what the platform itself costs (tweens, sessions, security, templates…),
not what the machine, the database or gunicorn cost.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from pyramid.router import Router

#: Default size of the static page when the Cagou page's size is not known.
DEFAULT_PAGE_BYTES = 8_000

PAGE_HEAD = '<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><title>Mon espace</title></head><body>\n'
PAGE_TAIL = "</body></html>\n"


def static_page(size: int) -> bytes:
    """An HTML page of about ``size`` bytes, so both apps send as much over the wire."""
    line = "<p>Bienvenue dans votre espace.</p>\n"
    body_size = max(0, size - len(PAGE_HEAD) - len(PAGE_TAIL))
    lines = line * (body_size // len(line) + 1)
    return (PAGE_HEAD + lines[:body_size] + PAGE_TAIL).encode()


def make_app(database_url: str, page_bytes: int = DEFAULT_PAGE_BYTES) -> Router:
    """The bare application: ``/sante`` runs ``SELECT 1``, ``/intranet/`` sends a static page."""
    # SQLAlchemy's default pool, no pre-ping: the plainest way to reach the database.
    engine = sa.create_engine(database_url)
    page = static_page(page_bytes)

    def health(request: Request) -> dict[str, Any]:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return {"status": "ok", "database": "ok"}

    def space(request: Request) -> Response:
        return Response(body=page, content_type="text/html", charset="utf-8")

    with Configurator() as config:
        config.add_route("health", "/sante")
        config.add_view(health, route_name="health", renderer="json")
        config.add_route("space", "/intranet/")
        config.add_view(space, route_name="space")
    return config.make_wsgi_app()
