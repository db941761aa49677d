"""Modules switched on and off at run time, per site.

A view that a module registered answers 404 on a site where the module is
disabled (or 503 with the module's ``closed_notice``, when it gives one): a
view deriver wraps every view with that check, so a module has nothing to
do for it. Navigation, widgets, search and jobs ask the same
service (see :mod:`cagou.plugins` for the hook side).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from pyramid.interfaces import IViewDeriverInfo
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.viewderivers import INGRESS

from cagou.api.clients import wants_json
from cagou.interfaces import IModuleStates
from cagou.modules.services import ModuleStates, module_states
from cagou.plugins import get_plugins
from cagou.web.views import json_error

View = Callable[[Any, Request], Any]
ERROR_PAGE = "cagou:web/templates/error.jinja2"


def module_enabled_view(view: View, info: IViewDeriverInfo) -> View:
    """Answer 404 when the view's module is disabled on the request's site."""
    if info.exception_only or info.package is None:
        return view
    module = get_plugins(info.registry).module_of_package(info.package.__name__)
    if module is None:
        return view
    name = module.name

    def module_enabled(context: Any, request: Request) -> Any:
        if not module_states(request.registry).is_enabled(name, request.site):
            notice = module.info.closed_notice if module.info is not None else ""
            if notice:
                return closed(request, notice)
            raise HTTPNotFound()
        return view(context, request)

    return module_enabled


def closed(request: Request, notice: str) -> Response:
    """A disabled module's page that says why it is closed: 503, nothing else of the module runs."""
    if wants_json(request):
        return json_error(request, 503, notice)
    values = {"status": 503, "title": "Service fermé pour le moment", "message": notice}
    response = render_to_response(ERROR_PAGE, values, request=request)
    response.status_int = 503
    return response


def includeme(config: Configurator) -> None:
    states = ModuleStates(config.registry)
    config.registry.registerUtility(states, IModuleStates)
    # And as a service, as docs/plugins.md promises modules: request.find_service(IModuleStates).
    config.register_service(states, IModuleStates)
    # Placed before the permission check, so that a disabled module's pages
    # answer 404 to everyone rather than revealing themselves with a 403.
    config.add_view_deriver(module_enabled_view, under=INGRESS, over="secured_view")
