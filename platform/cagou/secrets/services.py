"""The ``ISecrets`` service: encrypt and decrypt with the key ring, read again when its file changes.

Every process reads the ring at start-up, then looks at the file's identity
(inode, size, modification time) before each use: a rotation run from the
command line, or a ring copied from another machine, is seen by the running
processes at once, without a restart. A ring that has become unreadable in the
meantime is not taken: the process keeps the one it had and says so in its log.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from cryptography.fernet import InvalidToken
from zope.interface import implementer

from cagou.interfaces import ISecrets
from cagou.secrets import keyring
from cagou.secrets.keyring import KeyRing, KeyRingError

log = logging.getLogger(__name__)


class SecretUnreadableError(Exception):
    """No key of the ring decrypts a stored secret (wrong or lost key); the message is in French."""


def file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


@implementer(ISecrets)
class Secrets:
    def __init__(self, path: Path, ring: KeyRing) -> None:
        self.path = path
        self._ring = ring
        self._identity = file_identity(path)
        self._lock = threading.Lock()

    @property
    def ring(self) -> KeyRing:
        """The ring as the file holds it now."""
        identity = file_identity(self.path)
        if identity is not None and identity != self._identity:
            with self._lock:
                try:
                    self._ring = keyring.read(self.path)
                except KeyRingError as error:
                    log.error("Key ring not reloaded, the previous one stays in use: %s", error)
                self._identity = identity
        return self._ring

    def encrypt(self, text: str) -> str:
        return self.ring.fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self.ring.fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as error:
            raise SecretUnreadableError(
                f"Aucune clé du trousseau {self.path} ne déchiffre ce secret : le trousseau n'est pas "
                "celui de cette instance, ou la clé qui l'a chiffré en a été retirée."
            ) from error

    def reencrypt(self, token: str) -> str:
        """``token`` encrypted again with the first key of the ring."""
        try:
            return self.ring.fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as error:
            raise SecretUnreadableError(f"Aucune clé du trousseau {self.path} ne déchiffre ce secret.") from error


def keys_path(settings: dict[str, object]) -> Path:
    return Path(str(settings["cagou.secrets.keys"]))


def load(path: Path, production: bool) -> KeyRing:
    """The ring of ``path``; in development a missing ring is created (production refuses to start)."""
    if not production and not path.exists():
        ring = keyring.create(path)
        log.warning("Key ring created for development: %s", path)
        return ring
    return keyring.read(path, production=production)
