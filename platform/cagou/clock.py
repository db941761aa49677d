"""The clock service: the only place the platform asks what time it is.

Instants are stored in UTC; :func:`local` converts one to the platform's time
zone (``cagou.timezone``, Pacific/Noumea by default) for display.
"""

from __future__ import annotations

import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid_services import IServiceRegistry, ProxyFactory, SingletonServiceWrapper
from zope.interface import implementer

from cagou.interfaces import IClock


@implementer(IClock)
class SystemClock:
    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)


@implementer(IClock)
class FrozenClock:
    """A clock that tests set and move by hand."""

    def __init__(self, instant: datetime.datetime) -> None:
        self.instant = instant

    def now(self) -> datetime.datetime:
        return self.instant

    def advance(self, **delta: Any) -> None:
        self.instant += datetime.timedelta(**delta)


class Clock(Protocol):
    def now(self) -> datetime.datetime: ...


def registered_clock(registry: Registry) -> Clock:
    """The ``IClock`` service without a request (the worker's mail delivery, which builds none).

    The clock is registered as an instance, here and by the tests that freeze it.
    """
    proxy = registry.getUtility(IServiceRegistry).find_factory(IClock)
    factory = proxy.factory if isinstance(proxy, ProxyFactory) else proxy
    if not isinstance(factory, SingletonServiceWrapper):
        raise TypeError("The IClock service must be registered as an instance")
    clock: Clock = factory.service
    return clock


def timezone(registry: Registry) -> ZoneInfo:
    return ZoneInfo(registry.settings["cagou.timezone"])


def local(registry: Registry, instant: datetime.datetime) -> datetime.datetime:
    return instant.astimezone(timezone(registry))


def includeme(config: Configurator) -> None:
    config.register_service(SystemClock(), IClock)
