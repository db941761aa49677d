"""The groups of technicians' changes: code, name, manager and members; removing a member gives their tickets back."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import Account, FormErrors, IAccounts, Invalid
from cagou_helpdesk.checks import check_name, sort_key
from cagou_helpdesk.interfaces import IGroups, ITickets
from cagou_helpdesk.models import Group, Member
from cagou_helpdesk.services.common import record

MAX_GROUP_NAME = 200
MAX_LOGIN = 120
GROUP_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
#: Roles whose holders may be members of a group, and be its manager.
MEMBER_ROLES = ("helpdesk:technician", "helpdesk:manager")
MANAGER_ROLES = ("helpdesk:manager",)


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
        for other in request.db.scalars(sa.select(Group)):
            if other is not itself and sort_key(other.name) == sort_key(name):
                errors.add("name", f"Le groupe « {other.code} » porte déjà ce nom.")
    return name


@implementer(IGroups)
class GroupService:
    """The groups of the request's database, changed in the request's transaction."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def create(self, code: str, name: str) -> Group:
        request = self.request
        errors = FormErrors()
        code = check_group_code(request, errors, code)
        name = check_group_name(request, errors, name, None)
        if errors:
            raise Invalid(errors)
        group = Group(code=code, name=name)
        request.db.add(group)
        request.db.flush()
        record(
            request,
            "group:create",
            f"Groupe de techniciens « {name} » ({code}) créé.",
            "group",
            group.id,
            after={"code": code, "name": name},
        )
        return group

    def rename(self, group: Group, name: str) -> bool:
        request = self.request
        errors = FormErrors()
        name = check_group_name(request, errors, name, group)
        if errors:
            raise Invalid(errors)
        if name == group.name:
            return False
        before, group.name = group.name, name
        record(
            request,
            "group:rename",
            f"Groupe {group.code} renommé « {name} ».",
            "group",
            group.id,
            {"name": before},
            {"name": name},
        )
        return True

    def set_manager(self, group: Group, login: str) -> bool:
        """Make the account of ``login`` the group's manager (empty: no manager); whether it changed."""
        request = self.request
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
        record(
            request,
            "group:manager",
            f"Responsable du groupe « {group.name} » : {who}.",
            "group",
            group.id,
            {"manager": before},
            {"manager": manager.login if manager else None},
        )
        return True

    def add_member(self, group: Group, login: str) -> Account:
        request = self.request
        errors = FormErrors()
        account = account_with_role(request, errors, "member", login, MEMBER_ROLES, "de technicien ni de responsable")
        if account is not None and account.id in {member.id for member in group.members}:
            errors.add("member", f"{account.display_name} est déjà membre du groupe « {group.name} ».")
        if errors or account is None:
            raise Invalid(errors)
        request.db.add(Member(group_id=group.id, account_id=account.id))
        request.db.flush()
        request.db.expire(group, ["members"])
        record(
            request,
            "group:member_add",
            f"{account.display_name} rejoint le groupe « {group.name} ».",
            "group",
            group.id,
            after={"member": account.login},
        )
        return account

    def remove_member(self, group: Group, account: Account) -> int:
        """Take ``account`` out of ``group``; their open tickets of that group go back to its queue. How many did."""
        request = self.request
        membership = request.db.get(Member, (group.id, account.id))
        if membership is None:
            raise HTTPNotFound()  # the page's link named no membership: as for an unknown group
        request.db.delete(membership)
        request.db.flush()
        request.db.expire(group, ["members"])
        record(
            request,
            "group:member_remove",
            f"{account.display_name} quitte le groupe « {group.name} ».",
            "group",
            group.id,
            before={"member": account.login},
        )
        if group.manager_id == account.id:
            return 0  # as the manager, they still work on the group's tickets
        released: int = request.find_service(ITickets).release_in_group(group, account)
        return released


def group_service_factory(context: Any, request: Request) -> GroupService:
    return GroupService(request)
