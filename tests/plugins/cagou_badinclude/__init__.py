"""A module whose includeme raises half-way through."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.kit import INTRANET, ModuleInfo, hookimpl


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(name="badinclude", title="Module mal configuré", version="0.1")


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "badinclude.page", "/mal-configure/")
    raise RuntimeError("réglage manquant : badinclude.url")
