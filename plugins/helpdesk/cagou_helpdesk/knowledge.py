"""The knowledge base (articles by technicians for agents) and the canned answers.

(Being written.)
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.view import view_config

from cagou import INTRANET


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "helpdesk.article", r"/assistance/articles/{id:\d+}")
    config.scan("cagou_helpdesk.knowledge")


@view_config(route_name="helpdesk.article", renderer="json", permission="helpdesk:article:read")
def article(request: Request) -> dict[str, Any]:
    return {}
