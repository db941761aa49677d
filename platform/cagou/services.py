"""``request.find_service``, answered without building a wired container for each request.

pyramid_services answers ``request.find_service`` from a wired container it
builds on the request's first lookup: two zope.interface adapter registries,
a weak finalizer, one registration per service it makes. That costs about
0.4 ms of CPU, more than any of the core's services costs to make, and every
request that writes an audit entry, queues a job or sends a mail paid it.

:func:`find_service` gives the same answers from the same registrations
(``config.register_service``, ``config.register_service_factory``) for the
services registered without a context, which are all of the platform's: one
instance per request and per service, its factory called with ``None`` as
context (as wired calls it) and the request. Anything else (a factory
registered for a kind of context, a context that provides interfaces of its
own, a service a ``NewServiceContainer`` subscriber puts in the container, a
factory registered on the wired registry directly) is asked of
pyramid_services' container, exactly as before.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid_services import IServiceRegistry, ProxyFactory, SingletonServiceWrapper
from zope.interface import Interface, implementedBy, providedBy

_marker = object()


def service_instances(request: Request) -> dict[tuple[Any, str], Any]:
    """The services made for this request, by interface and name."""
    return {}


def find_service(request: Request, iface: Any = Interface, context: Any = _marker, name: str = "") -> Any:
    """The service ``iface`` (named ``name``) for ``context``, the request's context by default."""
    if context is _marker:
        context = getattr(request, "context", None)
    registry = request.registry.getUtility(IServiceRegistry)
    factory = registry.find_factory(iface, name=name)
    context_free = context is None or (
        # What the context provides is what its class implements: wired would find the same factory by its class.
        providedBy(context) is implementedBy(type(context))
        and registry.find_factory(iface, context=type(context), name=name) is factory
    )
    if not context_free or not isinstance(factory, ProxyFactory):
        return request.services.get(iface, context=context, name=name)
    if isinstance(factory.factory, SingletonServiceWrapper):
        return factory.factory.service
    instances = request.service_instances
    key = (iface, name)
    if key not in instances:
        instances[key] = factory.factory(None, request)
    return instances[key]


def replace_find_service(config: Configurator) -> None:
    """Put :func:`find_service` in place of pyramid_services' own.

    Called with the configurator that includes pyramid_services, not through
    ``config.include``: Pyramid lets an including configuration override
    what it includes, whereas two includes adding the same request method conflict.
    """
    config.add_request_method(service_instances, "service_instances", reify=True)
    config.add_request_method(find_service)
