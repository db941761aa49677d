"""The IT console's hooks: its permissions, the IT administrator role, its menu entry."""

from __future__ import annotations

from pyramid.request import Request

from cagou.contributions import INTRANET, NavEntry, Permission, Role
from cagou.hookspecs import hookimpl

IT_ADMIN = "core:it-admin"

CONSOLE_PERMISSIONS = (
    Permission("core:console:view", "Accéder à la console informatique"),
    Permission("core:modules:manage", "Activer et désactiver les modules"),
    Permission("core:accounts:view", "Consulter les comptes et leurs droits"),
    Permission("core:accounts:manage", "Créer, modifier, désactiver les comptes et accorder les rôles"),
)


@hookimpl
def cagou_permissions() -> list[Permission]:
    return list(CONSOLE_PERMISSIONS)


@hookimpl
def cagou_roles() -> list[Role]:
    return [
        Role(
            IT_ADMIN,
            "Administrateur informatique",
            permissions=(
                "core:console:view",
                "core:modules:manage",
                "core:accounts:view",
                "core:accounts:manage",
                "core:mail:view",
                "core:audit:view",
            ),
            requires_second_factor=True,
        )
    ]


@hookimpl
def cagou_navigation(request: Request) -> list[NavEntry]:
    return [NavEntry("Console informatique", "console.modules", INTRANET, order=900, permission="core:console:view")]
