"""Every view names its permission, and every permission it names is declared."""

from __future__ import annotations

from pyramid.interfaces import IExceptionResponse
from pyramid.security import NO_PERMISSION_REQUIRED

from cagou.identity.policy import UNDECLARED_PERMISSION
from cagou.plugins import flatten, get_plugins


def registered_views(registry) -> list[dict]:
    introspector = registry.introspector
    return [item for item in introspector.get_category("views") or []]


def is_exception_view(view) -> bool:
    """Error pages are exception views: they answer whatever failed, under no permission."""
    context = view["context"]
    if view["exception_only"] or context is IExceptionResponse:
        return True
    return isinstance(context, type) and issubclass(context, BaseException)


def test_every_view_declares_its_permission(registry):
    """A view added without permission falls back to one nobody holds: list them as failures."""
    missing = []
    for item in registered_views(registry):
        view = item["introspectable"]
        if is_exception_view(view):
            continue
        permissions = [related["value"] for related in item["related"] if related.category_name == "permissions"]
        if not permissions:
            missing.append((view["route_name"], view["callable"]))
    assert not missing, f"views without an explicit permission: {missing}"


def test_every_permission_a_view_checks_is_declared(registry):
    declared = {permission.name for permission in flatten(get_plugins(registry).call("cagou_permissions"))}
    used = set()
    for item in registered_views(registry):
        used |= {related["value"] for related in item["related"] if related.category_name == "permissions"}
    used -= {NO_PERMISSION_REQUIRED, UNDECLARED_PERMISSION}
    assert used - declared == set()


def test_every_role_grants_declared_permissions(registry):
    plugins = get_plugins(registry)
    declared = {permission.name for permission in flatten(plugins.call("cagou_permissions"))}
    for role in flatten(plugins.call("cagou_roles")):
        assert set(role.permissions) <= declared, role.name
