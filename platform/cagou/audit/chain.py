"""The hashes of the audit chain: an entry's digest, and each link of the chain.

An entry's **digest** is the SHA-256 of its canonical content: a JSON object
of the fields below with sorted keys, no spaces, UTF-8, instants in UTC ISO
8601 with microseconds. The writer computes it before inserting; whoever
recomputes it later from the stored row gets the same bytes, on SQLite and
PostgreSQL alike (``changes`` is normalised through JSON first, so what is
stored is what was hashed). The row's ``id`` is not part of it (the writer
does not know it yet); the chain binds it instead.

A link of the **chain** is ``SHA-256(previous hash ‖ position ‖ entry id ‖
digest)``, positions and ids as 8-byte big-endian integers. The first link
follows :data:`GENESIS`; after a purge, the first kept link follows the hash
that the purge recorded. Changing, removing, inserting or moving one entry
or one link changes every hash after it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: The fields an entry's digest covers, in the order they are read.
DIGEST_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_login",
    "actor_kind",
    "impersonator_id",
    "impersonator_login",
    "address",
    "user_agent",
    "request_id",
    "module",
    "action",
    "category",
    "object_type",
    "object_id",
    "summary",
    "changes",
)
#: The hash "before" the first entry of a chain that was never purged.
GENESIS = hashlib.sha256(b"cagou-audit-chain/1").hexdigest()
#: Bumped if the canonical form ever changes, so old digests stay checkable.
CANONICAL_VERSION = 1


def normalize_changes(changes: Any) -> Any:
    """``changes`` as it will read back from a JSON column (tuples become lists, keys strings)."""
    if changes is None:
        return None
    return json.loads(json.dumps(changes, ensure_ascii=False, default=str))


def instant_text(instant: datetime.datetime) -> str:
    return instant.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def canonical_content(values: Mapping[Any, Any]) -> bytes:
    """The bytes an entry's digest is computed on."""
    content: dict[str, Any] = {name: values[name] for name in DIGEST_FIELDS}
    content["occurred_at"] = instant_text(values["occurred_at"])
    content["v"] = CANONICAL_VERSION
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_digest(values: Mapping[Any, Any]) -> str:
    """The SHA-256 (hex) of an entry's canonical content."""
    return hashlib.sha256(canonical_content(values)).hexdigest()


def link_hash(previous: str, position: int, entry_id: int, digest: str) -> str:
    """The chain's hash at ``position``, from the hash before it and the entry sealed there."""
    data = bytes.fromhex(previous) + position.to_bytes(8, "big") + entry_id.to_bytes(8, "big") + bytes.fromhex(digest)
    return hashlib.sha256(data).hexdigest()


def positions_digest(positions: list[int]) -> str:
    """A digest of a set of positions (the tombstones a checkpoint vouches for)."""
    hasher = hashlib.sha256()
    for position in sorted(positions):
        hasher.update(position.to_bytes(8, "big"))
    return hasher.hexdigest()
