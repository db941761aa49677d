"""The aids module's hook implementations (docs/plugins.md, "The hooks")."""

from __future__ import annotations

from cagou.kit import INTRANET, PUBLIC, ModuleInfo, Permission, Role, hookimpl

__all__ = ["cagou_module_info", "cagou_permissions", "cagou_roles"]


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(
        name="aids",
        title="Démarches en ligne",
        version="0.1.0",
        sites=(INTRANET, PUBLIC),
        migrations="cagou_aids:migrations",
    )


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [
        Permission("aids:procedure:design", "Concevoir et publier les démarches de sa direction"),
        Permission("aids:application:read", "Consulter les demandes déposées sur les démarches de sa direction"),
    ]


@hookimpl
def cagou_roles() -> list[Role]:
    return [
        Role("aids:designer", "Concepteur de démarches", ("aids:procedure:design", "aids:application:read"),
             per_directorate=True),
        Role("aids:instructor", "Instructeur des demandes", ("aids:application:read",), per_directorate=True),
    ]  # fmt: skip
