"""Secrets at rest: what the platform must read back is stored encrypted, with keys kept outside the database.

- **The key ring** (:mod:`cagou.secrets.keyring`): a file of Fernet keys
  (``cagou.secrets.keys``, mode 0600), the first encrypts, all decrypt. In
  development a missing ring is created at start-up; production refuses to
  start without it.
- **The service** ``ISecrets`` (:mod:`cagou.secrets.services`): ``encrypt`` and
  ``decrypt``, for the core and the modules; it reads the ring again when the
  file changes, so a rotation reaches running processes at once.
- **The stored secrets** (:mod:`cagou.secrets.stored`): every column of type
  ``cagou.db.types.Encrypted``, found in the models, so a module declares its
  secrets by the type of its column. The web application refuses to start
  when the ring does not decrypt them (:func:`check_stored_secrets`).
- **The commands** (:mod:`cagou.secrets.commands`): ``cagou secrets keygen``,
  ``keys``, ``rotate``, ``drop`` and ``forget``, audited.

What is hashed (passwords, session and API tokens, recovery codes, mailed
links) only needs checking and is not here.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.registry import Registry
from sqlalchemy.orm import Session

from cagou.db import get_engine
from cagou.interfaces import ISecrets
from cagou.secrets.keyring import KeyRingError, load
from cagou.secrets.services import Secrets, SecretUnreadableError, keys_path
from cagou.secrets.stored import first_unreadable
from cagou.settings import is_production

__all__ = ["SecretUnreadableError", "check_stored_secrets", "get_secrets"]

log = logging.getLogger(__name__)


def get_secrets(registry: Registry) -> Secrets:
    """The ``ISecrets`` service, for work outside a request (migrations, commands)."""
    secrets: Secrets = registry["cagou.secrets"]
    return secrets


def check_stored_secrets(registry: Registry) -> None:
    """Refuse to go on when the key ring does not decrypt the secrets in the database.

    One secret per encrypted column is tried. A database that cannot be
    reached, or is not migrated yet, is left to the platform's own checks.
    """
    secrets = get_secrets(registry)
    engine = get_engine(registry)
    try:
        with Session(engine) as db:
            present = set(sa.inspect(db.connection()).get_table_names())
            unreadable = first_unreadable(db, secrets.ring, tables=present)
    except sa.exc.DBAPIError as error:
        log.warning("Stored secrets not checked, the database did not answer: %s", error)
        return
    finally:
        # Connections opened here must not be inherited by forked server processes.
        engine.dispose()
    if unreadable is not None:
        raise ConfigurationError(
            f"Le trousseau de clés {secrets.path} (réglage cagou.secrets.keys) ne déchiffre pas les secrets "
            f"enregistrés dans la base (par exemple {unreadable.where}) : ce n'est pas le trousseau de cette "
            "instance, ou une clé encore nécessaire en a été retirée. Remettez en place le bon trousseau ; "
            "s'il est perdu, « cagou secrets forget » efface les secrets illisibles (voir docs/secrets.md)."
        )


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    path = keys_path(settings)
    try:
        ring = load(path, production=is_production(settings))
    except KeyRingError as error:
        raise ConfigurationError(str(error)) from error
    secrets = Secrets(path, ring)
    config.registry["cagou.secrets"] = secrets
    config.register_service(secrets, ISecrets)
