"""The key ring: the Fernet keys that encrypt the secrets stored in the database.

A text file outside the database (``cagou.secrets.keys``, mode 0600), one key
per line: the first key encrypts, every key decrypts, so that a rotation can
add a key, re-encrypt, and drop the old one afterwards. Lines starting with
``#`` are comments. The file is always replaced whole (written beside, then
renamed), so a process reading it never sees half a ring.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

HEADER = (
    "# Trousseau de clés des secrets de Cagou (réglage cagou.secrets.keys).\n"
    "# La première clé chiffre, toutes déchiffrent. À garder hors de la base de données\n"
    "# et de ses sauvegardes, lisible du seul service (mode 0600).\n"
)


class KeyRingError(Exception):
    """The key ring is missing, unreadable or malformed; the message is in French."""


def fingerprint(key: str) -> str:
    """A short name for a key that reveals nothing of it: the start of the SHA-256 of its bytes."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:16]


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


@dataclass(frozen=True)
class KeyRing:
    """The keys, the one that encrypts first."""

    keys: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("Le trousseau de clés ne contient aucune clé.")

    @functools.cached_property
    def fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in self.keys])

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(fingerprint(key) for key in self.keys)

    def with_new_key(self) -> KeyRing:
        """This ring with a new key in front: it encrypts from now on, the others still decrypt."""
        return KeyRing((new_key(), *self.keys))

    def without(self, key_fingerprint: str) -> KeyRing:
        return KeyRing(tuple(key for key in self.keys if fingerprint(key) != key_fingerprint))


def parse(text: str, path: Path) -> KeyRing:
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            Fernet(line)
        except ValueError as error:
            raise KeyRingError(
                f"Trousseau de clés {path}, ligne {number} : ce n'est pas une clé valable "
                "(32 octets en base64, comme en écrit « cagou secrets keygen »)."
            ) from error
        keys.append(line)
    if not keys:
        raise KeyRingError(f"Le trousseau de clés {path} ne contient aucune clé.")
    return KeyRing(tuple(keys))


def read(path: Path, production: bool = False) -> KeyRing:
    """The ring in ``path``; in production, a file that anybody may read is refused too."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except FileNotFoundError as error:
        raise KeyRingError(
            f"Trousseau de clés introuvable : {path} (réglage cagou.secrets.keys). Créez-le avec "
            "« cagou secrets keygen », ou remettez en place celui de cette instance : sans lui, "
            "les secrets enregistrés (seconds facteurs) ne peuvent pas être déchiffrés."
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise KeyRingError(f"Trousseau de clés illisible : {path} ({error}).") from error
    if production and mode & (stat.S_IROTH | stat.S_IWOTH):
        raise KeyRingError(
            f"Le trousseau de clés {path} est lisible par tous les comptes de la machine : "
            f"réservez-le au service (chmod 600 {path})."
        )
    return parse(text, path)


def write(path: Path, ring: KeyRing) -> None:
    """Replace the file with ``ring`` at once (mode 0600, as ``mkstemp`` creates it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as output:
            output.write(HEADER + "".join(f"{key}\n" for key in ring.keys))
            output.flush()
            os.fsync(output.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise


def create(path: Path) -> KeyRing:
    """A new ring of one key in ``path``, which must not exist yet."""
    if path.exists():
        raise KeyRingError(f"Le trousseau de clés {path} existe déjà : il est laissé tel quel.")
    ring = KeyRing((new_key(),))
    write(path, ring)
    return ring
