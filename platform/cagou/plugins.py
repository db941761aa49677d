"""Finding the modules, registering them with pluggy, and calling their hooks.

A module is found through the entry point group ``cagou.plugins`` (or, for
tests and local experiments, named in the ``cagou.plugins.extra`` setting). A
module that fails to import or to describe itself is kept as *broken*: the
platform starts without it and the IT console shows the error. A hook
implementation that raises is isolated the same way, at each call.

Which modules a hook reaches (enabled on the request's site, active on any
site, or installed) is decided by the caller: see the helpers at the bottom.
"""

from __future__ import annotations

import importlib
import logging
import threading
import traceback
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points, version
from typing import TYPE_CHECKING, Any

import pluggy

from cagou import hookspecs
from cagou.contributions import ModuleInfo
from cagou.interfaces import IModuleStates, IPlugins

if TYPE_CHECKING:
    from pyramid.registry import Registry
    from pyramid.request import Request

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cagou.plugins"
CORE = "core"

#: The core's own hook implementations, registered like any module's.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "cagou.identity.hooks",
    # The directory backend (cagou.ldap.*): it answers before the local backend, registered trylast.
    "cagou.identity.directory",
    "cagou.audit.hooks",
    "cagou.secrets.hooks",
    "cagou.mail.hooks",
    "cagou.files.hooks",
    "cagou.ratelimits.hooks",
    "cagou.console.hooks",
    "cagou.web.hooks",
)


@dataclass
class Module:
    """A module as the platform sees it: loaded, or broken with its error."""

    name: str
    info: ModuleInfo | None = None
    plugin: object | None = None
    error: str | None = None
    builtin: bool = False
    faults: list[str] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        return self.error is not None

    @property
    def package(self) -> str | None:
        """The top-level package of the plugin object, used to own its views."""
        if self.plugin is None:
            return None
        module_name = getattr(self.plugin, "__name__", type(self.plugin).__module__)
        return module_name.split(".")[0]

    @property
    def title(self) -> str:
        return self.info.title if self.info else self.name

    @property
    def version(self) -> str:
        return self.info.version if self.info else "?"

    @property
    def sites(self) -> tuple[str, ...]:
        return self.info.sites if self.info else ()


