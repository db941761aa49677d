"""Public accounts: registration with a confirmed address, password reset, profile, deletion.

Citizens and companies register on the public extension; their login is
their address, confirmed by a single-use link before they can sign in. A
forgotten password is replaced through another single-use link that expires
within the hour. Answers never say whether an address has an account: the
same page follows every request, and the mail goes to the address's owner.
"""

from __future__ import annotations

import math
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED, forget
from pyramid.view import view_config

from cagou.identity import links
from cagou.identity.models import CHANGE_EMAIL, CITIZEN, COMPANY, RESET_PASSWORD, VERIFY_EMAIL, Account
from cagou.identity.services import verify_password
from cagou.identity.validation import name_problem, normalize_ridet, password_problem
from cagou.interfaces import IAccounts, IAuditLog, IMailer, IRateLimits
from cagou.mail.services import check_address
from cagou.web.forms import FormErrors

MESSAGE = "cagou:identity/templates/message.jinja2"
#: The pages of a person who is not signed in yet.
ANYONE = NO_PERMISSION_REQUIRED
KINDS = {"particulier": CITIZEN, "entreprise": COMPANY}


# -- registration --------------------------------------------------------------


def form_values(request: Request, fields: tuple[str, ...]) -> dict[str, str]:
    """The posted fields, stripped except passwords (a space may be part of one)."""
    posted = request.POST
    return {
        name: posted.get(name, "") if name.startswith("password") else posted.get(name, "").strip() for name in fields
    }


def registration_errors(values: dict[str, str]) -> FormErrors:
    errors = FormErrors()
    if values["kind"] not in KINDS:
        errors.add("kind", "Indiquez si vous êtes un particulier ou une entreprise.")
    problem = name_problem(values["display_name"])
    if problem:
        errors.add("display_name", problem)
    if values["kind"] == "entreprise":
        try:
            values["ridet"] = normalize_ridet(values["ridet"])
        except ValueError as error:
            errors.add("ridet", str(error))
    try:
        values["email"] = check_address(values["email"]).lower()
    except ValueError:
        errors.add("email", "Saisissez une adresse électronique valide, par exemple nom@exemple.nc.")
    problem = password_problem(values["password"], [values["display_name"], values["email"]])
    if problem:
        errors.add("password", problem)
    elif values["password"] != values["password_confirm"]:
        errors.add("password_confirm", "Les deux mots de passe ne sont pas identiques.")
    return errors


def too_many_attempts(wait_seconds: float) -> str:
    minutes = max(1, math.ceil(wait_seconds / 60))
    return f"Trop de demandes depuis votre connexion : réessayez dans {minutes} minute(s)."


@view_config(route_name="register", renderer="cagou:identity/templates/register.jinja2", permission=ANYONE)
def register(request: Request) -> Any:
    values = form_values(request, ("kind", "display_name", "ridet", "email", "password", "password_confirm"))
    errors = FormErrors()
    if request.method == "POST":
        limits = request.find_service(IRateLimits)
        checks = {"register.address": request.client_addr or ""}
        wait = limits.blocked_for(checks)
        if wait is not None:
            errors.add("form", too_many_attempts(wait.total_seconds()))
            request.response.status_int = 429
            return {"values": values, "errors": errors}
        errors = registration_errors(values)
        if errors:
            request.response.status_int = 400
            return {"values": values, "errors": errors}
        limits.count(checks)
        open_account(request, values)
        return HTTPSeeOther(request.route_path("register.sent"))
    return {"values": values, "errors": errors}


def open_account(request: Request, values: dict[str, str]) -> None:
    """Create the account and mail the confirmation link; an address already taken gets a warning instead."""
    accounts = request.find_service(IAccounts)
    existing = accounts.by_login(values["email"]) or accounts.public_by_email(values["email"])
    if existing is not None:
        request.find_service(IMailer).send(values["email"], "Votre compte existe déjà", already_registered(request))
        return
    account = accounts.create(
        values["email"],
        values["display_name"],
        KINDS[values["kind"]],
        email=values["email"],
        password=values["password"],
        ridet=values["ridet"] or None,
        email_verified=False,
    )
    send_confirmation(request, account)


