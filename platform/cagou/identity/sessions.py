"""Server-side sign-in sessions, with an inactivity limit.

The signed session cookie keeps the CSRF token and flash messages; who is
signed in is decided on the server, by a ``login_session`` row that the
cookie's random token points to. That row is what logout, inactivity,
deactivation and a password change end, for every process at once.

A page shows a warning ``cagou.sessions.warning_minutes`` before the session
expires after ``cagou.sessions.idle_minutes`` without a request, with a
button to stay signed in (htmx, no script of our own).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import Session, joinedload

from cagou.clock import registered_clock
from cagou.identity.models import Account, LoginSession, RoleGrant
from cagou.interfaces import IClock

#: Where the session cookie keeps the random token (not a secret of ours).
TOKEN_KEY = "cagou.login"  # noqa: S105
#: A request refreshes the session's last activity at most this often.
TOUCH_EVERY = datetime.timedelta(seconds=30)
STATUS_ROUTES = ("session.status", "intranet.session.status")
#: Every signed-in request asks: one query for the session, its account and the account's grants,
#: built once (its loader options cost more to build than to run).
SESSION_BY_ID = (
    sa.select(LoginSession)
    .where(LoginSession.id == sa.bindparam("session_id"))
    .options(joinedload(LoginSession.account).joinedload(Account.grants).joinedload(RoleGrant.directorate))
)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit(request: Request) -> datetime.timedelta:
    return datetime.timedelta(minutes=float(request.registry.settings["cagou.sessions.idle_minutes"]))


def warning_delay(request: Request) -> datetime.timedelta:
    return datetime.timedelta(minutes=float(request.registry.settings["cagou.sessions.warning_minutes"]))


def open_session(request: Request, account_id: int) -> LoginSession:
    """Start a new server-side session for ``account_id`` and give its token to the cookie."""
    token = secrets.token_urlsafe(32)
    now = request.find_service(IClock).now()
    session = LoginSession(
        id=digest(token),
        account_id=account_id,
        created_at=now,
        last_seen_at=now,
        address=request.client_addr,
        user_agent=(request.user_agent or "")[:512] or None,
    )
    request.db.add(session)
    request.session[TOKEN_KEY] = token
    return session


def _is_status_check(request: Request) -> bool:
    """Asking whether the session is about to expire must not keep it alive."""
    route = request.matched_route
    return request.method == "GET" and route is not None and route.name in STATUS_ROUTES


def current_session(request: Request) -> LoginSession | None:
    """The open session of this request, refreshed; None when absent, ended or expired."""
    token = request.session.get(TOKEN_KEY)
    if not token:
        return None
    found = request.db.scalars(SESSION_BY_ID, {"session_id": digest(str(token))})
    session: LoginSession | None = found.unique().first()
    if session is None or session.ended_at is not None:
        return None
    # The registered clock without the request's service container: a signed-in request that needs no
    # service (most of them read) no longer builds one.
    now = registered_clock(request.registry).now()
    if now - session.last_seen_at >= idle_limit(request):
        session.ended_at, session.end_reason = now, "inactivité"
        request.environ["cagou.session_expired"] = True
        return None
    if not _is_status_check(request) and now - session.last_seen_at >= TOUCH_EVERY:
        session.last_seen_at = now
    return session


def remaining(request: Request, session: LoginSession) -> datetime.timedelta:
    """How long the session lives without another request."""
    now: datetime.datetime = request.find_service(IClock).now()
    return session.last_seen_at + idle_limit(request) - now


def extend(request: Request, session: LoginSession) -> None:
    session.last_seen_at = request.find_service(IClock).now()


def end_session(request: Request, reason: str) -> None:
    """End this request's session, if any, and forget its token."""
    token = request.session.pop(TOKEN_KEY, None)
    if not token:
        return
    session = request.db.get(LoginSession, digest(str(token)))
    if session is not None and session.ended_at is None:
        session.ended_at, session.end_reason = request.find_service(IClock).now(), reason


def end_all_sessions(db: Session, account_id: int, now: datetime.datetime, reason: str) -> None:
    """End every open session of ``account_id``: each process sees it at its next request."""
    db.execute(
        sa.update(LoginSession)
        .where(LoginSession.account_id == account_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
