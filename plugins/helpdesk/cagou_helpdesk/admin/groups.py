"""Groups of technicians: their pages; their changes go through ``IGroups`` (``services/groups.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from cagou.kit import Account, Form, FormErrors, IAccounts, TextField, submit
from cagou_helpdesk.admin.categories import default_group_code
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_1000, base_values
from cagou_helpdesk.checks import sort_key
from cagou_helpdesk.interfaces import IGroups
from cagou_helpdesk.models import (
    OPEN_STATUSES,
    Group,
    Ticket,
)
from cagou_helpdesk.services.groups import MANAGER_ROLES, MEMBER_ROLES
from cagou_helpdesk.tree import load_tree


def group_or_404(request: Request) -> Group:
    group: Group | None = request.db.get(Group, int(request.matchdict["id"]))
    if group is None:
        raise HTTPNotFound()
    return group


def holders_of(request: Request, roles: Iterable[str]) -> list[Account]:
    """Active accounts holding one of ``roles``: who may join a group, or manage one."""
    holders: list[Account] = request.find_service(IAccounts).holders_of(roles)
    return holders


def groups_values(
    request: Request, errors: FormErrors | None = None, data: dict[str, str] | None = None
) -> dict[str, Any]:
    values = base_values(request, "helpdesk.admin.groups")
    counts: dict[int, int] = {
        group_id: count
        for group_id, count in request.db.execute(
            sa.select(Ticket.group_id, sa.func.count())
            .where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.group_id)
        )
    }
    all_groups = list(
        request.db.scalars(sa.select(Group).options(selectinload(Group.members), selectinload(Group.manager)))
    )
    all_groups.sort(key=lambda group: sort_key(group.name))
    values.update(
        groups=all_groups,
        open_tickets=counts,
        default_group=default_group_code(request),
        data=data or {"code": "", "name": ""},
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.groups",
    request_method="GET",
    renderer=TEMPLATES + "admin_groups.jinja2",
    permission=PERMISSION,
)
def groups_page(request: Request) -> dict[str, Any]:
    return groups_values(request)


class GroupForm(Form):
    code = TextField(filters=[at_most_1000])
    name = TextField(filters=[at_most_1000])


@view_config(
    route_name="helpdesk.admin.groups",
    request_method="POST",
    renderer=TEMPLATES + "admin_groups.jinja2",
    permission=PERMISSION,
)
def group_add(request: Request) -> Any:
    return submit(
        request,
        GroupForm(request.POST),
        lambda form: request.find_service(IGroups).create(form.code.data, form.name.data),
        message=lambda group: f"Groupe « {group.name} » créé : ajoutez-lui des membres.",
        redirect_to=lambda group: request.route_path("helpdesk.admin.group", id=group.id),
        render=lambda form: groups_values(request, form.field_errors(), form.data),
    )


def group_values(
    request: Request, group: Group, errors: FormErrors | None = None, data: dict[str, str] | None = None
) -> dict[str, Any]:
    values = base_values(request, "helpdesk.admin.groups")
    tree = load_tree(request)
    routed = [node for node in tree.ordered() if node.category.default_group_id == group.id]
    member_ids = {member.id for member in group.members}
    values.update(
        group=group,
        categories=routed,
        default_group=default_group_code(request),
        candidates=[account for account in holders_of(request, MEMBER_ROLES) if account.id not in member_ids],
        managers=holders_of(request, MANAGER_ROLES),
        data={
            "name": group.name,
            "manager": group.manager.login if group.manager else "",
            "member": "",
            **(data or {}),
        },
        errors=errors or FormErrors(),
    )
    return values


class RenameForm(Form):
    name = TextField(filters=[at_most_1000])


class ManagerForm(Form):
    manager = TextField(filters=[at_most_1000])


class MemberForm(Form):
    member = TextField(filters=[at_most_1000])


def back_to(request: Request, group: Group, anchor: str | None = None) -> str:
    path: str = request.route_path("helpdesk.admin.group", id=group.id, **({"_anchor": anchor} if anchor else {}))
    return path


@view_config(
    route_name="helpdesk.admin.group",
    request_method="GET",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_page(request: Request) -> dict[str, Any]:
    return group_values(request, group_or_404(request))


@view_config(
    route_name="helpdesk.admin.group",
    request_method="POST",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_rename(request: Request) -> Any:
    group = group_or_404(request)
    return submit(
        request,
        RenameForm(request.POST),
        lambda form: request.find_service(IGroups).rename(group, form.name.data),
        message=lambda changed: f"Groupe renommé « {group.name} »." if changed else "Aucune modification.",
        redirect_to=back_to(request, group),
        render=lambda form: group_values(request, group, form.field_errors(), form.data),
    )


@view_config(
    route_name="helpdesk.admin.group_manager",
    request_method="POST",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_manager(request: Request) -> Any:
    group = group_or_404(request)
    return submit(
        request,
        ManagerForm(request.POST),
        lambda form: request.find_service(IGroups).set_manager(group, form.manager.data),
        message=lambda changed: manager_message(group, changed),
        redirect_to=back_to(request, group),
        render=lambda form: group_values(request, group, form.field_errors(), form.data),
    )


def manager_message(group: Group, changed: bool) -> str:
    if not changed:
        return "Aucune modification."
    if group.manager is not None:
        return f"{group.manager.display_name} est responsable du groupe « {group.name} »."
    return f"Le groupe « {group.name} » n'a plus de responsable."


@view_config(
    route_name="helpdesk.admin.group_members",
    request_method="POST",
    renderer=TEMPLATES + "admin_group.jinja2",
    permission=PERMISSION,
)
def group_member_add(request: Request) -> Any:
    group = group_or_404(request)
    return submit(
        request,
        MemberForm(request.POST),
        lambda form: request.find_service(IGroups).add_member(group, form.member.data),
        message=lambda account: f"{account.display_name} est membre du groupe « {group.name} ».",
        redirect_to=back_to(request, group, "membres-titre"),
        render=lambda form: group_values(request, group, form.field_errors(), form.data),
    )


@view_config(route_name="helpdesk.admin.group_member_remove", request_method="POST", permission=PERMISSION)
def group_member_remove(request: Request) -> HTTPSeeOther:
    group = group_or_404(request)
    account = request.find_service(IAccounts).by_id(int(request.matchdict["account"]))
    if account is None:
        raise HTTPNotFound()
    released = request.find_service(IGroups).remove_member(group, account)
    message = f"{account.display_name} ne fait plus partie du groupe « {group.name} »."
    if released:
        if released == 1:
            message += " Le ticket ouvert qui lui était attribué retourne dans la file du groupe."
        else:
            message += f" Les {released} tickets ouverts qui lui étaient attribués retournent dans la file du groupe."
    request.session.flash(message)
    return HTTPSeeOther(back_to(request, group, "membres-titre"))