def send_confirmation(request: Request, account: Account) -> None:
    token = links.issue(request, account, VERIFY_EMAIL)
    url = request.route_url("register.confirm", _query={"jeton": token})
    body = (
        f"Bonjour {account.display_name},\n\n"
        "Pour activer votre compte sur les services en ligne de la Province Sud, ouvrez ce lien "
        f"dans les deux jours :\n\n{url}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : aucun compte ne sera activé.\n"
    )
    request.find_service(IMailer).send(account.email or "", "Confirmez votre adresse électronique", body)


def already_registered(request: Request) -> str:
    return (
        "Bonjour,\n\nQuelqu'un a voulu créer un compte avec votre adresse, qui en a déjà un. "
        f"Si c'était vous et que vous avez oublié votre mot de passe : {request.route_url('password.forgot')}\n\n"
        "Sinon, ignorez ce message.\n"
    )


@view_config(route_name="register.sent", renderer=MESSAGE, permission=ANYONE)
def register_sent(request: Request) -> dict[str, Any]:
    return {
        "title": "Vérifiez votre messagerie",
        "paragraphs": [
            "Un courriel vient de vous être envoyé. Ouvrez le lien qu'il contient pour activer votre compte : "
            "il reste valable deux jours.",
            "Rien reçu ? Regardez dans les indésirables, ou recommencez l'inscription.",
        ],
    }


@view_config(route_name="register.confirm", renderer=MESSAGE, permission=ANYONE)
def register_confirm(request: Request) -> dict[str, Any]:
    try:
        account = links.consume(request, request.params.get("jeton", ""), VERIFY_EMAIL)
    except links.LinkRefusedError as error:
        request.response.status_int = 400
        return {"title": "Lien inutilisable", "paragraphs": [str(error)], "link": ("register", "S'inscrire")}
    request.find_service(IAccounts).confirm_email(account)
    return {
        "title": "Adresse confirmée",
        "paragraphs": ["Votre compte est actif : vous pouvez vous connecter."],
        "link": ("login", "Se connecter"),
    }


# -- forgotten password --------------------------------------------------------


@view_config(route_name="password.forgot", renderer="cagou:identity/templates/forgot.jinja2", permission=ANYONE)
def password_forgot(request: Request) -> Any:
    values = {"email": request.POST.get("email", "").strip()}
    errors = FormErrors()
    if request.method != "POST":
        return {"values": values, "errors": errors}
    try:
        address = check_address(values["email"]).lower()
    except ValueError:
        errors.add("email", "Saisissez une adresse électronique valide, par exemple nom@exemple.nc.")
        request.response.status_int = 400
        return {"values": values, "errors": errors}
    limits = request.find_service(IRateLimits)
    checks = {"reset.account": address, "reset.address": request.client_addr or ""}
    wait = limits.blocked_for(checks)
    if wait is not None:
        errors.add("form", too_many_attempts(wait.total_seconds()))
        request.response.status_int = 429
        return {"values": values, "errors": errors}
    limits.count(checks)
    account = request.find_service(IAccounts).public_by_email(address)
    if account is not None and account.active:
        send_reset(request, account)
    return HTTPSeeOther(request.route_path("password.sent"))


def send_reset(request: Request, account: Account) -> None:
    token = links.issue(request, account, RESET_PASSWORD)
    url = request.route_url("password.reset", _query={"jeton": token})
    body = (
        f"Bonjour {account.display_name},\n\n"
        f"Pour choisir un nouveau mot de passe, ouvrez ce lien dans l'heure qui vient :\n\n{url}\n\n"
        "Le lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce message : "
        "votre mot de passe reste le même.\n"
    )
    request.find_service(IMailer).send(account.email or "", "Choisir un nouveau mot de passe", body)


