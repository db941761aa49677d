"""The helpdesk's services: what changes its data, checked and audited, one file per service.

Each file holds a class that implements an interface of
:mod:`cagou_helpdesk.interfaces` for one request, and its factory;
:func:`includeme` registers the factories with ``pyramid_services``, so a
caller writes ``request.find_service(ITickets)`` and never imports a class
from here. A test, or a setting, may register another implementation.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou_helpdesk.interfaces import ICategories, IGroups, IKnowledgeBase, IPriorities, IServiceLevels, ITickets
from cagou_helpdesk.services.categories import category_service_factory
from cagou_helpdesk.services.groups import group_service_factory
from cagou_helpdesk.services.knowledge import knowledge_base_factory
from cagou_helpdesk.services.priorities import priority_service_factory
from cagou_helpdesk.services.service_levels import service_level_service_factory
from cagou_helpdesk.services.tickets import ticket_service_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(category_service_factory, ICategories)
    config.register_service_factory(group_service_factory, IGroups)
    config.register_service_factory(knowledge_base_factory, IKnowledgeBase)
    config.register_service_factory(priority_service_factory, IPriorities)
    config.register_service_factory(service_level_service_factory, IServiceLevels)
    config.register_service_factory(ticket_service_factory, ITickets)
