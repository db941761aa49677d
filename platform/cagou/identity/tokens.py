"""Personal API tokens: ``Authorization: Bearer cagou_…`` on the JSON API.

A token acts for its owner, but only within the permissions chosen as its
scopes when it was made (never more than the owner held then), until it
expires or is revoked. A request that carries a token carries no cookie, so
it is not subject to the CSRF check; a browser cannot add such a header to a
forged cross-site request.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

import sqlalchemy as sa
from pyramid.request import Request

from cagou.identity.models import Account, ApiToken
from cagou.interfaces import IClock

PREFIX = "cagou_"
MAXIMUM_DAYS = 365
MAXIMUM_TOKEN_LENGTH = 100


#: How precisely a token's last use is kept.
LAST_USE_PRECISION = datetime.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request has one."""
    header: str = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()[:MAXIMUM_TOKEN_LENGTH]


def issue(request: Request, account: Account, name: str, scopes: list[str], days: int) -> tuple[ApiToken, str]:
    """A new token for ``account``; the clear token is returned once and never stored."""
    clear = PREFIX + secrets.token_urlsafe(32)
    now = request.find_service(IClock).now()
    token = ApiToken(
        account_id=account.id,
        name=name,
        token_hash=_digest(clear),
        prefix=clear[: len(PREFIX) + 6],
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    request.db.add(token)
    request.db.flush()
    return token, clear


def find_usable(request: Request, clear: str) -> ApiToken | None:
    """The live token behind ``clear`` (not expired, not revoked), marked as used now."""
    if not clear.startswith(PREFIX):
        return None
    query = sa.select(ApiToken).where(ApiToken.token_hash == _digest(clear))
    token: ApiToken | None = request.db.scalars(query).first()
    now = request.find_service(IClock).now()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    # To the minute, as the tokens page shows it: a program's every request need not write the row.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        token.last_used_at = now
    return token


def tokens_of(request: Request, account: Account) -> list[ApiToken]:
    query = sa.select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.created_at.desc())
    return list(request.db.scalars(query))