@view_config(route_name="password.sent", renderer=MESSAGE, permission=ANYONE)
def password_sent(request: Request) -> dict[str, Any]:
    return {
        "title": "Vérifiez votre messagerie",
        "paragraphs": [
            "Si un compte correspond à cette adresse, un courriel vient d'y être envoyé avec un lien "
            "pour choisir un nouveau mot de passe. Le lien reste valable une heure.",
        ],
    }


@view_config(route_name="password.reset", renderer="cagou:identity/templates/reset.jinja2", permission=ANYONE)
def password_reset(request: Request) -> Any:
    token = request.params.get("jeton", "")
    errors = FormErrors()
    try:
        link = links.check(request, token, RESET_PASSWORD)
    except links.LinkRefusedError as error:
        request.response.status_int = 400
        return {"token": "", "refused": str(error), "errors": errors}
    if request.method == "POST":
        account = request.db.get_one(Account, link.account_id)
        password, confirm = request.POST.get("password", ""), request.POST.get("password_confirm", "")
        problem = password_problem(password, [account.login, account.display_name])
        if problem:
            errors.add("password", problem)
        elif password != confirm:
            errors.add("password_confirm", "Les deux mots de passe ne sont pas identiques.")
        if errors:
            request.response.status_int = 400
            return {"token": token, "refused": None, "errors": errors}
        links.consume(request, token, RESET_PASSWORD)
        request.find_service(IAccounts).set_password(account, password)
        request.session.flash("Votre mot de passe a été changé : connectez-vous avec le nouveau.")
        return HTTPSeeOther(request.route_path("login"))
    return {"token": token, "refused": None, "errors": errors}


# -- my account ----------------------------------------------------------------


@view_config(route_name="account", renderer="cagou:identity/templates/account.jinja2", permission="core:account:self")
def account_page(request: Request) -> dict[str, Any]:
    return {"errors": FormErrors()}


@view_config(
    route_name="account.delete",
    request_method="POST",
    renderer="cagou:identity/templates/account.jinja2",
    permission="core:account:self",
)
def account_delete(request: Request) -> Any:
    account: Account = request.identity
    errors = FormErrors()
    if not verify_password(request.registry, account, request.POST.get("password", "")):
        errors.add("password", "Mot de passe incorrect : le compte n'a pas été supprimé.")
        request.find_service(IAuditLog).record(
            "core:account:delete-refused",
            f"Suppression du compte « {account.login} » refusée : mot de passe incorrect.",
            object_type="account",
            object_id=str(account.id),
        )
        request.response.status_int = 400
        return {"errors": errors}
    request.find_service(IAccounts).delete(account)
    forget(request, reason="compte supprimé")
    request.session.invalidate()
    request.session.flash("Votre compte a été supprimé. Les dossiers déposés restent conservés par l'administration.")
    return HTTPSeeOther(request.route_path("home"))


# -- my profile and my password --------------------------------------------------

PROFILE = "cagou:identity/templates/profile.jinja2"
PASSWORD_PAGE = "cagou:identity/templates/password.jinja2"  # noqa: S105  (a template, not a password)


@view_config(route_name="account.profile", renderer=PROFILE, permission="core:account:self")
def account_profile(request: Request) -> Any:
    """The name changes at once; a new address only once a link mailed to it is opened (it is the login)."""
    account: Account = request.identity
    if request.method != "POST":
        return {"values": {"display_name": account.display_name, "email": account.email or ""}, "errors": FormErrors()}
    values = form_values(request, ("display_name", "email"))
    errors = FormErrors()
    problem = name_problem(values["display_name"])
    if problem:
        errors.add("display_name", problem)
    try:
        values["email"] = check_address(values["email"]).lower()
    except ValueError:
        errors.add("email", "Saisissez une adresse électronique valide, par exemple nom@exemple.nc.")
    if errors:
        request.response.status_int = 400
        return {"values": values, "errors": errors}
    accounts = request.find_service(IAccounts)
    accounts.update(account, values["display_name"], account.email)
    if values["email"] != (account.email or "").lower():
        ask_to_confirm_address(request, account, values["email"])
        request.session.flash(
            f"Un lien de confirmation a été envoyé à {values['email']} : l'adresse de votre compte "
            "changera quand vous l'aurez ouvert (il reste valable deux jours)."
        )
    else:
        request.session.flash("Votre profil a été enregistré.")
    return HTTPSeeOther(request.route_path("account"))


