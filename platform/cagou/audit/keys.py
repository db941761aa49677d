"""The audit log's keys: HMAC keys, outside the database, that authenticate what the application writes.

Whoever can write to the database can compute the public SHA-256 of an
entry, but not an HMAC without the key. So the application authenticates,
with the first key of the ring ``cagou.audit.keys``:

- each **entry**, when it is written: ``HMAC(key, nonce ‖ digest)``, where
  the nonce is 16 random bytes stored with the entry, unique in the table.
  The digest covers the content (:mod:`cagou.audit.chain`); the nonce ties
  the entry to one row, so a copy of a real entry under a new number carries
  the same nonce and is named;
- each **link** of the chain, when the sealer seals: the link's hash is an
  HMAC instead of a plain SHA-256, so nobody can rebuild the chain after
  removing or inserting an entry;
- each **tombstone** and each **purge**, so that a deletion cannot be passed
  off as a purge.

Each of them stores the fingerprint of the key that authenticated it (its
``mac_key``): a rotation puts a new key first and keeps the old ones, which
still check what they authenticated. The file has the format of the secrets'
ring (:mod:`cagou.secrets.keyring`); in development a missing ring is created
at start-up, production refuses to start without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pyramid.registry import Registry
from sqlalchemy.orm import Session

from cagou.audit.models import AuditEntry, AuditPurge, AuditSeal, AuditTombstone
from cagou.secrets.keyring import KeyRing, Purpose, WatchedRing, fingerprint

PURPOSE = Purpose(
    setting="cagou.audit.keys",
    header=(
        "# Clés d'authentification du journal d'audit de Cagou (réglage cagou.audit.keys).\n"
        "# La première authentifie les nouvelles entrées, toutes vérifient les anciennes : n'en retirez\n"
        "# aucune tant que le journal garde des entrées qu'elle authentifie. À garder hors de la base\n"
        "# de données et de ses sauvegardes, lisible du seul service (mode 0600).\n"
    ),
    without_it="les entrées du journal d'audit ne peuvent plus être authentifiées",
    create_command="cagou audit keys create",
)

ENTRY = b"cagou-audit-entry/1\x00"
LINK = b"cagou-audit-link/1\x00"
TOMBSTONE = b"cagou-audit-tombstone/1\x00"
PURGE = b"cagou-audit-purge/1\x00"


def new_nonce() -> str:
    return os.urandom(16).hex()


def integer(value: int) -> bytes:
    return value.to_bytes(8, "big")


@dataclass(frozen=True)
class MacKeys:
    """The HMAC keys of a ring, by fingerprint; the first authenticates."""

    ring: KeyRing
    by_fingerprint: dict[str, bytes] = field(init=False)
    #: The fingerprint of the key that authenticates, computed once: every entry written asks for it.
    current: str = field(init=False)

    def __post_init__(self) -> None:
        keys = {fingerprint(key): base64.urlsafe_b64decode(key) for key in self.ring.keys}
        object.__setattr__(self, "by_fingerprint", keys)
        object.__setattr__(self, "current", fingerprint(self.ring.keys[0]))

    def mac(self, message: bytes, key_id: str | None = None) -> str:
        """The HMAC-SHA-256 (hex) of ``message`` with key ``key_id`` (the current one by default)."""
        key = self.by_fingerprint[key_id or self.current]
        return hmac.digest(key, message, hashlib.sha256).hex()

    def knows(self, key_id: str | None) -> bool:
        return key_id is not None and key_id in self.by_fingerprint

    def check(self, message: bytes, key_id: str, mac: str | None) -> bool:
        """Whether ``mac`` authenticates ``message`` with key ``key_id`` (which must be known)."""
        return mac is not None and hmac.compare_digest(self.mac(message, key_id), mac)


def entry_message(nonce: str, digest: str) -> bytes:
    return ENTRY + bytes.fromhex(nonce) + bytes.fromhex(digest)


def authenticate(values: dict[str, Any], keys: MacKeys) -> None:
    """Give a new entry, whose ``digest`` is computed, its nonce and its HMAC by the current key."""
    nonce = new_nonce()
    values["nonce"] = nonce
    values["mac_key"] = keys.current
    values["mac"] = keys.mac(entry_message(nonce, values["digest"]))


def link_message(previous: str, position: int, entry_id: int, digest: str) -> bytes:
    return LINK + bytes.fromhex(previous) + integer(position) + integer(entry_id) + bytes.fromhex(digest)


def tombstone_message(position: int, purge_id: int) -> bytes:
    return TOMBSTONE + integer(position) + integer(purge_id)


def purge_message(values: Mapping[Any, Any]) -> bytes:
    """A purge record: its number, where the kept chain starts, the hash before it, how many went."""
    return (
        PURGE
        + integer(values["id"])
        + integer(values["kept_from"])
        + bytes.fromhex(values["previous_hash"])
        + integer(values["removed"])
    )


class AuditKeys(WatchedRing):
    """The ring of ``cagou.audit.keys`` for a running process; a rotation reaches it at once."""

    def __init__(self, path: Path, ring: KeyRing) -> None:
        super().__init__(path, ring, PURPOSE)
        self._keys = MacKeys(ring)

    @property
    def keys(self) -> MacKeys:
        ring = self.ring
        if ring is not self._keys.ring:
            self._keys = MacKeys(ring)
        return self._keys


def keys_path(settings: Mapping[str, Any]) -> Path:
    return Path(str(settings[PURPOSE.setting]))


def get_audit_keys(registry: Registry) -> MacKeys:
    """The audit log's keys as the ring's file holds them now."""
    keys: AuditKeys = registry["cagou.audit.keys"]
    return keys.keys


#: What a key may authenticate, each with how it is named in French.
AUTHENTICATED = (
    (AuditEntry, "entrée(s)"),
    (AuditSeal, "maillon(s)"),
    (AuditTombstone, "trace(s) de purge"),
    (AuditPurge, "purge(s)"),
)


def keys_in_use(db: Session) -> dict[str, dict[str, int]]:
    """For each key fingerprint the log refers to, how many rows of each kind it authenticates."""
    found: dict[str, dict[str, int]] = {}
    for model, label in AUTHENTICATED:
        rows = db.execute(
            sa.select(model.mac_key, sa.func.count()).where(model.mac_key.is_not(None)).group_by(model.mac_key)
        )
        for key_id, number in rows:
            found.setdefault(str(key_id), {})[label] = number
    return found
