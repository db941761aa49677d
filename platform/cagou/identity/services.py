"""The identity service: accounts, passwords, roles, and the lifecycle hooks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.request import Request
from zope.interface import implementer

from cagou.identity.models import AGENT, KIND_LABELS, Account, Directorate, RoleGrant
from cagou.identity.sessions import end_all_sessions
from cagou.interfaces import IAccounts, IAuditLog, IClock
from cagou.plugins import call_active, call_enabled

#: argon2id at OWASP's minimum for 2025: 19 MiB of memory, 2 iterations.
PASSWORD_HASHER = PasswordHasher(memory_cost=19 * 1024, time_cost=2, parallelism=1)

MINIMUM_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return PASSWORD_HASHER.hash(password)


def verify_password(account: Account, password: str) -> bool:
    """True when ``password`` is the account's; rehash when the parameters changed."""
    if not account.password_hash:
        return False
    try:
        PASSWORD_HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if PASSWORD_HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return True


def password_problem(password: str) -> str | None:
    """A French explanation of why ``password`` is refused, or None."""
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        return f"Le mot de passe doit contenir au moins {MINIMUM_PASSWORD_LENGTH} caractères."
    if len(password) > 1024:
        return "Le mot de passe ne peut pas dépasser 1 024 caractères."
    return None


@implementer(IAccounts)
class AccountService:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.db = request.db

    def by_id(self, account_id: int) -> Account | None:
        account: Account | None = self.db.get(Account, account_id)
        return account

    def by_login(self, login: str) -> Account | None:
        query = sa.select(Account).where(Account.login == login.strip().lower())
        account: Account | None = self.db.scalars(query).one_or_none()
        return account

    def authenticate(self, login: str, password: str) -> Account | None:
        answers = call_enabled(
            self.request, "cagou_authenticate", firstresult=True, login=login.strip().lower(), password=password
        )
        account: Account | None = answers[0] if answers else None
        return account if account is not None and account.active else None

    def create(
        self,
        login: str,
        display_name: str,
        kind: str,
        email: str | None = None,
        password: str | None = None,
        directorate: Directorate | None = None,
    ) -> Account:
        if kind not in KIND_LABELS:
            raise ValueError(f"Type de compte inconnu : « {kind} ».")
        login = login.strip().lower()
        if self.by_login(login) is not None:
            raise ValueError(f"L'identifiant « {login} » est déjà pris.")
        account = Account(
            login=login,
            display_name=display_name.strip(),
            kind=kind,
            email=email,
            directorate=directorate,
            active=True,
            created_at=self.request.find_service(IClock).now(),
        )
        if password is not None:
            self._check_password(password)
            account.password_hash = hash_password(password)
        self.db.add(account)
        self.db.flush()
        self._audit(
            "core:account:create",
            f"Compte « {account.login} » ({account.kind_label.lower()}) créé.",
            account,
            {"after": {"login": login, "kind": kind, "email": email}},
        )
        if kind == AGENT:
            call_active(self.request.registry, "cagou_agent_created", request=self.request, account=account)
        return account

    def set_password(self, account: Account, password: str) -> None:
        self._check_password(password)
        account.password_hash = hash_password(password)
        end_all_sessions(self.db, account.id, self.request.find_service(IClock).now(), "mot de passe changé")
        self._audit("core:account:password", f"Mot de passe du compte « {account.login} » changé.", account)

    def deactivate(self, account: Account) -> None:
        if not account.active:
            return
        account.active = False
        account.deactivated_at = self.request.find_service(IClock).now()
        end_all_sessions(self.db, account.id, account.deactivated_at, "compte désactivé")
        self._audit(
            "core:account:deactivate",
            f"Compte « {account.login} » désactivé.",
            account,
            {"before": {"active": True}, "after": {"active": False}},
        )
        if account.kind == AGENT:
            call_active(self.request.registry, "cagou_agent_deactivated", request=self.request, account=account)

    def move(self, account: Account, directorate: Directorate) -> None:
        previous = account.directorate
        if previous is not None and previous.id == directorate.id:
            return
        account.directorate = directorate
        self._audit(
            "core:account:move",
            f"Agent « {account.login} » rattaché à « {directorate.name} ».",
            account,
            {
                "before": {"directorate": previous.code if previous else None},
                "after": {"directorate": directorate.code},
            },
        )
        call_active(
            self.request.registry, "cagou_agent_moved", request=self.request, account=account, previous=previous
        )

    def roles_of(self, account: Account) -> frozenset[str]:
        return frozenset(grant.role for grant in account.grants)

    def grant(self, account: Account, role: str, directorate: Directorate | None = None) -> None:
        directorate_id = directorate.id if directorate else None
        if any(g.role == role and g.directorate_id == directorate_id for g in account.grants):
            return
        account.grants.append(RoleGrant(role=role, directorate=directorate))
        self._audit("core:account:grant", f"Rôle « {role} » accordé à « {account.login} ».", account)

    def _check_password(self, password: str) -> None:
        problem = password_problem(password)
        if problem:
            raise ValueError(problem)

    def _audit(self, action: str, summary: str, account: Account, changes: dict[str, Any] | None = None) -> None:
        self.request.find_service(IAuditLog).record(
            action, summary, object_type="account", object_id=str(account.id), changes=changes
        )


def account_service_factory(context: Any, request: Request) -> AccountService:
    return AccountService(request)
