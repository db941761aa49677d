"""Platforms built once per kind and lent to the tests one after another, put back as they were built.

``configure()`` costs 105 to 200 ms, about a third of what a test costs on
its own. Most tests ask for a platform with the same settings as the test
before: every test's folder has the same path (``settings`` moves the last
one's away), its database is copied or wiped as before, so the same settings
give the same platform. :class:`Platforms` keeps one per kind of settings
and key rings, and lends it to the next test that asks for that kind.

What a test may change in a platform, and how it comes back:

- its connections (the database's pool, huey's queue): closed after each
  test, the next one opens its own to its own database (a queue in the
  test's folder, on SQLite, gets its tables made as huey makes them at
  start);
- the caches it keeps in the registry (which modules are enabled, the
  helpdesk's reference data): every one offers ``forget()``, called after
  each test;
- its clock (``freeze_clock``): the platform's own clock is put back;
- anything else (a setting, a registration, a service, a view or a route,
  a hook implementation, a module's faults, actions not committed): the
  platform is compared with what it was when built (:func:`state`), and one
  that differs is not lent again, the next test gets a new one.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from huey.storage import SqliteStorage
from pyramid.config import Configurator
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry
from pyramid.router import Router
from pyramid_services import IServiceRegistry, ProxyFactory

from cagou import configure
from cagou.db import get_engine
from cagou.interfaces import IClock
from cagou.jobs.services import get_huey
from cagou.plugins import get_plugins

#: Where the session's :class:`Platforms` is kept for the summary at the end (``pytest_terminal_summary``).
PLATFORMS = pytest.StashKey["Platforms"]()
#: The key rings a platform reads when it starts: two tests with other keys get two platforms.
KEY_RINGS = ("secrets.keys", "audit.keys")


def innermost(factory: Any) -> Any:
    """A service's factory as registered: pyramid_services wraps it again at each registration."""
    return factory.factory if isinstance(factory, ProxyFactory) else factory


def service_factories(registry: Registry) -> dict[str, int]:
    """Every service registered through the configurator, and which factory answers it."""
    services = registry.getUtility(IServiceRegistry)
    found = {}
    for introspectable in registry.introspector.get_category("pyramid_services"):
        item = introspectable["introspectable"]
        factory = services.find_factory(item["type"], context=item["context"], name=item["name"])
        found[repr(item.discriminator)] = id(innermost(factory))
    return found


def state(registry: Registry) -> tuple[Hashable, ...]:
    """What a test could change in the platform and would leave to the next one: compared before lending it again.

    Identities for what the platform holds (a service, a view, a hook's
    implementation): a test that replaces one is seen; the settings and the
    registry's values by their text.
    """
    plugins = get_plugins(registry)
    mapper = registry.queryUtility(IRoutesMapper)
    hooks = plugins.manager.hook
    return (
        tuple(sorted((name, repr(value)) for name, value in registry.settings.items())),
        # By their text: a list or a dict of the registry changed in place is seen (an object without a text
        # of its own is shown with its identity).
        tuple(sorted((name, repr(value)) for name, value in registry.items())),
        tuple((repr(r.provided), r.name, id(r.component)) for r in registry.registeredUtilities()),
        tuple((repr(r.required), repr(r.provided), r.name, id(r.factory)) for r in registry.registeredAdapters()),
        tuple((repr(r.required), repr(r.provided), id(r.factory)) for r in registry.registeredSubscriptionAdapters()),
        tuple((repr(r.required), id(r.factory)) for r in registry.registeredHandlers()),
        tuple(sorted(service_factories(registry).items())),
        tuple((route.name, route.pattern, id(route)) for route in (mapper.get_routes() if mapper else ())),
        tuple((name, id(plugin)) for name, plugin in plugins.manager.list_name_plugin()),
        tuple(
            (name, impl.plugin_name, id(impl.function))
            for name in sorted(vars(hooks))
            for impl in getattr(hooks, name).get_hookimpls()
        ),
        tuple((name, tuple(module.faults)) for name, module in sorted(plugins.modules.items())),
    )


