"""``cagou audit keys``: the HMAC keys that authenticate the audit log (``cagou.audit.keys``).

A key is never taken away while the log holds something it authenticated:
entries cannot be authenticated again (the log is append-only), so an old
key stays in the ring, checking only, until the retention purge has removed
the last entry it vouches for. The ring is written before anything is
recorded: a command that fails half-way leaves a ring that still checks
everything.
"""

from __future__ import annotations

import click

from cagou.audit.keys import PURPOSE, get_audit_keys, keys_in_use, keys_path
from cagou.cli import Environment, fail, pass_env
from cagou.interfaces import IAuditLog
from cagou.secrets import keyring
from cagou.secrets.keyring import KeyRing, KeyRingError


def described(counts: dict[str, int]) -> str:
    return ", ".join(f"{number} {label}" for label, number in counts.items()) or "rien"


@click.group("keys")
def keys_group() -> None:
    """Les clés qui authentifient le journal d'audit (cagou.audit.keys)."""


@keys_group.command("create")
@pass_env
def keys_create(env: Environment) -> None:
    """Créer le trousseau (à faire avant le premier démarrage en production)."""
    path = keys_path(env.settings)
    try:
        ring = keyring.create(path, PURPOSE)
    except KeyRingError as error:
        fail(str(error))
    click.echo(f"Trousseau des clés du journal d'audit créé : {path} (clé {ring.fingerprints[0]}).")
    click.echo(
        "Gardez-en une copie hors de la base de données et de ses sauvegardes : sans lui, le journal ne peut "
        "plus être vérifié."
    )


@keys_group.command("list")
@pass_env
def keys_list(env: Environment) -> None:
    """Lister les clés et ce que chacune authentifie ; statut 1 si le journal utilise une clé absente."""
    keys = get_audit_keys(env.registry)
    with env.transaction() as request:
        found = keys_in_use(request.db)
    click.echo(f"Trousseau {keys_path(env.settings)} :")
    for position, name in enumerate(keys.ring.fingerprints):
        role = "authentifie et vérifie" if position == 0 else "vérifie seulement"
        click.echo(f"  clé {name} ({role}) : {described(found.get(name, {}))}")
    missing = sorted(set(found) - set(keys.ring.fingerprints))
    for name in missing:
        click.echo(f"  clé {name} ABSENTE du trousseau : {described(found[name])}", err=True)
    if missing:
        raise SystemExit(1)


@keys_group.command("add")
@pass_env
def keys_add(env: Environment) -> None:
    """Ajouter une clé qui vérifie seulement (à copier sur chaque serveur avant « use »)."""
    keys = get_audit_keys(env.registry)
    added = keyring.new_key()
    keyring.write(keys_path(env.settings), KeyRing((*keys.ring.keys, added)), PURPOSE)
    name = keyring.fingerprint(added)
    with env.transaction() as request:
        request.find_service(IAuditLog).record(
            "core:audit:add-key", f"Clé {name} ajoutée au trousseau du journal d'audit (vérification seulement)."
        )
    click.echo(f"Clé {name} ajoutée. Copiez le trousseau sur chaque serveur, puis : cagou audit keys use {name}")


@keys_group.command("use")
@click.argument("fingerprint", required=False)
@pass_env
def keys_use(env: Environment, fingerprint: str | None) -> None:
    """Authentifier désormais avec la clé FINGERPRINT du trousseau (sans argument : une clé neuve)."""
    ring = get_audit_keys(env.registry).ring
    if fingerprint is None:
        rotated = ring.with_new_key()
    elif fingerprint in ring.fingerprints:
        rotated = KeyRing((ring.keys[ring.fingerprints.index(fingerprint)], *ring.without(fingerprint).keys))
    else:
        fail(f"Aucune clé du trousseau n'a l'empreinte « {fingerprint} » (voir : cagou audit keys list).")
    keyring.write(keys_path(env.settings), rotated, PURPOSE)
    name, previous = rotated.fingerprints[0], ring.fingerprints[0]
    with env.transaction() as request:
        request.find_service(IAuditLog).record(
            "core:audit:rotate-key",
            f"Le journal d'audit est désormais authentifié avec la clé {name} (auparavant {previous}).",
            changes={"before": {"key": previous}, "after": {"key": name}},
        )
    click.echo(f"Les nouvelles entrées sont authentifiées avec la clé {name} ; {previous} vérifie les anciennes.")


@keys_group.command("drop")
@click.argument("fingerprint")
@pass_env
def keys_drop(env: Environment, fingerprint: str) -> None:
    """Retirer la clé FINGERPRINT, si plus rien de ce que garde le journal n'en dépend."""
    ring = get_audit_keys(env.registry).ring
    if fingerprint not in ring.fingerprints:
        fail(f"Aucune clé du trousseau n'a l'empreinte « {fingerprint} » (voir : cagou audit keys list).")
    if ring.fingerprints[0] == fingerprint:
        fail(f"La clé {fingerprint} est celle qui authentifie : faites d'abord « cagou audit keys use ».")
    with env.transaction() as request:
        still = keys_in_use(request.db).get(fingerprint)
        if still:
            fail(
                f"La clé {fingerprint} authentifie encore {described(still)} du journal : elle doit rester au "
                "trousseau jusqu'à ce que la purge les ait retirés."
            )
        keyring.write(keys_path(env.settings), ring.without(fingerprint), PURPOSE)
        request.find_service(IAuditLog).record(
            "core:audit:drop-key", f"Clé {fingerprint} retirée du trousseau du journal d'audit."
        )
    click.echo(f"Clé {fingerprint} retirée du trousseau.")
