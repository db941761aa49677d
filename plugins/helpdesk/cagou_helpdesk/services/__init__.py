"""The helpdesk's services: what changes its data, checked and audited, one file per service.

Each file holds a class that implements an interface of
:mod:`cagou_helpdesk.interfaces` for one request, and its factory;
:func:`includeme` registers the factories with ``pyramid_services``, so a
caller writes ``request.find_service(ITickets)`` and never imports a class
from here. A test, or a setting, may register another implementation.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.services.tickets import ticket_service_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(ticket_service_factory, ITickets)
