"""The IT console: modules, sent mail and the audit log, for IT administrators."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.contributions import INTRANET


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "console.modules", "/console/")
    config.add_site_route(INTRANET, "console.module_toggle", "/console/modules/{module}/{site}")
    config.add_site_route(INTRANET, "console.mail", "/console/courriels/")
    config.add_site_route(INTRANET, "console.mail_message", "/console/courriels/{key}")
    config.add_site_route(INTRANET, "console.audit", "/console/journal/")
    config.scan(".views")