def ask_to_confirm_address(request: Request, account: Account, address: str) -> None:
    """Mail the new address a link bound to it; an address that has an account gets a warning instead.

    The page says the same in both cases, so that it never tells whether an address has an account.
    """
    accounts = request.find_service(IAccounts)
    if accounts.by_login(address) or accounts.public_by_email(address):
        request.find_service(IMailer).send(address, "Votre compte existe déjà", already_registered(request))
        return
    token = links.issue(request, account, CHANGE_EMAIL, bound_to=address)
    url = request.route_url("account.email.confirm", _query={"jeton": token, "adresse": address})
    body = (
        f"Bonjour {account.display_name},\n\n"
        "Pour que cette adresse devienne celle de votre compte sur les services en ligne de la Province Sud, "
        f"ouvrez ce lien dans les deux jours :\n\n{url}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : rien ne changera.\n"
    )
    request.find_service(IMailer).send(address, "Confirmez votre nouvelle adresse électronique", body)


@view_config(route_name="account.email.confirm", renderer=MESSAGE, permission=ANYONE)
def account_email_confirm(request: Request) -> dict[str, Any]:
    address = request.params.get("adresse", "").strip().lower()[:254]
    accounts = request.find_service(IAccounts)
    try:
        account = links.consume(request, request.params.get("jeton", ""), CHANGE_EMAIL, bound_to=address)
        taken = accounts.by_login(address) or accounts.public_by_email(address)
        if taken is not None and taken.id != account.id:
            # Taken since the link was sent (a registration meanwhile): the account keeps its address.
            raise links.LinkRefusedError("Cette adresse est désormais celle d'un autre compte : rien n'a changé.")
    except links.LinkRefusedError as error:
        request.response.status_int = 400
        return {"title": "Lien inutilisable", "paragraphs": [str(error)], "link": ("account", "Mon compte")}
    accounts.change_email(account, address)
    return {
        "title": "Adresse confirmée",
        "paragraphs": [f"L'adresse de votre compte est désormais {address} : connectez-vous avec elle."],
        "link": ("account", "Mon compte"),
    }


@view_config(route_name="account.password", renderer=PASSWORD_PAGE, permission="core:account:self")
def account_password(request: Request) -> Any:
    """The current password, then a new one under the platform's policy; the other sessions end."""
    account: Account = request.identity
    errors = FormErrors()
    if request.method != "POST":
        return {"errors": errors}
    values = form_values(request, ("current_password", "password", "password_confirm"))
    if not verify_password(request.registry, account, values["current_password"]):
        errors.add("current_password", "Mot de passe actuel incorrect : le mot de passe n'a pas été changé.")
        request.find_service(IAuditLog).record(
            "core:account:password-refused",
            f"Changement du mot de passe du compte « {account.login} » refusé : mot de passe actuel incorrect.",
            object_type="account",
            object_id=str(account.id),
        )
    else:
        problem = password_problem(values["password"], [account.login, account.display_name, account.email or ""])
        if problem:
            errors.add("password", problem)
        elif values["password"] != values["password_confirm"]:
            errors.add("password_confirm", "Les deux mots de passe ne sont pas identiques.")
    if errors:
        request.response.status_int = 400
        return {"errors": errors}
    request.find_service(IAccounts).change_password(account, values["password"], keep=request.login_session)
    request.session.flash("Votre mot de passe a été changé ; vos autres connexions ont été fermées.")
    return HTTPSeeOther(request.route_path("account"))