def forget_caches(registry: Registry) -> None:
    """Empty every cache the platform keeps in its registry or as a utility (an object with ``forget()``)."""
    held = [*registry.values(), *(r.component for r in registry.registeredUtilities())]
    for value in {id(value): value for value in held}.values():
        forget = getattr(value, "forget", None)
        # A security policy's forget(request) is no cache: only a forget() that takes nothing is called.
        if callable(forget) and not inspect.isclass(value) and takes_nothing(forget):
            forget()


def takes_nothing(function: Any) -> bool:
    try:
        inspect.signature(function).bind()
    except (TypeError, ValueError):
        return False
    return True


@dataclass
class Platform:
    """One platform, as built: its state then, its own clock's factory, its WSGI application once made."""

    config: Configurator
    built: tuple[Hashable, ...]
    clock: Any
    router: Router | None = None

    def wsgi(self) -> Router:
        if self.router is None:
            self.router = self.config.make_wsgi_app()
            # make_wsgi_app registered the application-created notice's effects: that is the state to keep.
            self.built = state(self.config.registry)
        return self.router


class Platforms:
    """The platforms of the session, by kind (settings and key rings), each lent to one test at a time."""

    def __init__(self) -> None:
        self.idle: dict[tuple[Hashable, ...], Platform] = {}
        self.lent: dict[int, tuple[tuple[Hashable, ...], Platform]] = {}
        #: How many tests were given a platform already built, and how many were built: for docs/testing.md.
        self.reused = 0
        self.made = 0

    @staticmethod
    def kind(settings: dict[str, Any]) -> tuple[Hashable, ...]:
        var = Path(settings["cagou.var"])
        rings = tuple((var / ring).read_bytes() if (var / ring).exists() else b"" for ring in KEY_RINGS)
        # The settings the environment gives (cagou.settings.normalize): a test may set one.
        environment = tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("CAGOU_")))
        return (*sorted((name, repr(value)) for name, value in settings.items()), *rings, *environment)

    def lend(self, settings: dict[str, Any]) -> Configurator:
        """A platform for ``settings``: one built before and put back, or a new one."""
        kind = self.kind(settings)
        platform = self.idle.pop(kind, None)
        if platform is None:
            config = configure(settings)
            services = config.registry.getUtility(IServiceRegistry)
            platform = Platform(config, state(config.registry), innermost(services.find_factory(IClock)))
            self.made += 1
        else:
            self.reused += 1
            storage = get_huey(platform.config.registry).storage
            if isinstance(storage, SqliteStorage):
                # A queue in the test's folder, new and empty: its tables made as huey makes them at start.
                storage.initialize_schema()
        self.lent[id(platform.config)] = (kind, platform)
        return platform.config

    def wsgi(self, config: Configurator) -> Router:
        """The WSGI application of a platform lent, made once per platform."""
        return self.lent[id(config)][1].wsgi()

    def put_back(self, config: Configurator) -> None:
        """After the test: close its connections, empty the caches, restore the clock; keep it if unchanged."""
        kind, platform = self.lent.pop(id(config))
        registry = config.registry
        get_engine(registry).dispose()
        get_huey(registry).storage.close()
        forget_caches(registry)
        services = registry.getUtility(IServiceRegistry)
        if innermost(services.find_factory(IClock)) is not platform.clock:
            restore = Configurator(registry=registry)
            restore.register_service_factory(platform.clock, IClock)
            restore.commit()
        if not config.action_state.actions and state(registry) == platform.built:
            self.idle[kind] = platform


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """How many platforms the tests were given, and how many of them were built: the rest were lent again."""
    platforms = config.stash.get(PLATFORMS, None)
    if platforms is not None and platforms.made:
        lent = platforms.made + platforms.reused
        terminalreporter.write_line(f"cagou.testing: {lent} platforms lent to the tests, {platforms.made} built")
