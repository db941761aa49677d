"""The platform's single audit log: complete, append-only and tamper-evident.

- **Writing** (:mod:`cagou.audit.services`): the core and every module write
  through ``IAuditLog`` — ``record`` in the request's transaction,
  ``record_read`` for reads of sensitive personal data, ``record_now`` for
  failed and refused attempts, which must stay although the request fails.
  Each entry carries who (account, kind, who really acted when impersonated),
  when, from where (address, user agent, request id), which module and
  action, which object, a French summary, the change itself, and the
  SHA-256 digest of all that (:mod:`cagou.audit.chain`), authenticated by
  an HMAC with a key the database does not hold (:mod:`cagou.audit.keys`,
  ``cagou.audit.keys``).
- **Chaining** (:mod:`cagou.audit.sealer`): writers only insert, so they never
  wait for each other; a sealer chains committed entries afterwards in
  ``audit_seal``, under its own lock, every minute from the worker. On
  PostgreSQL it seals only the entries of transactions older than the oldest
  one still running, so no entry can later appear before a sealed one.
- **Append-only**: the application never updates or deletes; the database
  refuses it too (triggers of migration ``0009_audit_chain``), except the
  retention purge.
- **Verifying and signing** (``cagou audit verify``, ``checkpoint``,
  :mod:`cagou.audit.verify`, :mod:`cagou.audit.checkpoints`): the keyed chain catches any entry
  modified, deleted, inserted, copied, moved or dated out of order;
  Ed25519-signed checkpoints kept outside the database catch the end of the
  chain cut off.
- **Retention** (``cagou audit purge``, ``cagou.audit.retention``, :mod:`cagou.audit.purge`): entries
  older than their module's retention go, tombstones and a signed checkpoint
  keep the rest of the chain verifiable.
- **Reading**: the IT console (:mod:`cagou.console.views`), and for agents the
  history of an object the owning module lets them see (:mod:`cagou.audit.views`,
  hook ``cagou_audit_object_visible``).
"""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from cagou.audit.keys import PURPOSE, AuditKeys, keys_path
from cagou.audit.retention import retention_rules
from cagou.audit.services import audit_log_factory
from cagou.contributions import INTRANET
from cagou.interfaces import IAuditLog
from cagou.secrets.keyring import KeyRingError, load
from cagou.settings import is_production


def check_retention(text: str) -> None:
    """Refuse a malformed ``cagou.audit.retention`` at start-up rather than at the first purge."""
    try:
        retention_rules(text)
    except ValueError as error:
        raise ConfigurationError(f"cagou.audit.retention : {error}") from error


def load_audit_keys(config: Configurator) -> None:
    settings = config.get_settings()
    path = keys_path(settings)
    try:
        ring = load(path, production=is_production(settings), purpose=PURPOSE)
    except KeyRingError as error:
        raise ConfigurationError(str(error)) from error
    config.registry["cagou.audit.keys"] = AuditKeys(path, ring)


def includeme(config: Configurator) -> None:
    check_retention(config.get_settings()["cagou.audit.retention"])
    load_audit_keys(config)
    config.register_service_factory(audit_log_factory, IAuditLog)
    config.add_site_route(INTRANET, "audit.object_history", "/journal/{object_type}/{object_id}")
    config.scan(".views")
