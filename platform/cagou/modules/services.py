"""Which module is enabled where, agreed by every process sharing the database.

The states live in the ``module_state`` table. Each process keeps a snapshot
and reads it again when it is older than ``cagou.modules.refresh_seconds``
(one second by default), so a change made by one process reaches the others
within that delay plus one request; the process that made the change drops its
snapshot as soon as the change commits.
"""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer

from cagou.contributions import INTRANET, PUBLIC
from cagou.db import get_engine
from cagou.interfaces import IAuditLog, IClock, IModuleStates
from cagou.modules.models import ModuleState
from cagou.plugins import Plugins, get_plugins

log = logging.getLogger(__name__)

SITE_LABELS = {PUBLIC: "l'extension publique", INTRANET: "l'intranet"}

Snapshot = dict[tuple[str, str], bool]


@implementer(IModuleStates)
class ModuleStates:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._default: bool = registry.settings["cagou.modules.default_enabled"]
        self._refresh_seconds: float = registry.settings["cagou.modules.refresh_seconds"]
        self._lock = threading.Lock()
        self._snapshot: Snapshot = {}
        self._loaded_at = float("-inf")

    @property
    def _plugins(self) -> Plugins:
        return get_plugins(self._registry)

    # -- reading -----------------------------------------------------------

    def _current(self) -> Snapshot:
        if time.monotonic() - self._loaded_at >= self._refresh_seconds:
            with self._lock:
                if time.monotonic() - self._loaded_at >= self._refresh_seconds:
                    snapshot = self._read()
                    if snapshot is not None:
                        self._snapshot = snapshot
                    self._loaded_at = time.monotonic()
        return self._snapshot

    def _read(self) -> Snapshot | None:
        query = sa.select(ModuleState.module, ModuleState.site, ModuleState.enabled)
        try:
            with get_engine(self._registry).connect() as connection:
                return {(module, site): enabled for module, site, enabled in connection.execute(query)}
        except sa.exc.DBAPIError:
            log.warning("Module states could not be read; keeping the previous ones", exc_info=True)
            return None

    def forget(self) -> None:
        self._loaded_at = float("-inf")

    def _forget_if_committed(self, committed: bool) -> None:
        if committed:
            self.forget()

    def state(self, module: str, site: str) -> bool | None:
        return self._current().get((module, site))

    def is_enabled(self, module: str, site: str) -> bool:
        return self._is_enabled(self._current(), module, site)

    def _is_enabled(self, snapshot: Snapshot, module: str, site: str) -> bool:
        found = self._plugins.modules.get(module)
        if found is None or found.broken:
            return False
        if found.builtin:
            return True
        if site not in found.sites:
            return False
        stored = snapshot.get((module, site))
        return self._default if stored is None else stored

    def enabled_on(self, site: str) -> frozenset[str]:
        # One snapshot for every module: with a short refresh delay, each would read the table again.
        snapshot = self._current()
        return frozenset(name for name in self._plugins.modules if self._is_enabled(snapshot, name, site))

    def active(self) -> frozenset[str]:
        snapshot = self._current()
        sites = (PUBLIC, INTRANET)
        return frozenset(
            name for name in self._plugins.modules if any(self._is_enabled(snapshot, name, site) for site in sites)
        )

    # -- changing ----------------------------------------------------------

    def set_enabled(self, request: Request, module: str, site: str, enabled: bool) -> bool:
        """Store the new state and audit it; return False when nothing changed."""
        found = self._plugins.modules.get(module)
        if found is None:
            raise ValueError(f"Aucun module installé ne s'appelle « {module} ».")
        if found.builtin:
            raise ValueError("Le cœur de la plateforme ne peut pas être désactivé.")
        if found.broken:
            raise ValueError(f"Le module « {module} » est en panne : corrigez son installation d'abord.")
        if site not in found.sites:
            raise ValueError(f"Le module « {found.title} » ne sert pas {SITE_LABELS.get(site, site)}.")
        before = self.is_enabled(module, site)
        row = request.db.get(ModuleState, (module, site))
        if row is None:
            row = ModuleState(module=module, site=site)
            request.db.add(row)
        row.enabled = enabled
        row.changed_at = request.find_service(IClock).now()
        row.changed_by_id = request.identity.id if request.identity is not None else None
        request.db.flush()
        verb = "activé" if enabled else "désactivé"
        request.find_service(IAuditLog).record(
            f"core:module:{'enable' if enabled else 'disable'}",
            f"Module « {found.title} » {verb} sur {SITE_LABELS[site]}.",
            object_type="module",
            object_id=f"{module}/{site}",
            changes={"before": {"enabled": before}, "after": {"enabled": enabled}},
        )
        request.tm.get().addAfterCommitHook(self._forget_if_committed)
        return before != enabled


def module_states(registry: Registry) -> ModuleStates:
    states: ModuleStates = registry.getUtility(IModuleStates)
    return states
