"""The managers' dashboard: charts of the activity, the peak view, exports.

(Being written.)
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.view import view_config

from cagou import INTRANET


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "helpdesk.dashboard", "/assistance/tableau-de-bord/")
    config.scan("cagou_helpdesk.dashboard")


@view_config(route_name="helpdesk.dashboard", renderer="json", permission="helpdesk:dashboard:view")
def dashboard(request: Request) -> dict[str, Any]:
    return {}
