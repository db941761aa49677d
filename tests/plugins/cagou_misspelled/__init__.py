"""A module that implements a hook that does not exist."""

from __future__ import annotations

from cagou.kit import ModuleInfo, hookimpl


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(name="misspelled", title="Module mal orthographié", version="0.1")


@hookimpl
def cagou_navigaton(request: object) -> list[object]:
    return []
