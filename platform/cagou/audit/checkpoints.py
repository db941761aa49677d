"""Signed checkpoints of the audit chain, kept outside the database.

The chain proves that nothing changed *inside* the table, as long as nobody
rewrote the whole of it, hashes included. A checkpoint closes that gap: it is
the head of the chain (position and hash) signed with an Ed25519 key that is
not in the database, written as a small JSON file in a folder that the IT
team archives elsewhere (``cagou.audit.checkpoints``). Whoever rewrites the
table cannot produce the signature, so ``cagou audit verify`` catches the
rewrite at the first checkpoint the new table disagrees with.

A checkpoint also records where the kept part of the chain starts (after a
retention purge) and a digest of the positions the purges emptied
(tombstones), so that neither can be forged later. A purge writes one at
once; ``cagou audit checkpoint`` writes one whenever the IT team wants (daily,
from cron, is a good rhythm).

The private key file is created by ``cagou audit keygen`` (PKCS#8 PEM, mode
0600), its public key beside it (``.pub``); ``verify --public-key`` needs only
the latter.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "cagou-audit-checkpoint/1"
#: A checkpoint asked for by the IT team, or the one a purge writes.
PLAIN, PURGE = "checkpoint", "purge"


class SigningKeyError(Exception):
    """A key file is missing or unreadable; the message is in French."""


@dataclass(frozen=True)
class Checkpoint:
    """The state of the chain a checkpoint vouches for."""

    kind: str
    created_at: str
    position: int
    chain_hash: str
    kept_from: int
    previous_hash: str
    tombstones: int
    tombstones_digest: str

    def document(self) -> dict[str, Any]:
        return {"format": FORMAT, **self.__dict__}


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    path: Path
    valid: bool

    @property
    def label(self) -> str:
        return f"« {self.path.name} »"


def public_key_path(private_key_path: Path) -> Path:
    return private_key_path.with_name(private_key_path.name + ".pub")


def generate_key(path: Path, overwrite: bool = False) -> Path:
    """Create the private key file (0600) and its public key beside it; return the public one."""
    if path.exists() and not overwrite:
        raise SigningKeyError(f"La clé {path} existe déjà : elle n'est pas remplacée (option --force).")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as output:
        output.write(private)
    public_path = public_key_path(path)
    public_path.write_bytes(public)
    return public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as error:
        raise SigningKeyError(
            f"Clé de signature introuvable : {path} (créez-la avec « cagou audit keygen », "
            "réglage cagou.audit.signing_key)."
        ) from error
    except (OSError, ValueError, TypeError) as error:
        raise SigningKeyError(f"Clé de signature illisible : {path} ({error}).") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"La clé {path} n'est pas une clé Ed25519.")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key file, or the public half of a private key file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningKeyError(f"Clé publique introuvable ou illisible : {path}.") from error
    try:
        key: Any = (
            serialization.load_pem_private_key(data, password=None).public_key()
            if b"PRIVATE KEY" in data
            else serialization.load_pem_public_key(data)
        )
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"Clé publique illisible : {path} ({error}).") from error
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"La clé {path} n'est pas une clé Ed25519.")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def signed_bytes(document: dict[str, Any]) -> bytes:
    """What the signature covers: every field but the signature, canonical JSON."""
    fields = {name: value for name, value in document.items() if name != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write_checkpoint(folder: Path, key: Ed25519PrivateKey, checkpoint: Checkpoint) -> Path:
    """Sign ``checkpoint`` and write it in ``folder``, atomically; return the file written."""
    document = checkpoint.document()
    document["key"] = fingerprint(key.public_key())
    document["signature"] = base64.b64encode(key.sign(signed_bytes(document))).decode()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.fromisoformat(checkpoint.created_at).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{checkpoint.kind}-{stamp}-{checkpoint.position:012d}.json"
    partial = path.with_suffix(".partiel")
    partial.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def read_checkpoints(folder: Path, key: Ed25519PublicKey) -> list[SignedCheckpoint]:
    """Every checkpoint file of ``folder``, oldest first, each with its signature checked."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        signed = read_one(path, key)
        if signed is not None:
            found.append(signed)
    return sorted(found, key=lambda s: (s.checkpoint.position, s.checkpoint.created_at))


def read_one(path: Path, key: Ed25519PublicKey) -> SignedCheckpoint | None:
    """A checkpoint file; an unreadable one counts as badly signed."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            return None
        fields = {name: document[name] for name in Checkpoint.__dataclass_fields__}
        checkpoint = Checkpoint(**fields)
    except (OSError, ValueError, KeyError, TypeError):
        broken = Checkpoint(PLAIN, "", -1, "", 0, "", 0, "")
        return SignedCheckpoint(broken, path, valid=False)
    valid = False
    with contextlib.suppress(InvalidSignature, ValueError, TypeError):
        key.verify(base64.b64decode(document.get("signature", "")), signed_bytes(document))
        valid = True
    return SignedCheckpoint(checkpoint, path, valid)
