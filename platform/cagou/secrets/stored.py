"""The secrets stored in the database, wherever a model keeps one: found, checked, re-encrypted, forgotten.

Every column of type :class:`cagou.db.types.Encrypted`, in the core's models
and in every installed module's, holds secrets: nothing else needs declaring.
Each operation below works on all of them in the caller's transaction, so a
rotation re-encrypts everything or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
import zope.sqlalchemy
from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy.orm import Session

from cagou.db import Base
from cagou.db.types import Encrypted, is_encrypted
from cagou.secrets.keyring import KeyRing
from cagou.secrets.services import Secrets, SecretUnreadableError


def encrypted_columns() -> list[sa.Column[str]]:
    """Every ``Encrypted`` column of the models loaded (the core's and the installed modules')."""
    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Encrypted)
    ]


def label(column: sa.Column[str]) -> str:
    return f"{column.table.name}.{column.name}"


@dataclass(frozen=True)
class StoredSecret:
    column: sa.Column[str]
    key: dict[str, object]
    token: str

    @property
    def where(self) -> str:
        row = ", ".join(f"{name}={value}" for name, value in self.key.items())
        return f"{label(self.column)} ({row})"


def stored_secrets(
    db: Session, lock: bool = False, tables: set[str] | None = None, per_column: int | None = None
) -> Iterator[StoredSecret]:
    """Every secret stored (or the first ``per_column`` of each column).

    ``lock`` holds their rows until the transaction ends (PostgreSQL); only
    the columns of ``tables`` are read, when given (the tables that exist yet).
    """
    for column in encrypted_columns():
        table = column.table
        if tables is not None and table.name not in tables:
            continue
        primary = list(table.primary_key.columns)
        query = sa.select(*primary, column).where(column.is_not(None)).order_by(*primary).limit(per_column)
        if lock and db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        for row in db.execute(query):
            *key, token = row
            yield StoredSecret(column, {c.name: value for c, value in zip(primary, key, strict=True)}, token)


def _row(secret: StoredSecret) -> sa.ColumnElement[bool]:
    table = secret.column.table
    return sa.and_(*(table.c[name] == value for name, value in secret.key.items()))


def readable(fernet: MultiFernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def first_unreadable(
    db: Session, ring: KeyRing, every: bool = False, tables: set[str] | None = None
) -> StoredSecret | None:
    """A stored secret that no key of ``ring`` decrypts, or None.

    At start-up (``every=False``) the first secret of each column is tried,
    which tells a wrong ring from the right one at the cost of one small
    query per column; ``every=True`` tries them all, before a key is dropped.
    Clear text left by a database not migrated yet is skipped: its migration
    encrypts it.
    """
    fernet = ring.fernet
    for secret in stored_secrets(db, tables=tables, per_column=None if every else 1):
        if is_encrypted(secret.token) and not readable(fernet, secret.token):
            return secret
    return None


@dataclass
class Counts:
    """How many secrets each column holds, and how many each key decrypts."""

    per_column: dict[str, int] = field(default_factory=dict)
    per_key: dict[str, int] = field(default_factory=dict)
    unreadable: int = 0

    @property
    def total(self) -> int:
        return sum(self.per_column.values())


def count(db: Session, secrets: Secrets) -> Counts:
    ring = secrets.ring
    alone = {name: KeyRing((key,)).fernet for key, name in zip(ring.keys, ring.fingerprints, strict=True)}
    counts = Counts(per_key=dict.fromkeys(alone, 0))
    for column in encrypted_columns():
        counts.per_column[label(column)] = 0
    for secret in stored_secrets(db):
        counts.per_column[label(secret.column)] += 1
        opened_by = [name for name, fernet in alone.items() if readable(fernet, secret.token)]
        for name in opened_by:
            counts.per_key[name] += 1
        if not opened_by:
            counts.unreadable += 1
    return counts


def reencrypt_all(db: Session, secrets: Secrets) -> dict[str, int]:
    """Encrypt every stored secret again with the first key of the ring; how many per column.

    Raises ``SecretUnreadableError`` naming the first secret that no key
    decrypts: the caller's transaction then rolls back, nothing is changed.
    Each row is updated only if it still holds what was read, so a secret
    changed meanwhile (a person enrolling again) is never overwritten.
    """
    done = {label(column): 0 for column in encrypted_columns()}
    for secret in list(stored_secrets(db, lock=True)):
        try:
            token = secrets.reencrypt(secret.token)
        except SecretUnreadableError as error:
            raise SecretUnreadableError(f"{error} Secret concerné : {secret.where}.") from error
        table = secret.column.table
        statement = sa.update(table).where(_row(secret), secret.column == secret.token).values({secret.column: token})
        done[label(secret.column)] += db.connection().execute(statement).rowcount
    zope.sqlalchemy.mark_changed(db)
    return done


def forget_unreadable(db: Session, secrets: Secrets) -> dict[str, int]:
    """Empty the secrets no key decrypts (a lost key); a row whose secret is required goes. How many per column."""
    done = {label(column): 0 for column in encrypted_columns()}
    fernet = secrets.ring.fernet
    for secret in list(stored_secrets(db, lock=True)):
        if readable(fernet, secret.token):
            continue
        table = secret.column.table
        if secret.column.nullable:
            statement: sa.Executable = sa.update(table).where(_row(secret)).values({secret.column: None})
        else:
            statement = sa.delete(table).where(_row(secret))
        db.execute(statement)
        done[label(secret.column)] += 1
    zope.sqlalchemy.mark_changed(db)
    return done
