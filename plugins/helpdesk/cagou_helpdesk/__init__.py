"""Helpdesk: IT intervention requests, from the agent's request to the peak-week dashboard.

The package only wires: each concern lives in its own file (``models``,
``services`` for every change to a ticket, ``queries`` for reading them,
``views`` for the agents' and technicians' pages, ``inbound`` for mail,
``dashboard``, ``api``, ``admin``, ``jobs``, ``demo``), and ``hooks`` is how it
plugs into the platform. It imports nothing from any other module.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.security import NO_PERMISSION_REQUIRED

from cagou.sites import COMMON
from cagou_helpdesk import (
    models,  # noqa: F401  (the module's tables join the metadata)
    settings,
)
from cagou_helpdesk.hooks import *  # noqa: F403  (the hook implementations are the module's API)


def includeme(config: Configurator) -> None:
    config.registry["helpdesk.settings"] = settings.read(config.get_settings())
    config.add_static_view(
        "static-helpdesk", "cagou_helpdesk:static", site=COMMON, permission=NO_PERMISSION_REQUIRED, cache_max_age=3600
    )
    config.include("cagou_helpdesk.views")
    config.include("cagou_helpdesk.knowledge")
    config.include("cagou_helpdesk.admin")
    config.include("cagou_helpdesk.dashboard")
    config.include("cagou_helpdesk.api")
