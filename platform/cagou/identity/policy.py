"""Who is asking, and what they may do: the security policy and the root ACL.

Who is signed in is decided by a server-side session (:mod:`cagou.identity.sessions`)
that the session cookie points to. A person's principals are
their account, their kind of account and their roles; the root ACL gives each
role the permissions it carries (declared by the modules through
``cagou_roles``). Every view names its permission: the default permission is
one that nobody holds, so a forgotten one answers 403 instead of opening a
hole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pyramid.authorization import ACLHelper, Allow, Authenticated, Deny, Everyone
from pyramid.interfaces import ISecurityPolicy
from pyramid.registry import Registry
from pyramid.request import Request, RequestLocalCache
from pyramid.security import Denied
from sqlalchemy.orm import joinedload

from cagou.contributions import Role
from cagou.db import in_transaction
from cagou.identity.models import (
    ADMIN,
    AGENT,
    CITIZEN,
    COMPANY,
    Account,
    ApiToken,
    Directorate,
    LoginSession,
    RoleGrant,
)
from cagou.identity.sessions import current_session, end_session, open_session
from cagou.identity.tokens import bearer_token, find_usable
from cagou.sites import is_intranet_api_request

#: The default permission of every view: nobody holds it.
UNDECLARED_PERMISSION = "core:view:undeclared"

ACE = tuple[str, str, str]


class SecurityPolicy:
    def __init__(self) -> None:
        self.acl = ACLHelper()
        self.session_cache = RequestLocalCache(self._load_session)
        self.token_cache = RequestLocalCache(self._load_token)
        self.identity_cache = RequestLocalCache(self._load_identity)
        self.principals_cache = RequestLocalCache(self._principals)

    def _load_session(self, request: Request) -> LoginSession | None:
        # Without a transaction (health check, assets) nobody is signed in.
        return current_session(request) if in_transaction(request) else None

    def login_session(self, request: Request) -> LoginSession | None:
        """The server-side session of the request, if someone is signed in."""
        session: LoginSession | None = self.session_cache.get_or_create(request)
        return session

    def _load_token(self, request: Request) -> ApiToken | None:
        clear = bearer_token(request)
        return find_usable(request, clear) if clear is not None and in_transaction(request) else None

    def api_token(self, request: Request) -> ApiToken | None:
        """The personal API token the request authenticates with, if any."""
        token: ApiToken | None = self.token_cache.get_or_create(request)
        return token

    def _load_identity(self, request: Request) -> Account | None:
        if bearer_token(request) is not None:
            token = self.api_token(request)
            account_id = token.account_id if token is not None else None
        else:
            session = self.login_session(request)
            account_id = session.account_id if session is not None else None
        if account_id is None:
            return None
        grants = joinedload(Account.grants).joinedload(RoleGrant.directorate)
        account = request.db.get(Account, account_id, options=[grants])
        return account if account is not None and account.active else None

    def identity(self, request: Request) -> Account | None:
        account: Account | None = self.identity_cache.get_or_create(request)
        return account

    def authenticated_userid(self, request: Request) -> str | None:
        account = self.identity(request)
        return str(account.id) if account is not None else None

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        if kept_out_of_the_api(request, self.identity(request)):
            return Denied("L'API de l'intranet est réservée aux agents.")
        token = self.api_token(request)
        if token is not None and permission not in token.scopes:
            return Denied(f"La permission {permission} n'est pas dans la portée du jeton.")
        return self.acl.permits(context, self.principals_cache.get_or_create(request), permission)

    def _principals(self, request: Request) -> list[str]:
        # A token's scopes were chosen among what its owner held, second factor given.
        session = self.login_session(request)
        strong = self.api_token(request) is not None or (session is not None and session.second_factor_at is not None)
        return principals_of(self.identity(request), strong, request.registry["cagou.strong_roles"])

    def remember(self, request: Request, userid: str, **kw: Any) -> list[tuple[str, str]]:
        """Open a server-side session; the session cookie carries its token."""
        self._clear(request)
        open_session(request, int(userid))
        return []

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        """End the server-side session, whatever the browser keeps."""
        self._clear(request)
        end_session(request, kw.get("reason", "déconnexion"))
        return []

    def act_as(self, request: Request, account: Account) -> None:
        """Make ``account`` the person of this request, which has no session: see :func:`act_as`."""
        self._clear(request)
        self.identity_cache.set(request, account)

    def _clear(self, request: Request) -> None:
        for cache in (self.session_cache, self.token_cache, self.identity_cache, self.principals_cache):
            cache.clear(request)


def kept_out_of_the_api(request: Request, account: Account | None) -> bool:
    """The intranet's API (the core's and every module's) is for agents, whatever a role would allow."""
    return account is not None and not account.is_staff and is_intranet_api_request(request)