class Plugins:
    """The pluggy manager of one application, with the modules it holds."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.modules: dict[str, Module] = {}
        self._plugin_module: dict[str, str] = {}
        self._faults_lock = threading.Lock()

    # -- loading -----------------------------------------------------------

    def load_builtins(self) -> None:
        core = Module(
            name=CORE,
            builtin=True,
            info=ModuleInfo(name=CORE, title="Cœur de la plateforme", version=version("cagou")),
        )
        self.modules[CORE] = core
        for dotted in BUILTIN_PLUGINS:
            plugin = importlib.import_module(dotted)
            self.manager.register(plugin, name=dotted)
            self._plugin_module[dotted] = CORE
        core.plugin = importlib.import_module("cagou")

    def load_entry_points(self) -> None:
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                plugin = entry_point.load()
            except Exception:
                self._add_broken(entry_point.name, _short_traceback())
                continue
            self.add(plugin, expected_name=entry_point.name)

    def load_dotted(self, names: Iterable[str]) -> None:
        for dotted in names:
            try:
                plugin = importlib.import_module(dotted)
            except Exception:
                self._add_broken(dotted.removeprefix("cagou_"), _short_traceback())
                continue
            self.add(plugin)

    def add(self, plugin: object, expected_name: str | None = None) -> Module | None:
        """Register ``plugin`` and describe it; a failure leaves it broken."""
        fallback_name = str(expected_name or getattr(plugin, "__name__", repr(plugin)))
        describe = getattr(plugin, "cagou_module_info", None)
        if describe is None:
            return self._add_broken(fallback_name, "Le module ne répond pas au crochet cagou_module_info.")
        try:
            info = describe()
            if not isinstance(info, ModuleInfo):
                raise TypeError(f"cagou_module_info a renvoyé {info!r} au lieu d'un ModuleInfo")
        except Exception:
            return self._add_broken(fallback_name, _short_traceback())
        if expected_name is not None and info.name != expected_name:
            return self._add_broken(
                expected_name, f"Le point d'entrée « {expected_name} » décrit un module nommé « {info.name} »."
            )
        if info.name in self.modules:
            return self._add_broken(info.name, f"Un autre module porte déjà le nom « {info.name} ».")
        # Registration validates hook signatures; a wrong one is a programming
        # error that must stop the platform, so it is not caught here.
        self.manager.register(plugin, name=info.name)
        self._plugin_module[info.name] = info.name
        module = Module(name=info.name, info=info, plugin=plugin)
        self.modules[info.name] = module
        return module

    def _add_broken(self, name: str, error: str) -> Module:
        log.error("Module %s could not be loaded: %s", name, error)
        module = Module(name=name, error=error)
        self.modules[name] = module
        return module

    def check(self) -> None:
        """Fail loudly on a ``cagou_*`` function that matches no hook."""
        self.manager.check_pending()

    # -- looking modules up ------------------------------------------------

    def module_of_plugin(self, plugin_name: str) -> str:
        return self._plugin_module[plugin_name]

    def module_of_package(self, dotted_name: str) -> Module | None:
        """The module whose package holds ``dotted_name``, if any."""
        top = dotted_name.split(".")[0]
        for module in self.modules.values():
            if not module.builtin and module.package == top:
                return module
        return None

    def loaded(self) -> list[Module]:
        """Modules that loaded, the core first, then by name."""
        return sorted((m for m in self.modules.values() if not m.broken), key=lambda m: (not m.builtin, m.name))

    def record_fault(self, module: str, message: str) -> None:
        with self._faults_lock:
            faults = self.modules[module].faults
            faults.append(message)
            del faults[:-10]

    # -- calling hooks -----------------------------------------------------

    def call(
        self,
        hook_name: str,
        modules: Collection[str] | None = None,
        firstresult: bool = False,
        until: Callable[[Any], bool] | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """Call ``hook_name`` on ``modules`` (all loaded ones when None); return the answers."""
        return [answer for _, answer in self.call_each(hook_name, modules, firstresult, until, **kwargs)]

    def call_each(
        self,
        hook_name: str,
        modules: Collection[str] | None = None,
        firstresult: bool = False,
        until: Callable[[Any], bool] | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Call ``hook_name`` on ``modules``; return each non-None answer with its module.

        Each implementation runs on its own: one that raises is logged and
        recorded as a fault of its module, and the others still answer. The
        order is pluggy's (``tryfirst`` first, then last registered first).
        ``firstresult`` stops after the first non-None answer; ``until``
        stops after the first answer it accepts (``isinstance(answer, Account)``).
        """
        hook = getattr(self.manager.hook, hook_name)
        answers: list[tuple[str, Any]] = []
        for impl in reversed(hook.get_hookimpls()):
            module = self._plugin_module.get(impl.plugin_name)
            if module is None or (modules is not None and module not in modules):
                continue
            try:
                answer = impl.function(*(kwargs[name] for name in impl.argnames))
            except Exception as error:
                log.exception("Hook %s of module %s failed", hook_name, module)
                self.record_fault(module, f"{hook_name} : {error!r}")
                continue
            if answer is not None:
                answers.append((module, answer))
                if firstresult or (until is not None and until(answer)):
                    break
        return answers


def _short_traceback() -> str:
    return traceback.format_exc(limit=3).strip()


def get_plugins(registry: Registry) -> Plugins:
    plugins: Plugins = registry.getUtility(IPlugins)
    return plugins


def discover(settings: dict[str, Any]) -> Plugins:
    """Build the plugin manager: the core, then installed and listed modules."""
    plugins = Plugins()
    plugins.load_builtins()
    if settings.get("cagou.plugins.entry_points", True):
        plugins.load_entry_points()
    plugins.load_dotted(settings.get("cagou.plugins.extra", ()))
    plugins.check()
    return plugins


# -- which modules a hook reaches ----------------------------------------------


def enabled_modules(request: Request) -> frozenset[str]:
    """The modules enabled for the request's site, the core included."""
    enabled: frozenset[str] = request.registry.getUtility(IModuleStates).enabled_on(request.site)
    return enabled


def call_enabled(
    request: Request,
    hook_name: str,
    firstresult: bool = False,
    until: Callable[[Any], bool] | None = None,
    **kwargs: Any,
) -> list[Any]:
    """Call a hook on the modules enabled for the request's site."""
    return get_plugins(request.registry).call(
        hook_name, enabled_modules(request), firstresult, until, request=request, **kwargs
    )


def call_active(registry: Registry, hook_name: str, /, **kwargs: Any) -> list[Any]:
    """Call a hook on the modules enabled for at least one site."""
    active = registry.getUtility(IModuleStates).active()
    return get_plugins(registry).call(hook_name, active, **kwargs)


def call_installed(registry: Registry, hook_name: str, /, **kwargs: Any) -> list[Any]:
    """Call a hook on every loaded module, enabled or not."""
    return get_plugins(registry).call(hook_name, None, **kwargs)


def flatten(answers: Iterable[Iterable[Any] | None]) -> list[Any]:
    """Join the lists that several modules returned."""
    return [item for answer in answers if answer for item in answer]
