"""The second-factor page: enrol a TOTP application, or give a code after the password."""

from __future__ import annotations

import logging
import math
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.view import view_config

from cagou.identity import second_factor
from cagou.identity.models import Account
from cagou.interfaces import IAuditLog, IClock, IRateLimits
from cagou.secrets import SecretUnreadableError
from cagou.web.forms import FormErrors

log = logging.getLogger(__name__)

TEMPLATE = "cagou:identity/templates/second_factor.jinja2"
ERROR_TEMPLATE = "cagou:web/templates/error.jinja2"
CODES_TEMPLATE = "cagou:identity/templates/recovery_codes.jinja2"
MAX_CODE_LENGTH = 32


def next_path(request: Request) -> str:
    """Where to go afterwards: a path of this platform, else "Mon espace"."""
    target: str = request.params.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    path: str = request.route_path("space")
    return path


UNAVAILABLE = {
    "status": 503,
    "title": "Second facteur indisponible",
    "message": "Le second facteur ne peut pas être vérifié en ce moment : la clé qui protège les codes "
    "n'est pas lisible sur ce serveur. Prévenez le service informatique.",
}


@view_config(route_name="second_factor", permission="core:second-factor:give")
def second_factor_page(request: Request) -> Any:
    """The page, or a French 503 when the key ring no longer decrypts the secret (wrong ring copied in)."""
    try:
        return give_second_factor(request)
    except SecretUnreadableError:
        log.exception("The key ring does not decrypt the second factor of account %s", request.identity.id)
        request.response.status_int = 503
        return render_to_response(ERROR_TEMPLATE, UNAVAILABLE, request=request, response=request.response)


def give_second_factor(request: Request) -> Any:
    account: Account = request.identity
    session = request.login_session
    if (
        session is None
        or session.second_factor_at is not None
        or not second_factor.needs_second_factor(request, account)
    ):
        return HTTPSeeOther(next_path(request))
    factor = second_factor.factor_of(request, account)
    enrolling = factor is None or factor.confirmed_at is None
    if factor is None or (enrolling and request.method == "GET"):
        factor = second_factor.start_enrolment(request, account)
    errors = FormErrors()
    if request.method == "POST":
        code = request.POST.get("code", "").strip()[:MAX_CODE_LENGTH]
        refused = check_code(request, account, code, enrolling, errors)
        if refused is None:
            second_factor.mark_session(request, session)
            if enrolling:
                factor.confirmed_at = request.find_service(IClock).now()
                codes = second_factor.new_recovery_codes(request, account)
                audit(request, account, "core:second-factor:enrol", "Second facteur activé")
                shown = {"codes": codes, "next": next_path(request)}
                return render_to_response(CODES_TEMPLATE, shown, request=request)
            audit(request, account, "core:second-factor:verify", "Second facteur vérifié")
            return HTTPSeeOther(next_path(request))
        request.response.status_int = refused
    values: dict[str, Any] = {"enrolling": enrolling, "errors": errors, "next": next_path(request)}
    if enrolling:
        values |= {
            "qr_code": second_factor.qr_code(request, factor, account),
            "secret": second_factor.clear_secret(request, factor),
        }
    else:
        values |= {"recovery_left": second_factor.remaining_recovery_codes(request, account)}
    return render_to_response(TEMPLATE, values, request=request, response=request.response)


def check_code(request: Request, account: Account, code: str, enrolling: bool, errors: FormErrors) -> int | None:
    """None when the code is good; else the status to answer, with the message in ``errors``."""
    limits = request.find_service(IRateLimits)
    checks = {"second-factor.account": str(account.id)}
    wait = limits.blocked_for(checks)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        errors.add("code", f"Trop de codes erronés : réessayez dans {minutes} minute(s).")
        return 429
    if not code:
        errors.add("code", "Saisissez le code à 6 chiffres affiché par votre application.")
        return 400
    factor = second_factor.factor_of(request, account)
    if factor is not None and second_factor.accept_code(request, factor, code):
        return None
    if not enrolling and second_factor.use_recovery_code(request, account, code):
        audit(request, account, "core:second-factor:recovery", "Code de secours utilisé")
        return None
    limits.count(checks)
    audit(request, account, "core:second-factor:failed", "Code de second facteur refusé")
    errors.add("code", "Ce code n'est pas valable, ou a déjà servi : saisissez le code affiché en ce moment.")
    return 401


def audit(request: Request, account: Account, action: str, summary: str) -> None:
    request.find_service(IAuditLog).record(
        action, f"{summary} pour « {account.login} ».", object_type="account", object_id=str(account.id)
    )
