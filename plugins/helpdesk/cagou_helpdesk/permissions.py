"""Who may do what on a ticket: questions the services and the views both ask, that change nothing.

A job or the mail listener acts for someone who is not the signed-in person,
so each question takes the account it is about (``actor``), defaulting to
the request's identity.
"""

from __future__ import annotations

import sqlalchemy as sa
from pyramid.authorization import ACLHelper
from pyramid.request import Request

from cagou.kit import Account, Refused, Root, principals_of
from cagou_helpdesk.models import Group, Member, Ticket


def groups_of(request: Request, account: Account) -> list[Group]:
    """The groups whose queue ``account`` works on: as a member or as its manager."""
    query = (
        sa.select(Group)
        .where(
            sa.or_(
                Group.id.in_(sa.select(Member.group_id).where(Member.account_id == account.id)),
                Group.manager_id == account.id,
            )
        )
        .order_by(Group.name)
    )
    return list(request.db.scalars(query))


def account_can(request: Request, account: Account | None, permission: str) -> bool:
    """May ``account`` do this on the platform: the signed-in person, or anyone a job or the mail listener acts for."""
    if account is None:
        return False
    identity = request.identity
    if identity is not None and identity.id == account.id:
        return bool(request.can(permission))
    principals = principals_of(account, strong=True, strong_roles=request.registry["cagou.strong_roles"])
    return bool(ACLHelper().permits(Root(request), principals, permission))


def actor_of(request: Request, actor: Account | None) -> Account:
    """Who acts: the account given, else the signed-in person."""
    found = actor or request.identity
    if found is None:
        raise Refused("Connectez-vous pour agir sur un ticket.", 401)
    return found


def is_admin(request: Request, actor: Account | None = None) -> bool:
    return account_can(request, actor or request.identity, "helpdesk:settings:manage")


def may_work_on(request: Request, ticket: Ticket, actor: Account | None = None) -> bool:
    """May the technician act on this ticket: it is in the queue of one of their groups."""
    actor = actor or request.identity
    if actor is None or not account_can(request, actor, "helpdesk:ticket:work"):
        return False
    return is_admin(request, actor) or ticket.group_id in {group.id for group in groups_of(request, actor)}


def check_may_work_on(request: Request, ticket: Ticket, actor: Account | None = None) -> None:
    if not may_work_on(request, ticket, actor):
        raise Refused(
            f"Le ticket {ticket.reference} est dans la file du groupe « {ticket.group.name} », "
            "dont vous n'êtes pas membre : demandez à un technicien de ce groupe.",
            403,
        )


def may_read(request: Request, ticket: Ticket, actor: Account | None = None) -> bool:
    actor = actor or request.identity
    return actor is not None and (ticket.requester_id == actor.id or may_work_on(request, ticket, actor))
