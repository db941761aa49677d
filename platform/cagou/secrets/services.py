"""The ``ISecrets`` service: encrypt and decrypt with the key ring, read again when its file changes.

Every process reads the ring at start-up, then sees a rotation at once
(:class:`cagou.secrets.keyring.WatchedRing`).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import InvalidToken
from zope.interface import implementer

from cagou.interfaces import ISecrets
from cagou.secrets.keyring import WatchedRing


class SecretUnreadableError(Exception):
    """No key of the ring decrypts a stored secret (wrong or lost key); the message is in French."""


@implementer(ISecrets)
class Secrets(WatchedRing):
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
