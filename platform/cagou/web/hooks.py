"""The core's page hooks: its navigation entries and the database health check."""

from __future__ import annotations

import sqlalchemy as sa
from pyramid.request import Request

from cagou.contributions import INTRANET, PUBLIC, HealthResult, NavEntry
from cagou.hookspecs import hookimpl


@hookimpl
def cagou_navigation(request: Request) -> list[NavEntry]:
    return [
        NavEntry("Accueil", "home", PUBLIC, order=0),
        NavEntry("Mon espace", "space", INTRANET, order=0, permission="core:space:view"),
    ]


@hookimpl
def cagou_health_checks(request: Request) -> list[HealthResult]:
    try:
        request.db.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as error:
        return [HealthResult("base de données", False, str(error.orig))]
    return [HealthResult("base de données", True, request.db.bind.dialect.name)]
