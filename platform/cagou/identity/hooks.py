"""The core's identity hooks: the local-account backend and the basic permissions."""

from __future__ import annotations

from pyramid.request import Request

from cagou.contributions import Permission
from cagou.hookspecs import hookimpl
from cagou.identity.models import Account
from cagou.identity.services import verify_password
from cagou.interfaces import IAccounts


@hookimpl(trylast=True)
def cagou_authenticate(request: Request, login: str, password: str) -> Account | None:
    """Local accounts answer last, after any directory or SSO backend.

    Citizens and companies may sign in with their login or their address.
    """
    accounts = request.find_service(IAccounts)
    account: Account | None = accounts.by_login(login) or accounts.public_by_email(login)
    if account is None or not verify_password(request.registry, account, password):
        return None
    return account


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [
        Permission("core:space:view", "Voir « Mon espace »"),
        Permission("core:search:use", "Utiliser la recherche globale"),
        Permission("core:account:self", "Gérer son propre compte public"),
        Permission("core:second-factor:give", "Donner son second facteur"),
        Permission("core:profile:read", "Lire son propre profil (API)"),
        Permission("core:tokens:manage", "Gérer ses jetons d'API personnels"),
    ]
