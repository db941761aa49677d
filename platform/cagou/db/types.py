"""Column types shared by every model."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime.datetime]):
    """An instant, stored in UTC and always read back timezone-aware.

    SQLite keeps no time zone, so values are normalised to UTC on the way in
    and marked UTC on the way out; PostgreSQL stores ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Instants must be timezone-aware (use the clock service).")
        return value.astimezone(datetime.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        instant: datetime.datetime = value
        if instant.tzinfo is None:
            return instant.replace(tzinfo=datetime.UTC)
        return instant.astimezone(datetime.UTC)


#: Every Fernet token starts with its version byte, 0x80, which base64 writes ``gAAAAA``.
FERNET_PREFIX = "gAAAAA"


def is_encrypted(value: str) -> bool:
    """True for what ``ISecrets.encrypt`` returns (a Fernet token), false for clear text."""
    return value.startswith(FERNET_PREFIX) and value.isascii() and len(value) >= 100


class Encrypted(sa.types.TypeDecorator[str]):
    """A secret encrypted with ``ISecrets``: the column holds Fernet tokens, never clear text.

    The type does not encrypt by itself: the key ring lives in the
    application's registry, which a column type cannot reach, so the code
    that keeps a secret calls ``request.find_service(ISecrets).encrypt(...)``
    and, to use it, ``.decrypt(...)``, in plain sight. The type refuses to
    store anything else than such a token, so a forgotten ``encrypt`` fails
    at the first test; and it marks the column, so that ``cagou secrets
    rotate`` finds every secret of the core and of the modules to re-encrypt.

    A nullable column keeps its row when the key is lost (``cagou secrets
    forget`` empties it); a row whose encrypted column is required is deleted
    then (a second factor: its holder enrols again).
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and not is_encrypted(value):
            raise ValueError("An Encrypted column only stores what ISecrets.encrypt returns, never clear text.")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)
