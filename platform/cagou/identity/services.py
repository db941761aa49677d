"""The identity service: accounts, passwords, roles, and the lifecycle hooks."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from cagou.contributions import AuthenticationUnavailable, NewAccount
from cagou.identity.models import (
    AGENT,
    KIND_LABELS,
    PUBLIC_KINDS,
    STAFF_KINDS,
    Account,
    Directorate,
    LoginSession,
    RoleGrant,
)
from cagou.identity.sessions import end_all_sessions
from cagou.identity.validation import normalize_ridet, password_problem
from cagou.interfaces import IAccounts, IAuditLog, IClock
from cagou.plugins import call_active, call_enabled


class AuthenticationUnavailableError(Exception):
    """No sign-in backend recognised the person, and at least one could not check (its server is down)."""

    def __init__(self, answers: list[AuthenticationUnavailable]) -> None:
        super().__init__("; ".join(answer.reason or answer.message for answer in answers))
        self.answers = answers

    @property
    def message(self) -> str:
        """What the login form tells the person, in French."""
        return self.answers[0].message


def password_hasher(settings: Mapping[str, Any]) -> PasswordHasher:
    """argon2id with the ``cagou.passwords.*`` costs (OWASP's 2025 minimum by default: 19 MiB, 2 iterations)."""
    return PasswordHasher(
        memory_cost=settings["cagou.passwords.memory_kib"],
        time_cost=settings["cagou.passwords.time_cost"],
        parallelism=1,
    )


def hash_password(registry: Registry, password: str) -> str:
    hasher: PasswordHasher = registry["cagou.password_hasher"]
    return str(hasher.hash(password))


def verify_password(registry: Registry, account: Account, password: str) -> bool:
    """True when ``password`` is the account's; rehash when the costs changed."""
    if not account.password_hash:
        return False
    hasher: PasswordHasher = registry["cagou.password_hasher"]
    try:
        hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    return True


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

    def public_by_email(self, email: str) -> Account | None:
        """The citizen's or company's account that uses this address, if any."""
        query = sa.select(Account).where(
            sa.func.lower(Account.email) == email.strip().lower(), Account.kind.in_(PUBLIC_KINDS)
        )
        account: Account | None = self.db.scalars(query.limit(1)).first()
        return account

    def authenticate(self, login: str, password: str) -> Account | None:
        """The backends in turn, until one recognises the person; an inactive account is refused.

        Raises :class:`AuthenticationUnavailableError` when none recognised the
        person and some backend could not check (its directory is down).
        """
        answers = call_enabled(
            self.request,
            "cagou_authenticate",
            until=lambda answer: isinstance(answer, Account),
            login=login.strip().lower(),
            password=password,
        )
        account = next((answer for answer in answers if isinstance(answer, Account)), None)
        if account is not None:
            return account if account.active else None
        unavailable = [answer for answer in answers if isinstance(answer, AuthenticationUnavailable)]
        if unavailable:
            raise AuthenticationUnavailableError(unavailable)
        return None

    def create(
        self,
        login: str,
        display_name: str,
        kind: str,
        email: str | None = None,
        password: str | None = None,
        directorate: Directorate | None = None,
        ridet: str | None = None,
        email_verified: bool = True,
    ) -> Account:
        if kind not in KIND_LABELS:
            raise ValueError(f"Type de compte inconnu : « {kind} ».")
        login = login.strip().lower()
        if self.by_login(login) is not None:
            raise ValueError(f"L'identifiant « {login} » est déjà pris.")
        now = self.request.find_service(IClock).now()
        account = Account(
            login=login,
            display_name=display_name.strip(),
            kind=kind,
            email=email,
            ridet=normalize_ridet(ridet) if ridet else None,
            directorate=directorate,
            active=True,
            created_at=now,
            email_verified_at=now if email_verified else None,
        )
        if password is not None:
            self._check_password(password, account)
            account.password_hash = hash_password(self.request.registry, password)
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
        self._check_password(password, account)
        account.password_hash = hash_password(self.request.registry, password)
        end_all_sessions(self.db, account.id, self.request.find_service(IClock).now(), "mot de passe changé")
        self._audit("core:account:password", f"Mot de passe du compte « {account.login} » changé.", account)

    def change_password(self, account: Account, password: str, keep: LoginSession | None = None) -> None:
        """The holder's new password: the person's other sessions end, as after a reset; ``keep`` stays open.

        Whoever knew the old password and signed in elsewhere is signed out;
        the person who just changed it is not.
        """
        self._check_password(password, account)
        account.password_hash = hash_password(self.request.registry, password)
        query = sa.update(LoginSession).where(LoginSession.account_id == account.id, LoginSession.ended_at.is_(None))
        if keep is not None:
            query = query.where(LoginSession.id != keep.id)
        now = self.request.find_service(IClock).now()
        self.db.execute(
            query.values(ended_at=now, end_reason="mot de passe changé").execution_options(synchronize_session=False)
        )
        self._audit(
            "core:account:password", f"Mot de passe du compte « {account.login} » changé par son titulaire.", account
        )

    def change_email(self, account: Account, email: str) -> None:
        """A public account's new address, confirmed by its holder; the login follows when it was the address.

        Registration makes the address the login; an account given another
        login (the demonstration's « citoyen ») keeps it.
        """
        before = {"login": account.login, "email": account.email}
        if account.email is not None and account.login.lower() == account.email.lower():
            account.login = email
        account.email = email
        account.email_verified_at = self.request.find_service(IClock).now()
        self._audit(
            "core:account:email",
            f"Adresse du compte « {before['login']} » changée en « {email} » (confirmée par lien).",
            account,
            {"before": before, "after": {"login": account.login, "email": email}},
        )

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

    def reactivate(self, account: Account) -> None:
        if account.active or account.deleted_at is not None:
            return
        account.active = True
        account.deactivated_at = None
        self._audit(
            "core:account:reactivate",
            f"Compte « {account.login} » réactivé.",
            account,
            {"before": {"active": False}, "after": {"active": True}},
        )

    def update(self, account: Account, display_name: str, email: str | None) -> None:
        """Change the name and address shown for ``account``, audited with before and after."""
        before = {"display_name": account.display_name, "email": account.email}
        after = {"display_name": display_name.strip(), "email": email}
        if before == after:
            return
        account.display_name, account.email = after["display_name"] or account.display_name, email
        self._audit(
            "core:account:update", f"Compte « {account.login} » modifié.", account, {"before": before, "after": after}
        )

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
        scope = f" dans « {directorate.code} »" if directorate else ""
        self._audit("core:account:grant", f"Rôle « {role} »{scope} accordé à « {account.login} ».", account)

    def find_agent(self, text: str) -> Account | None:
        text = text.strip().lower()
        query = sa.select(Account).where(
            sa.or_(sa.func.lower(Account.login) == text, sa.func.lower(Account.email) == text),
            Account.kind == AGENT,
            Account.active.is_(True),
        )
        account: Account | None = self.db.scalars(query.order_by(Account.id).limit(1)).first()
        return account

    def staff_by_email(self, address: str) -> list[Account]:
        query = sa.select(Account).where(
            sa.func.lower(Account.email) == address.strip().lower(),
            Account.kind.in_(STAFF_KINDS),
            Account.active.is_(True),
        )
        return list(self.db.scalars(query.order_by(Account.id)))

    def holders_of(self, roles: Iterable[str]) -> list[Account]:
        query = sa.select(Account).where(
            Account.active.is_(True),
            Account.deleted_at.is_(None),
            Account.id.in_(sa.select(RoleGrant.account_id).where(RoleGrant.role.in_(tuple(roles)))),
        )
        return list(self.db.scalars(query.order_by(Account.display_name)))

    def directorate(self, code: str) -> Directorate | None:
        found: Directorate | None = self.db.scalars(sa.select(Directorate).where(Directorate.code == code)).first()
        return found

    def ids_of(self, logins: Iterable[str]) -> dict[str, int]:
        wanted = [login.strip().lower() for login in logins]
        rows = self.db.execute(sa.select(Account.login, Account.id).where(Account.login.in_(wanted)))
        return {login: account_id for login, account_id in rows}

    def create_many(self, people: Sequence[NewAccount], created_at: datetime.datetime | None = None) -> dict[str, int]:
        for person in people:
            if person.kind not in KIND_LABELS:
                raise ValueError(f"Type de compte inconnu : « {person.kind} ».")
        existing = self.ids_of(person.login for person in people)
        wanted = {person.login.strip().lower(): person for person in people}
        missing = {login: person for login, person in wanted.items() if login not in existing}
        if missing:
            instant = created_at or self.request.find_service(IClock).now()
            directorates = {
                code: directorate_id
                for code, directorate_id in self.db.execute(sa.select(Directorate.code, Directorate.id))
            }
            rows = [
                {
                    "login": login,
                    "display_name": person.display_name.strip(),
                    "kind": person.kind,
                    "email": person.email,
                    "ridet": None,
                    "password_hash": None,
                    "active": True,
                    "directorate_id": directorates.get(person.directorate or ""),
                    "created_at": instant,
                    "email_verified_at": instant,
                }
                for login, person in missing.items()
            ]
            self.db.execute(sa.insert(cast(sa.Table, Account.__table__)), rows)
            mark_changed(self.db)
            created = self.ids_of(missing)
            self.request.find_service(IAuditLog).record(
                "core:account:create-many",
                f"{counted(len(created), 'compte créé', 'comptes créés')} en une fois.",
                changes={"after": {"logins": sorted(created)}},
            )
            agents = [created[login] for login, person in missing.items() if person.kind == AGENT]
            for account in self.db.scalars(sa.select(Account).where(Account.id.in_(agents)).order_by(Account.id)):
                call_active(self.request.registry, "cagou_agent_created", request=self.request, account=account)
            existing |= created
        return existing

    def grant_many(self, grants: Iterable[tuple[int, str]]) -> int:
        wanted = set(grants)
        ids = {account_id for account_id, _ in wanted}
        query = sa.select(RoleGrant.account_id, RoleGrant.role).where(
            RoleGrant.account_id.in_(ids), RoleGrant.directorate_id.is_(None)
        )
        held = {(account_id, role) for account_id, role in self.db.execute(query)}
        missing = sorted(wanted - held)
        if missing:
            rows = [{"account_id": account_id, "role": role, "directorate_id": None} for account_id, role in missing]
            self.db.execute(sa.insert(cast(sa.Table, RoleGrant.__table__)), rows)
            mark_changed(self.db)
            self.request.find_service(IAuditLog).record(
                "core:account:grant-many",
                f"{counted(len(missing), 'rôle accordé', 'rôles accordés')} en une fois.",
                changes={"after": {"grants": [[account_id, role] for account_id, role in missing]}},
            )
        return len(missing)

    def revoke(self, account: Account, grant: RoleGrant) -> None:
        if grant not in account.grants:
            return
        scope = f" dans « {grant.directorate.code} »" if grant.directorate else ""
        account.grants.remove(grant)
        self._audit("core:account:revoke", f"Rôle « {grant.role} »{scope} retiré à « {account.login} ».", account)

    def confirm_email(self, account: Account) -> None:
        if account.email_verified_at is None:
            account.email_verified_at = self.request.find_service(IClock).now()
            self._audit("core:account:confirm-email", f"Adresse du compte « {account.login} » confirmée.", account)

    def delete(self, account: Account) -> None:
        """Detach a public account from its login; what it submitted stays, as administrative records."""
        if account.kind not in PUBLIC_KINDS:
            raise ValueError("Seuls les comptes des particuliers et des entreprises peuvent être supprimés.")
        now = self.request.find_service(IClock).now()
        former_login = account.login
        account.login = f"supprime-{account.id}"
        account.email = None
        account.password_hash = None
        account.active = False
        account.deleted_at = now
        end_all_sessions(self.db, account.id, now, "compte supprimé")
        self._audit(
            "core:account:delete",
            f"Compte « {former_login} » supprimé par son titulaire ; ses dossiers restent à l'administration.",
            account,
        )

    def _check_password(self, password: str, account: Account) -> None:
        problem = password_problem(password, [account.login, account.display_name, account.email or ""])
        if problem:
            raise ValueError(problem)

    def _audit(self, action: str, summary: str, account: Account, changes: dict[str, Any] | None = None) -> None:
        self.request.find_service(IAuditLog).record(
            action, summary, object_type="account", object_id=str(account.id), changes=changes
        )


def counted(count: int, one: str, several: str) -> str:
    return f"{count} {one if count < 2 else several}"


def account_names(name: str = "account_names") -> sa.Subquery:
    """Every account's id, login and name, for a module's listing or export to join on; read-only.

    A module never selects the core's tables: this is the shape of them it may
    rely on, whatever becomes of the table itself.
    """
    return sa.select(Account.id, Account.login, Account.display_name).subquery(name)


def account_service_factory(context: Any, request: Request) -> AccountService:
    return AccountService(request)
