"""The agents' and technicians' pages: opening a ticket, following it, working the queues."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou import INTRANET

TICKET = r"/assistance/tickets/{id:\d+}"


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "helpdesk.mine", "/assistance/")
    config.add_site_route(INTRANET, "helpdesk.new", "/assistance/nouvelle")
    config.add_site_route(INTRANET, "helpdesk.suggest", "/assistance/suggestions")
    config.add_site_route(INTRANET, "helpdesk.ticket", TICKET)
    config.add_site_route(INTRANET, "helpdesk.reply", TICKET + "/repondre")
    config.add_site_route(INTRANET, "helpdesk.reopen", TICKET + "/rouvrir")
    config.add_site_route(INTRANET, "helpdesk.rate", TICKET + "/noter")
    config.add_site_route(INTRANET, "helpdesk.take", TICKET + "/prendre")
    config.add_site_route(INTRANET, "helpdesk.assign", TICKET + "/attribuer")
    config.add_site_route(INTRANET, "helpdesk.status", TICKET + "/statut")
    config.add_site_route(INTRANET, "helpdesk.priority", TICKET + "/priorite")
    config.add_site_route(INTRANET, "helpdesk.link", TICKET + "/incident")
    config.add_site_route(INTRANET, "helpdesk.attachment", TICKET + r"/pieces/{attachment:\d+}")
    config.add_site_route(INTRANET, "helpdesk.queue", "/assistance/file/")
    config.add_site_route(INTRANET, "helpdesk.take_next", "/assistance/file/suivant")
    config.add_site_route(INTRANET, "helpdesk.bulk", "/assistance/file/lot")
    config.scan("cagou_helpdesk.views")
