"""Signing in and out, on both sites."""

from __future__ import annotations

import math
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from cagou.contributions import INTRANET
from cagou.identity.account_views import send_confirmation
from cagou.identity.models import PUBLIC_KINDS, STAFF_KINDS
from cagou.identity.resubmission import Pending, carried_by, is_local_path, sent_without_session
from cagou.identity.second_factor import needs_second_factor
from cagou.identity.services import AuthenticationUnavailableError
from cagou.identity.sessions import extend, remaining, warning_delay
from cagou.interfaces import IAccounts, IAuditLog, IRateLimits
from cagou.web import home_path
from cagou.web.forms import FormErrors

MAX_LOGIN_LENGTH = 120
LOGIN_TEMPLATE = "cagou:identity/templates/login.jinja2"
RESUBMIT_TEMPLATE = "cagou:identity/templates/resubmit.jinja2"
SESSION_TEMPLATE = "cagou:identity/templates/session_status.jinja2"


def safe_next(request: Request, target: str | None) -> str:
    """Follow ``next`` only to a path of this platform, never to another host."""
    if target and is_local_path(target):
        return target
    return home_path(request)


@view_config(route_name="login", renderer=LOGIN_TEMPLATE, permission=NO_PERMISSION_REQUIRED)
@view_config(route_name="intranet.login", renderer=LOGIN_TEMPLATE, permission=NO_PERMISSION_REQUIRED)
def login(request: Request) -> Any:
    next_url = request.params.get("next", "")
    values = {"login": "", "next": next_url}
    errors = FormErrors()
    pending = carried_by(request.POST) if request.method == "POST" else None
    if request.method == "POST":
        login_value = request.POST.get("login", "").strip()
        password = request.POST.get("password", "")
        values["login"] = login_value
        if not login_value:
            errors.add("login", "Saisissez votre identifiant.")
        elif len(login_value) > MAX_LOGIN_LENGTH:
            errors.add("login", f"L'identifiant ne peut pas dépasser {MAX_LOGIN_LENGTH} caractères.")
        if not password:
            errors.add("password", "Saisissez votre mot de passe.")
        if errors:
            request.response.status_int = 400
        else:
            signed_in = sign_in(request, login_value, password, next_url, errors, pending)
            if signed_in is not None:
                return signed_in
    return login_values(request, values, errors, pending)


def login_values(
    request: Request, values: dict[str, str], errors: FormErrors, pending: Pending | None
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "expired": request.params.get("expiree") == "1",
        "action": request.route_path("intranet.login" if request.site == INTRANET else "login"),
        "pending": pending,
    }


def signed_out_submission(request: Request) -> Response:
    """The sign-in form, answering a form sent without a session: it carries what was sent (see resubmission)."""
    pending = sent_without_session(request.POST, request.path_qs)
    values = {"login": "", "next": ""}
    response = render_to_response(LOGIN_TEMPLATE, login_values(request, values, FormErrors(), pending), request=request)
    response.status_int = 401
    return response


def sign_in(
    request: Request, login_value: str, password: str, next_url: str, errors: FormErrors, pending: Pending | None
) -> Any:
    """Check the credentials, within the rate limits; once they open a session, where to go next.

    That is ``next``, or the page that sends ``pending`` again when the person
    was signed out while filling a form. An account that must give its second
    factor first goes to that page, and ``pending`` is not carried further.
    """
    limits = request.find_service(IRateLimits)
    checks = {"login.account": login_value, "login.address": request.client_addr or ""}
    wait = limits.blocked_for(checks)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        errors.add("form", f"Trop de tentatives de connexion : réessayez dans {minutes} minute(s).")
        request.find_service(IAuditLog).record(
            "core:session:login-throttled", f"Connexion suspendue pour l'identifiant « {login_value} »."
        )
        request.response.status_int = 429
        return None
    try:
        account = request.find_service(IAccounts).authenticate(login_value, password)
    except AuthenticationUnavailableError as unavailable:  # a directory is down; local accounts were asked
        account = None
        errors.add("form", unavailable.message)  # said instead of "incorrect", and counted as a failure
    allowed_kinds = STAFF_KINDS if request.site == INTRANET else PUBLIC_KINDS
    if account is not None and account.kind in allowed_kinds and account.email_verified_at is None:
        send_confirmation(request, account)
        errors.add("form", "Votre adresse n'est pas encore confirmée : un nouveau lien vient de vous être envoyé.")
        request.response.status_int = 403
        return None
    if account is not None and account.kind in allowed_kinds:
        request.session.invalidate()
        headers = remember(request, str(account.id))
        request.session.new_csrf_token()
        request.find_service(IAuditLog).record(
            "core:session:login", f"Connexion de « {account.login} ».", object_type="account", object_id=str(account.id)
        )
        if needs_second_factor(request, account):
            target = request.route_path("second_factor", _query={"next": safe_next(request, next_url)})
            return HTTPSeeOther(target, headers=headers)
        if pending is not None:
            page: Response = render_to_response(RESUBMIT_TEMPLATE, {"pending": pending}, request=request)
            page.headerlist.extend(headers)
            return page
        return HTTPSeeOther(safe_next(request, next_url), headers=headers)
    limits.count(checks)
    # Kept even if the request's transaction aborts: a failed attempt is what an audit is for.
    request.find_service(IAuditLog).record_now(
        "core:session:login-failed", f"Échec de connexion pour l'identifiant « {login_value} »."
    )
    errors.add("form", "Identifiant ou mot de passe incorrect.")
    request.response.status_int = 401
    return None


@view_config(route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
@view_config(route_name="intranet.logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout(request: Request) -> HTTPSeeOther:
    account = request.identity
    if account is not None:
        request.find_service(IAuditLog).record(
            "core:session:logout",
            f"Déconnexion de « {account.login} ».",
            object_type="account",
            object_id=str(account.id),
        )
    headers = forget(request)
    request.session.invalidate()
    return HTTPSeeOther(home_path(request), headers=headers)


@view_config(route_name="session.status", permission=NO_PERMISSION_REQUIRED)
@view_config(route_name="intranet.session.status", permission=NO_PERMISSION_REQUIRED)
def session_status(request: Request) -> Response:
    """The inactivity timer of the layout: a warning before expiry, and a way to stay signed in.

    GET answers what the page should show now without keeping the session
    alive; POST ("Rester connecté") extends it.
    """
    session = request.login_session if request.identity is not None else None
    if session is None:
        return render_to_response(SESSION_TEMPLATE, {"state": "expired"}, request=request)
    if request.method == "POST":
        extend(request, session)
    left = remaining(request, session)
    state = "warning" if left <= warning_delay(request) else "running"
    return render_to_response(SESSION_TEMPLATE, {"state": state, "left": left}, request=request)
