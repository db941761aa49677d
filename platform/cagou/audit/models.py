"""The audit log's tables: entries, and the chain that seals them.

``audit_entry`` holds one row per event, written by the request (or command)
that did the thing, with the SHA-256 ``digest`` of its own canonical content
(:func:`cagou.audit.chain.entry_digest`) and the HMAC that authenticates it
(:mod:`cagou.audit.keys`). ``audit_seal`` chains the entries:
the sealer gives each committed entry the next ``position`` and the hash of
the chain up to it. ``audit_purge`` and ``audit_tombstone`` record what the
retention purge removed, so that the chain stays verifiable without the
entries it deleted. Every table is append-only: the application only ever
inserts, and the database refuses updates and deletes outside a purge (see
the migration ``0009_audit_chain``).
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.db import Base
from cagou.db.types import UTCDateTime

#: An action, a change or an event: the default.
ACTION = "action"
#: A read of sensitive personal data, recorded where the module says so.
READ = "read"
#: A failed or refused attempt (wrong password, permission refused).
REFUSED = "refused"
CATEGORY_LABELS = {
    ACTION: "Action",
    READ: "Lecture de données sensibles",
    REFUSED: "Tentative refusée",
}


class AuditEntry(Base):
    """One event: when, who (and who really acted), from where, which module, what, on which object."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_occurred_at", "occurred_at"),
        sa.Index("ix_audit_entry_object", "object_type", "object_id"),
        sa.Index("ix_audit_entry_actor_login", "actor_login"),
        sa.Index("ix_audit_entry_xid", "xid"),
        sa.Index("ix_audit_entry_nonce", "nonce", unique=True),
        # Identifiers are never reused on SQLite, even after a purge emptied the end of the table.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    # No foreign key: the log outlives accounts, and an entry written on its own
    # connection must not wait for the account row of an unfinished transaction.
    actor_id: Mapped[int | None]
    actor_login: Mapped[str | None] = mapped_column(sa.String(120))
    actor_kind: Mapped[str | None] = mapped_column(sa.String(16))
    #: Who really acted, when an IT administrator acted as ``actor``.
    impersonator_id: Mapped[int | None]
    impersonator_login: Mapped[str | None] = mapped_column(sa.String(120))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    module: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[str] = mapped_column(sa.String(16))
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(128))
    summary: Mapped[str] = mapped_column(sa.Text)
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: SHA-256 (hex) of the canonical content above, computed by the writer.
    digest: Mapped[str] = mapped_column(sa.String(64))
    #: PostgreSQL: the writing transaction's id, stamped by a trigger; the
    #: sealer waits until no older transaction runs. NULL on SQLite.
    xid: Mapped[int | None] = mapped_column(sa.BigInteger, server_default=sa.FetchedValue())
    # The three columns below are NULL only on entries written before the log was authenticated
    # (migration 0010_audit_authentication), which only unkeyed links of the chain may seal.
    #: 16 random bytes (hex) chosen by the writer: one row per nonce.
    nonce: Mapped[str | None] = mapped_column(sa.String(32))
    #: The fingerprint of the key of ``cagou.audit.keys`` that authenticated the entry.
    mac_key: Mapped[str | None] = mapped_column(sa.String(16))
    #: HMAC-SHA-256 (hex) of the nonce and the digest.
    mac: Mapped[str | None] = mapped_column(sa.String(64))


class AuditSeal(Base):
    """An entry's place in the chain: position, its digest, and the chain's hash up to it."""

    __tablename__ = "audit_seal"

    position: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(unique=True)
    digest: Mapped[str] = mapped_column(sa.String(64))
    chain_hash: Mapped[str] = mapped_column(sa.String(64))
    #: PostgreSQL: every entry of a transaction older than this was sealed by this run.
    horizon: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The key whose HMAC ``chain_hash`` is; NULL for the plain SHA-256 links sealed before the log was
    #: authenticated, which may only come before the first keyed link.
    mac_key: Mapped[str | None] = mapped_column(sa.String(16))


class AuditPurge(Base):
    """One retention purge: where the kept part of the chain starts, and the hash before it."""

    __tablename__ = "audit_purge"

    id: Mapped[int] = mapped_column(primary_key=True)
    purged_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    kept_from: Mapped[int] = mapped_column(sa.BigInteger)
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    removed: Mapped[int]
    mac_key: Mapped[str | None] = mapped_column(sa.String(16))
    mac: Mapped[str | None] = mapped_column(sa.String(64))


class AuditTombstone(Base):
    """A position of the chain whose entry the retention purge deleted."""

    __tablename__ = "audit_tombstone"

    position: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    purge_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_purge.id"))
    mac_key: Mapped[str | None] = mapped_column(sa.String(16))
    mac: Mapped[str | None] = mapped_column(sa.String(64))
