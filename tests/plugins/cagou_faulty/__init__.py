"""A module whose hooks raise: the platform must keep working without it."""

from __future__ import annotations

from pyramid.request import Request

from cagou.kit import ModuleInfo, NavEntry, Widget, hookimpl


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(name="faulty", title="Module défaillant", version="0.1")


@hookimpl
def cagou_navigation(request: Request) -> list[NavEntry]:
    raise RuntimeError("la navigation du module défaillant a échoué")


@hookimpl
def cagou_dashboard_widgets(request: Request) -> list[Widget]:
    raise RuntimeError("le widget du module défaillant a échoué")
