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
    config.add_site_route(INTRANET, "console.audit_export", "/console/journal/export.csv")
    config.add_site_route(INTRANET, "console.audit_entry", r"/console/journal/{id:\d+}")
    config.add_site_route(INTRANET, "console.accounts", "/console/comptes/")
    config.add_site_route(INTRANET, "console.account_new", "/console/comptes/nouveau")
    config.add_site_route(INTRANET, "console.account", r"/console/comptes/{id:\d+}")
    config.add_site_route(INTRANET, "console.account_state", r"/console/comptes/{id:\d+}/etat")
    config.add_site_route(INTRANET, "console.account_grant", r"/console/comptes/{id:\d+}/roles")
    config.add_site_route(INTRANET, "console.account_revoke", r"/console/comptes/{id:\d+}/roles/{grant:\d+}/retirer")
    config.scan(".views")
    config.scan(".accounts")
