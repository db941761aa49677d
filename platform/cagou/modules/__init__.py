"""Modules switched on and off at run time, per site.

A view that a module registered answers 404 on a site where the module is
disabled: a view deriver wraps every view with that check, so a module has
nothing to do for it. Navigation, widgets, search and jobs ask the same
service (see :mod:`cagou.plugins` for the hook side).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from pyramid.interfaces import IViewDeriverInfo
from pyramid.request import Request
from pyramid.viewderivers import INGRESS

from cagou.interfaces import IModuleStates
from cagou.modules.services import ModuleStates, module_states
from cagou.plugins import get_plugins

View = Callable[[Any, Request], Any]


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
            raise HTTPNotFound()
        return view(context, request)

    return module_enabled


def includeme(config: Configurator) -> None:
    config.registry.registerUtility(ModuleStates(config.registry), IModuleStates)
    # Placed before the permission check, so that a disabled module's pages
    # answer 404 to everyone rather than revealing themselves with a 403.
    config.add_view_deriver(module_enabled_view, under=INGRESS, over="secured_view")
