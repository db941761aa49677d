"""The core's audit hooks: the permission to read the log."""

from __future__ import annotations

from cagou.contributions import Permission
from cagou.hookspecs import hookimpl


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [Permission("core:audit:view", "Consulter le journal d'audit")]