def principals_of(
    account: Account | None, strong: bool = False, strong_roles: frozenset[str] = frozenset()
) -> list[str]:
    """Who the person is for the ACL; roles that need the second factor count only when ``strong``.

    A platform-wide grant gives ``role:<name>``; a grant within a directorate
    gives ``role:<name>@<code>`` (checked by the objects of that directorate,
    see :func:`directorate_acl`) and ``role:<name>@*`` (the person holds the
    role somewhere: enough to reach the module's pages).
    """
    if account is None:
        return [Everyone]
    principals = [Everyone, Authenticated, f"account:{account.id}", f"kind:{account.kind}"]
    for grant in account.grants:
        if grant.role in strong_roles and not strong:
            continue
        if grant.directorate is None:
            principals.append(f"role:{grant.role}")
        else:
            principals += [f"role:{grant.role}@{grant.directorate.code}", f"role:{grant.role}@*"]
    return principals


def build_acl(roles: Iterable[Role]) -> list[ACE]:
    """The root ACL: what each kind of account may do, then each role."""
    acl: list[ACE] = [
        (Allow, f"kind:{AGENT}", "core:space:view"),
        (Allow, f"kind:{ADMIN}", "core:space:view"),
        (Allow, f"kind:{AGENT}", "core:search:use"),
        (Allow, f"kind:{ADMIN}", "core:search:use"),
        (Allow, Authenticated, "core:second-factor:give"),
        (Allow, Authenticated, "core:profile:read"),
        (Allow, f"kind:{AGENT}", "core:tokens:manage"),
        (Allow, f"kind:{ADMIN}", "core:tokens:manage"),
        # Residents and companies make tokens for their own programs, on the public extension's API.
        (Allow, f"kind:{CITIZEN}", "core:tokens:manage"),
        (Allow, f"kind:{COMPANY}", "core:tokens:manage"),
        (Allow, f"kind:{CITIZEN}", "core:account:self"),
        (Allow, f"kind:{COMPANY}", "core:account:self"),
    ]
    for role in roles:
        acl.extend((Allow, f"role:{role.name}", permission) for permission in role.permissions)
        for kind in role.granted_to_kinds:
            acl.extend((Allow, f"kind:{kind}", permission) for permission in role.permissions)
        if role.per_directorate:
            acl.extend((Allow, f"role:{role.name}@*", permission) for permission in role.permissions)
    return acl


def directorate_acl(registry: Registry, directorate: Directorate | None) -> list[ACE]:
    """The ACL of an object that belongs to ``directorate``: "may this person do that on this object".

    A role granted within a directorate applies to the objects of that
    directorate and of the services below it; a platform-wide grant applies
    everywhere. The permissions of per-directorate roles are then denied to
    everyone else, so that holding the role elsewhere (``@*``) is not enough.
    Modules give their objects ``__acl__ = directorate_acl(...)`` and
    ``__parent__`` = the root, for the other permissions.
    """
    roles: dict[str, Role] = registry["cagou.roles"]
    scoped = [role for role in roles.values() if role.per_directorate]
    codes = []
    while directorate is not None:
        codes.append(directorate.code)
        directorate = directorate.parent
    acl: list[ACE] = []
    for role in scoped:
        for permission in role.permissions:
            acl.append((Allow, f"role:{role.name}", permission))
            acl.extend((Allow, f"role:{role.name}@{code}", permission) for code in codes)
    acl.extend((Deny, Everyone, permission) for role in scoped for permission in role.permissions)
    return acl


class Root:
    """The root resource of every route: it carries the platform's ACL."""

    def __init__(self, request: Request) -> None:
        self.__acl__: Sequence[ACE] = request.registry["cagou.acl"]


def set_root_acl(registry: Registry, roles: Iterable[Role]) -> None:
    """The root ACL, and the roles that only count after the second factor."""
    roles = list(roles)
    registry["cagou.roles"] = {role.name: role for role in roles}
    registry["cagou.acl"] = build_acl(roles)
    registry["cagou.strong_roles"] = frozenset(role.name for role in roles if role.requires_second_factor)


def can(request: Request, permission: str) -> bool:
    """``request.can(permission)``: may the person do this on the platform as a whole?

    Checked against the root, whatever the page's own context: what the
    layout shows (navigation, menus) must not depend on the object displayed,
    nor fail on an error page whose context could not be built.
    """
    return bool(request.has_permission(permission, Root(request)))


def api_token(request: Request) -> ApiToken | None:
    """The personal API token the request authenticates with (``request.api_token``)."""
    policy: SecurityPolicy = request.registry.getUtility(ISecurityPolicy)
    return policy.api_token(request)


def login_session(request: Request) -> LoginSession | None:
    """The request's server-side session (``request.login_session``)."""
    policy: SecurityPolicy = request.registry.getUtility(ISecurityPolicy)
    return policy.login_session(request)


def act_as(request: Request, account: Account) -> None:
    """Work outside a sign-in for ``account``: a job, a command or a mail listener acting for someone.

    For the rest of this request (typically one opened by
    :func:`cagou.db.transaction_scope`), ``request.identity`` is ``account``,
    permissions are theirs, and the audit log names them. Roles that require
    the second factor do not count: nobody gave it.
    """
    policy: SecurityPolicy = request.registry.getUtility(ISecurityPolicy)
    policy.act_as(request, account)
