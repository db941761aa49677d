"""Groups of technicians: code, name, manager and members; removing a member gives their tickets back."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from cagou.kit import Account, Form, FormErrors, IAccounts, Invalid, TextField, submit
from cagou_helpdesk.admin.categories import default_group_code, groups, load_tree
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_1000, base_values, check_name, record, sort_key
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import (
    OPEN_STATUSES,
    Group,
    Member,
    Ticket,
)

MAX_GROUP_NAME = 200
MAX_LOGIN = 120
GROUP_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
#: Roles whose holders may be members of a group, and be its manager.
MEMBER_ROLES = ("helpdesk:technician", "helpdesk:manager")
MANAGER_ROLES = ("helpdesk:manager",)


def group_or_404(request: Request) -> Group:
    group: Group | None = request.db.get(Group, int(request.matchdict["id"]))
    if group is None:
        raise HTTPNotFound()
    return group


def holders_of(request: Request, roles: Iterable[str]) -> list[Account]:
    """Active accounts holding one of ``roles``: who may join a group, or manage one."""
    holders: list[Account] = request.find_service(IAccounts).holders_of(roles)
    return holders


def account_with_role(
    request: Request, errors: FormErrors, name: str, login: str, roles: tuple[str, ...], what: str
) -> Account | None:
    """The active account of ``login`` holding one of ``roles``; else an error on ``name``."""
    login = login.strip()
    if not login:
        errors.add(name, "Indiquez l'identifiant de connexion de la personne.")
        return None
    if len(login) > MAX_LOGIN:
        errors.add(name, f"Un identifiant fait {MAX_LOGIN} caractères au plus.")
        return None
    accounts = request.find_service(IAccounts)
    account: Account | None = accounts.by_login(login)
    if account is None or account.deleted_at is not None:
        errors.add(name, f"Aucun compte n'a l'identifiant « {login} ».")
        return None
    if not account.active:
        errors.add(name, f"Le compte « {account.login} » ({account.display_name}) est désactivé.")
        return None
    if not accounts.roles_of(account) & set(roles):
        errors.add(
            name,
            f"{account.display_name} ({account.login}) n'a pas le rôle {what} : "
            "accordez-le d'abord depuis la console informatique (Comptes).",
        )
        return None
    return account


def check_group_code(request: Request, errors: FormErrors, value: str) -> str:
    code = value.strip().upper()
    if not code:
        errors.add("code", "Le code est obligatoire.")
    elif not GROUP_CODE.match(code):
        errors.add(
            "code",
            "Le code fait 32 caractères au plus : des lettres sans accent, des chiffres, « - » ou « _ » "
            "(par exemple BAU).",
        )
    elif request.db.scalar(sa.select(Group.id).where(sa.func.upper(Group.code) == code)) is not None:
        errors.add("code", f"Un groupe a déjà le code « {code} ».")
    return code


def check_group_name(request: Request, errors: FormErrors, value: str, itself: Group | None) -> str:
    name = check_name(errors, "name", value, "Le nom", MAX_GROUP_NAME)
    if name and "name" not in errors:
        for other in groups(request):
            if other is not itself and sort_key(other.name) == sort_key(name):
                errors.add("name", f"Le groupe « {other.code} » porte déjà ce nom.")
    return name


def create_group(request: Request, code: str, name: str) -> Group:
    errors = FormErrors()
    code = check_group_code(request, errors, code)
    name = check_group_name(request, errors, name, None)
    if errors:
        raise Invalid(errors)
    group = Group(code=code, name=name)
    request.db.add(group)
    request.db.flush()
    record(request, "group:create", f"Groupe de techniciens « {name} » ({code}) créé.", "group", group.id,
           after={"code": code, "name": name})  # fmt: skip
    return group


def rename_group(request: Request, group: Group, name: str) -> bool:
    errors = FormErrors()
    name = check_group_name(request, errors, name, group)
    if errors:
        raise Invalid(errors)
    if name == group.name:
        return False
    before, group.name = group.name, name
    record(request, "group:rename", f"Groupe {group.code} renommé « {name} ».", "group", group.id,
           {"name": before}, {"name": name})  # fmt: skip
    return True


def set_manager(request: Request, group: Group, login: str) -> bool:
    """Make the account of ``login`` the group's manager (empty: no manager); whether it changed."""
    errors = FormErrors()
    manager = None
    if login.strip():
        manager = account_with_role(
            request, errors, "manager", login, MANAGER_ROLES, "de responsable d'un groupe de techniciens"
        )
    if errors:
        raise Invalid(errors)
    if group.manager_id == (manager.id if manager else None):
        return False
    before = group.manager.login if group.manager else None
    group.manager = manager
    who = manager.display_name if manager else "personne"
    record(request, "group:manager", f"Responsable du groupe « {group.name} » : {who}.", "group", group.id,
           {"manager": before}, {"manager": manager.login if manager else None})  # fmt: skip
    return True


def add_member(request: Request, group: Group, login: str) -> Account:
    errors = FormErrors()
    account = account_with_role(request, errors, "member", login, MEMBER_ROLES, "de technicien ni de responsable")
    if account is not None and account.id in {member.id for member in group.members}:
        errors.add("member", f"{account.display_name} est déjà membre du groupe « {group.name} ».")
    if errors or account is None:
        raise Invalid(errors)
    request.db.add(Member(group_id=group.id, account_id=account.id))
    request.db.flush()
    request.db.expire(group, ["members"])
    record(request, "group:member_add", f"{account.display_name} rejoint le groupe « {group.name} ».", "group",
           group.id, after={"member": account.login})  # fmt: skip
    return account


def remove_member(request: Request, group: Group, account: Account) -> int:
    """Take ``account`` out of ``group``; their open tickets of that group go back to its queue. How many did."""
    membership = request.db.get(Member, (group.id, account.id))
    if membership is None:
        raise HTTPNotFound()
    request.db.delete(membership)
    request.db.flush()
    request.db.expire(group, ["members"])
    record(request, "group:member_remove", f"{account.display_name} quitte le groupe « {group.name} ».", "group",
           group.id, before={"member": account.login})  # fmt: skip
    if group.manager_id == account.id:
        return 0  # as the manager, they still work on the group's tickets
    released: int = request.find_service(ITickets).release_in_group(group, account)
    return released


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
        lambda form: create_group(request, form.code.data, form.name.data),
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
        lambda form: rename_group(request, group, form.name.data),
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
        lambda form: set_manager(request, group, form.manager.data),
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
        lambda form: add_member(request, group, form.member.data),
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
    released = remove_member(request, group, account)
    message = f"{account.display_name} ne fait plus partie du groupe « {group.name} »."
    if released:
        if released == 1:
            message += " Le ticket ouvert qui lui était attribué retourne dans la file du groupe."
        else:
            message += f" Les {released} tickets ouverts qui lui étaient attribués retournent dans la file du groupe."
    request.session.flash(message)
    return HTTPSeeOther(back_to(request, group, "membres-titre"))
