"""The IT console's accounts: find, create, edit, deactivate and reactivate; grant and revoke roles.

Every change goes through the identity service, so it is audited and the
lifecycle hooks fire (deactivating an agent lets the modules release what the
agent held). The detail page shows what each role grants: the person's
effective permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from cagou.contributions import Permission, Role
from cagou.identity.models import ADMIN, AGENT, KIND_LABELS, Account, Directorate, RoleGrant
from cagou.identity.validation import name_problem
from cagou.interfaces import IAccounts
from cagou.mail.services import check_address
from cagou.plugins import flatten, get_plugins
from cagou.web.forms import FormErrors

PAGE_SIZE = 100
MAX_QUERY_LENGTH = 100
STAFF_CHOICES = {AGENT: KIND_LABELS[AGENT], ADMIN: KIND_LABELS[ADMIN]}


@dataclass(frozen=True)
class EffectiveGrant:
    grant: RoleGrant
    role: Role | None
    permissions: list[Permission]


def directorates(request: Request) -> list[Directorate]:
    return list(request.db.scalars(sa.select(Directorate).order_by(Directorate.code)))


def roles(request: Request) -> dict[str, Role]:
    known: dict[str, Role] = request.registry["cagou.roles"]
    return known


def permission_titles(request: Request) -> dict[str, Permission]:
    declared = flatten(get_plugins(request.registry).call("cagou_permissions"))
    return {permission.name: permission for permission in declared}


def account_or_404(request: Request) -> Account:
    account: Account | None = request.db.get(Account, int(request.matchdict["id"]))
    if account is None:
        raise HTTPNotFound()
    return account


@view_config(
    route_name="console.accounts", renderer="cagou:console/templates/accounts.jinja2", permission="core:accounts:view"
)
def accounts_list(request: Request) -> dict[str, Any]:
    query_text = " ".join(request.params.get("q", "").split())[:MAX_QUERY_LENGTH]
    kind = request.params.get("type", "")
    query = sa.select(Account).where(Account.deleted_at.is_(None)).order_by(Account.login).limit(PAGE_SIZE)
    if query_text:
        pattern = f"%{query_text.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Account.login).like(pattern),
                sa.func.lower(Account.display_name).like(pattern),
                sa.func.lower(Account.email).like(pattern),
            )
        )
    if kind in KIND_LABELS:
        query = query.where(Account.kind == kind)
    return {"accounts": list(request.db.scalars(query)), "q": query_text, "kind": kind, "kinds": KIND_LABELS}


@view_config(
    route_name="console.account_new",
    renderer="cagou:console/templates/account_new.jinja2",
    permission="core:accounts:manage",
)
def account_new(request: Request) -> Any:
    fields = ("login", "display_name", "email", "kind", "directorate", "password")
    values = {name: request.POST.get(name, "").strip() for name in fields}
    values["password"] = request.POST.get("password", "")
    errors = FormErrors()
    if request.method == "POST":
        account = create_staff_account(request, values, errors)
        if account is not None:
            request.session.flash(f"Compte « {account.login} » créé.")
            return HTTPSeeOther(request.route_path("console.account", id=account.id))
        request.response.status_int = 400
    return {"values": values, "errors": errors, "kinds": STAFF_CHOICES, "directorates": directorates(request)}


def check_person(request: Request, values: dict[str, str], errors: FormErrors) -> Directorate | None:
    """Check the name, optional address and optional directorate code of ``values``; the directorate found.

    The address is normalised in ``values``; each problem goes next to its field.
    """
    problem = name_problem(values["display_name"])
    if problem:
        errors.add("display_name", problem)
    if values["email"]:
        try:
            values["email"] = check_address(values["email"])
        except ValueError:
            errors.add("email", "Saisissez une adresse électronique valide, ou laissez le champ vide.")
    return directorate_of(request, values["directorate"], "directorate", errors)


def directorate_of(request: Request, code: str, field: str, errors: FormErrors) -> Directorate | None:
    """The directorate of ``code`` (None when empty); an unknown code is an error on ``field``."""
    if not code:
        return None
    directorate: Directorate | None = request.db.scalars(sa.select(Directorate).where(Directorate.code == code)).first()
    if directorate is None:
        errors.add(field, "Choisissez une direction de la liste.")
    return directorate


def create_staff_account(request: Request, values: dict[str, str], errors: FormErrors) -> Account | None:
    """Create an agent or IT administrator from the console form; None with ``errors`` when refused."""
    if not values["login"] or len(values["login"]) > 120:
        errors.add("login", "Indiquez un identifiant de 120 caractères au plus.")
    if values["kind"] not in STAFF_CHOICES:
        errors.add("kind", "Choisissez agent ou administrateur informatique.")
    directorate = check_person(request, values, errors)
    if errors:
        return None
    try:
        account: Account = request.find_service(IAccounts).create(
            values["login"],
            values["display_name"],
            values["kind"],
            email=values["email"] or None,
            password=values["password"] or None,
            directorate=directorate,
        )
    except ValueError as error:
        errors.add("password" if "mot de passe" in str(error) else "login", str(error))
        return None
    return account


def effective_grants(request: Request, account: Account) -> list[EffectiveGrant]:
    known, titles = roles(request), permission_titles(request)
    result = []
    for grant in sorted(account.grants, key=lambda g: (g.role, g.directorate.code if g.directorate else "")):
        role = known.get(grant.role)
        permissions = [titles.get(name, Permission(name, name)) for name in (role.permissions if role else ())]
        result.append(EffectiveGrant(grant, role, permissions))
    return result


def detail_values(request: Request, account: Account, errors: FormErrors | None = None) -> dict[str, Any]:
    return {
        "account": account,
        "errors": errors or FormErrors(),
        "grants": effective_grants(request, account),
        "roles": sorted(roles(request).values(), key=lambda role: role.title),
        "directorates": directorates(request),
    }


@view_config(
    route_name="console.account",
    request_method="GET",
    renderer="cagou:console/templates/account_detail.jinja2",
    permission="core:accounts:view",
)
def account_detail(request: Request) -> dict[str, Any]:
    return detail_values(request, account_or_404(request))


@view_config(
    route_name="console.account",
    request_method="POST",
    renderer="cagou:console/templates/account_detail.jinja2",
    permission="core:accounts:manage",
)
def account_edit(request: Request) -> Any:
    account = account_or_404(request)
    errors = FormErrors()
    values = {name: request.POST.get(name, "").strip() for name in ("display_name", "email", "directorate")}
    directorate = check_person(request, values, errors)
    if errors:
        request.response.status_int = 400
        return detail_values(request, account, errors)
    accounts = request.find_service(IAccounts)
    accounts.update(account, values["display_name"], values["email"] or None)
    if directorate is not None:
        accounts.move(account, directorate)
    request.session.flash("Modifications enregistrées.")
    return HTTPSeeOther(request.route_path("console.account", id=account.id))


@view_config(route_name="console.account_state", request_method="POST", permission="core:accounts:manage")
def account_state(request: Request) -> HTTPSeeOther:
    account = account_or_404(request)
    accounts = request.find_service(IAccounts)
    if request.POST.get("active") == "1":
        accounts.reactivate(account)
        request.session.flash(f"Compte « {account.login} » réactivé.")
    elif account.id == request.identity.id:
        request.session.flash("Vous ne pouvez pas désactiver votre propre compte.")
    else:
        accounts.deactivate(account)
        request.session.flash(f"Compte « {account.login} » désactivé : ses sessions sont fermées.")
    return HTTPSeeOther(request.route_path("console.account", id=account.id))


@view_config(
    route_name="console.account_grant",
    request_method="POST",
    renderer="cagou:console/templates/account_detail.jinja2",
    permission="core:accounts:manage",
)
def account_grant(request: Request) -> Any:
    account = account_or_404(request)
    errors = FormErrors()
    role = roles(request).get(request.POST.get("role", ""))
    directorate = directorate_of(request, request.POST.get("role_directorate", ""), "role_directorate", errors)
    if role is None:
        errors.add("role", "Choisissez un rôle de la liste.")
    elif directorate is not None and not role.per_directorate:
        errors.add("role_directorate", "Ce rôle s'accorde pour toute la plateforme, sans direction.")
    if errors or role is None:
        request.response.status_int = 400
        return detail_values(request, account, errors)
    request.find_service(IAccounts).grant(account, role.name, directorate)
    request.session.flash(f"Rôle « {role.title} » accordé.")
    return HTTPSeeOther(request.route_path("console.account", id=account.id))


@view_config(route_name="console.account_revoke", request_method="POST", permission="core:accounts:manage")
def account_revoke(request: Request) -> HTTPSeeOther:
    account = account_or_404(request)
    grant = next((g for g in account.grants if str(g.id) == request.matchdict["grant"]), None)
    if grant is None:
        raise HTTPNotFound()
    request.find_service(IAccounts).revoke(account, grant)
    request.session.flash("Rôle retiré.")
    return HTTPSeeOther(request.route_path("console.account", id=account.id))
