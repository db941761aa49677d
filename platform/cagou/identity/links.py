"""Single-use links mailed to people: confirm an address, choose a new password.

The token travels in the link only; the table keeps its SHA-256. A link dies
when it is used, when it expires, or when a newer link of the same purpose is
sent to the same account.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

import sqlalchemy as sa
from pyramid.request import Request

from cagou.identity.models import CHANGE_EMAIL, RESET_PASSWORD, VERIFY_EMAIL, Account, AccountLink
from cagou.interfaces import IClock

LIFETIMES = {
    VERIFY_EMAIL: datetime.timedelta(days=2),
    RESET_PASSWORD: datetime.timedelta(hours=1),
    CHANGE_EMAIL: datetime.timedelta(days=2),
}
MAXIMUM_TOKEN_LENGTH = 100


class LinkRefusedError(Exception):
    """The link cannot be used; ``str(error)`` says why, in French."""


def _digest(token: str, bound_to: str = "") -> str:
    # A link bound to a value (the new address of an address change) is stored under the digest of
    # both: the value travels in the link in clear, and a link whose value was altered is not found.
    return hashlib.sha256((f"{token}\n{bound_to}" if bound_to else token).encode()).hexdigest()


def issue(request: Request, account: Account, purpose: str, bound_to: str = "") -> str:
    """A new link token for ``account``, bound to ``bound_to`` if given; earlier unused links of that purpose die."""
    now = request.find_service(IClock).now()
    request.db.execute(
        sa.update(AccountLink)
        .where(AccountLink.account_id == account.id, AccountLink.purpose == purpose, AccountLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    request.db.add(
        AccountLink(
            id=_digest(token, bound_to),
            account_id=account.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    return token


def check(request: Request, token: str, purpose: str, bound_to: str = "") -> AccountLink:
    """The link behind ``token`` if it can still be used; raises LinkRefusedError otherwise."""
    if not token or len(token) > MAXIMUM_TOKEN_LENGTH:
        raise LinkRefusedError("Ce lien n'est pas valable : vérifiez que vous l'avez copié en entier.")
    link: AccountLink | None = request.db.get(AccountLink, _digest(token, bound_to))
    if link is None or link.purpose != purpose:
        raise LinkRefusedError("Ce lien n'est pas valable : vérifiez que vous l'avez copié en entier.")
    if link.used_at is not None:
        raise LinkRefusedError(
            "Ce lien a déjà servi ou a été remplacé par un lien plus récent : demandez-en un nouveau."
        )
    if link.expires_at <= request.find_service(IClock).now():
        raise LinkRefusedError("Ce lien a expiré : demandez-en un nouveau.")
    account = request.db.get(Account, link.account_id)
    if account is None or not account.active:
        raise LinkRefusedError("Ce lien n'est plus valable : le compte n'est pas actif.")
    return link


def consume(request: Request, token: str, purpose: str, bound_to: str = "") -> Account:
    """Use the link once; return its account. Raises LinkRefusedError when it cannot be used."""
    link = check(request, token, purpose, bound_to)
    link.used_at = request.find_service(IClock).now()
    account: Account = request.db.get_one(Account, link.account_id)
    return account
