"""Key rings: files of keys kept outside the database, read again when they change.

A text file (mode 0600), one key per line, each 32 random bytes in URL-safe
base64 (the Fernet format): the first key is the one in use, every key is
still accepted, so that a rotation can add a key, rewrite, and drop the old
one afterwards. Lines starting with ``#`` are comments. The file is always
replaced whole (written beside, then renamed), so a process reading it never
sees half a ring.

Two rings use this format, each with its own :class:`Purpose`: the secrets'
(``cagou.secrets.keys``: Fernet keys that encrypt what the platform must read
back) and the audit log's (``cagou.audit.keys``: HMAC keys that authenticate
its entries, :mod:`cagou.audit.keys`). They are separate files because they
go to different people: whoever checks the audit log needs its keys, not the
keys of everybody's second factor.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purpose:
    """What a ring is for: its setting, the comment its file starts with, and what losing it costs."""

    setting: str
    header: str
    without_it: str
    create_command: str


SECRETS = Purpose(
    setting="cagou.secrets.keys",
    header=(
        "# Trousseau de clés des secrets de Cagou (réglage cagou.secrets.keys).\n"
        "# La première clé chiffre, toutes déchiffrent. À garder hors de la base de données\n"
        "# et de ses sauvegardes, lisible du seul service (mode 0600).\n"
    ),
    without_it="les secrets enregistrés (seconds facteurs) ne peuvent pas être déchiffrés",
    create_command="cagou secrets keygen",
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


def parse(text: str, path: Path, purpose: Purpose = SECRETS) -> KeyRing:
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
                f"(32 octets en base64, comme en écrit « {purpose.create_command} »)."
            ) from error
        keys.append(line)
    if not keys:
        raise KeyRingError(f"Le trousseau de clés {path} ne contient aucune clé.")
    return KeyRing(tuple(keys))


def read(path: Path, production: bool = False, purpose: Purpose = SECRETS) -> KeyRing:
    """The ring in ``path``; in production, a file that anybody may read is refused too."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except FileNotFoundError as error:
        raise KeyRingError(
            f"Trousseau de clés introuvable : {path} (réglage {purpose.setting}). Créez-le avec "
            f"« {purpose.create_command} », ou remettez en place celui de cette instance : sans lui, "
            f"{purpose.without_it}."
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise KeyRingError(f"Trousseau de clés illisible : {path} ({error}).") from error
    if production and mode & (stat.S_IROTH | stat.S_IWOTH):
        raise KeyRingError(
            f"Le trousseau de clés {path} est lisible par tous les comptes de la machine : "
            f"réservez-le au service (chmod 600 {path})."
        )
    return parse(text, path, purpose)


def write(path: Path, ring: KeyRing, purpose: Purpose = SECRETS) -> None:
    """Replace the file with ``ring`` at once (mode 0600, as ``mkstemp`` creates it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as output:
            output.write(purpose.header + "".join(f"{key}\n" for key in ring.keys))
            output.flush()
            os.fsync(output.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise


def create(path: Path, purpose: Purpose = SECRETS) -> KeyRing:
    """A new ring of one key in ``path``, which must not exist yet."""
    if path.exists():
        raise KeyRingError(f"Le trousseau de clés {path} existe déjà : il est laissé tel quel.")
    ring = KeyRing((new_key(),))
    write(path, ring, purpose)
    return ring


def load(path: Path, production: bool, purpose: Purpose = SECRETS) -> KeyRing:
    """The ring of ``path``; in development a missing ring is created (production refuses to start)."""
    if not production and not path.exists():
        ring = create(path, purpose)
        log.warning("Key ring created for development: %s", path)
        return ring
    return read(path, production=production, purpose=purpose)


def file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


class WatchedRing:
    """A ring as its file holds it now, for a running process.

    The file's identity (inode, size, modification time) is looked at before
    each use: a rotation run from the command line, or a ring copied from
    another machine, is seen by the running processes at once, without a
    restart. A ring that has become unreadable in the meantime is not taken:
    the process keeps the one it had and says so in its log.
    """

    def __init__(self, path: Path, ring: KeyRing, purpose: Purpose = SECRETS) -> None:
        self.path = path
        self.purpose = purpose
        self._ring = ring
        self._identity = file_identity(path)
        self._lock = threading.Lock()

    @property
    def ring(self) -> KeyRing:
        identity = file_identity(self.path)
        if identity is not None and identity != self._identity:
            with self._lock:
                try:
                    self._ring = read(self.path, purpose=self.purpose)
                except KeyRingError as error:
                    log.error("Key ring not reloaded, the previous one stays in use: %s", error)
                self._identity = identity
        return self._ring
