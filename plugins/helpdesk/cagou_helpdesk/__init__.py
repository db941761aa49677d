"""Helpdesk: IT intervention requests, from the agent's request to the peak-week dashboard.

The package only wires: each concern lives in its own file (``models``,
``interfaces`` and ``services`` for every change of its data, ``queries``
for reading them, ``permissions`` and ``rules`` for the questions both ask,
``views`` for the agents' and technicians' pages, ``inbound`` for mail,
``dashboard``, ``api``, ``admin``, ``jobs``, ``demo``), and ``hooks`` is how it
plugs into the platform. It imports nothing from any other module.
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.static import static_view

from cagou.kit import INTRANET
from cagou_helpdesk import (
    models,  # noqa: F401  (the module's tables join the metadata)
    reference,
    settings,
)
from cagou_helpdesk.hooks import *  # noqa: F403  (the hook implementations are the module's API)
from cagou_helpdesk.rules import ACKNOWLEDGE_JOB


def includeme(config: Configurator) -> None:
    config.registry["helpdesk.settings"] = helpdesk_settings = settings.read(config.get_settings())
    reference.install(config.registry, helpdesk_settings.reference_refresh_seconds, helpdesk_settings.default_group)
    # The module's stylesheets, under the intranet (the only site it serves):
    # like its pages, they answer 404 while the module is disabled there.
    config.add_site_route(INTRANET, "helpdesk.static", "/static-helpdesk/*subpath")
    config.add_view(
        static_view("cagou_helpdesk:static", use_subpath=True, cache_max_age=3600),
        route_name="helpdesk.static",
        permission=NO_PERMISSION_REQUIRED,
    )
    config.add_job(ACKNOWLEDGE_JOB, "cagou_helpdesk.jobs.acknowledge")
    config.include("cagou_helpdesk.services")
    config.include("cagou_helpdesk.views")
    config.include("cagou_helpdesk.knowledge")
    config.include("cagou_helpdesk.admin")
    config.include("cagou_helpdesk.dashboard")
    config.include("cagou_helpdesk.api")
