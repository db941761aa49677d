"""The second factor: a TOTP application on the phone, and single-use recovery codes.

Roles declared with ``requires_second_factor=True`` (the IT administrator's)
only count in a session where the person gave a code after the password. A
code is accepted for its own 30-second step or a neighbour (clock drift),
once: the step of the last accepted code is kept, so an intercepted code
cannot be replayed. Recovery codes are stored hashed and die when used.

The TOTP secret must be read back to compute codes, so it cannot be hashed:
it is stored encrypted with the key ring (``ISecrets``, ``cagou.secrets``)
and decrypted only to show it at enrolment and to check a code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

import pyotp
import segno
import sqlalchemy as sa
from pyramid.request import Request

from cagou.contributions import INTRANET
from cagou.identity.models import Account, LoginSession, RecoveryCode, SecondFactor
from cagou.interfaces import IClock, ISecrets

ISSUER = "Cagou – Province Sud"
RECOVERY_CODES = 10
RECOVERY_CODE_BITS = 80
#: Steps of 30 seconds accepted around the current one, for phones whose clock drifts.
DRIFT_STEPS = 1


def strong_roles(request: Request) -> frozenset[str]:
    """The roles that count only once the second factor is given."""
    roles: frozenset[str] = request.registry["cagou.strong_roles"]
    return roles


def needs_second_factor(request: Request, account: Account) -> bool:
    return any(grant.role in strong_roles(request) for grant in account.grants)


def awaits_second_factor(request: Request) -> bool:
    """A signed-in person whose roles need the second factor has not given it in this session."""
    session = request.login_session
    return (
        request.identity is not None
        and session is not None
        and session.second_factor_at is None
        and request.site == INTRANET
        and needs_second_factor(request, request.identity)
    )


def factor_of(request: Request, account: Account) -> SecondFactor | None:
    factor: SecondFactor | None = request.db.get(SecondFactor, account.id)
    return factor


def start_enrolment(request: Request, account: Account) -> SecondFactor:
    """A new, unconfirmed secret for ``account`` (replacing an unconfirmed one)."""
    factor = factor_of(request, account)
    if factor is None:
        factor = SecondFactor(account_id=account.id, last_time_step=0)
        request.db.add(factor)
    factor.secret = request.find_service(ISecrets).encrypt(pyotp.random_base32())
    factor.created_at = request.find_service(IClock).now()
    factor.confirmed_at = None
    return factor


def clear_secret(request: Request, factor: SecondFactor) -> str:
    """The TOTP secret in clear (base32), for the phone or to check a code.

    Raises ``cagou.secrets.SecretUnreadableError`` when the key ring does not decrypt it.
    """
    secret: str = request.find_service(ISecrets).decrypt(factor.secret)
    return secret


def qr_code(request: Request, factor: SecondFactor, account: Account) -> str:
    """The provisioning address as an SVG data URI, for the phone's camera."""
    uri = pyotp.TOTP(clear_secret(request, factor)).provisioning_uri(name=account.login, issuer_name=ISSUER)
    data_uri: str = segno.make(uri, error="m").svg_data_uri(scale=5, dark="#16325c")
    return data_uri


def accept_code(request: Request, factor: SecondFactor, code: str) -> bool:
    """True for a valid code never used before; remembers its step so it is not used again."""
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return False
    totp = pyotp.TOTP(clear_secret(request, factor))
    current = totp.timecode(request.find_service(IClock).now())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > factor.last_time_step and hmac.compare_digest(totp.generate_otp(step), digits):
            factor.last_time_step = step
            return True
    return False


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def recovery_code() -> str:
    """80 random bits in four groups of five hexadecimal digits: ``3f9a1-c07be-52d4e-a81f0``.

    Stored as a fast SHA-256, so the code itself must be beyond brute force
    for whoever copies the table (48 bits, the earlier length, were not).
    """
    digits = secrets.token_hex(RECOVERY_CODE_BITS // 8)
    return "-".join(digits[start : start + 5] for start in range(0, len(digits), 5))


def new_recovery_codes(request: Request, account: Account) -> list[str]:
    """Replace the account's recovery codes; the clear codes are shown once, never stored."""
    request.db.execute(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = [recovery_code() for _ in range(RECOVERY_CODES)]
    request.db.add_all(RecoveryCode(account_id=account.id, code_hash=_hash(code)) for code in codes)
    return codes


def use_recovery_code(request: Request, account: Account, code: str) -> bool:
    query = sa.select(RecoveryCode).where(
        RecoveryCode.account_id == account.id,
        RecoveryCode.code_hash == _hash(code.strip()),
        RecoveryCode.used_at.is_(None),
    )
    found = request.db.scalars(query).first()
    if found is None:
        return False
    found.used_at = request.find_service(IClock).now()
    return True


def remaining_recovery_codes(request: Request, account: Account) -> int:
    query = sa.select(sa.func.count()).where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
    return int(request.db.scalar(query) or 0)


def mark_session(request: Request, session: LoginSession) -> None:
    session.second_factor_at = request.find_service(IClock).now()


def roles_needing_second_factor(roles: Iterable[tuple[str, bool]]) -> frozenset[str]:
    return frozenset(name for name, strong in roles if strong)
