"""``cagou secrets``: create the key ring, list its keys, rotate them, drop an old one, forget what a lost key held.

Added to the ``cagou`` command through the core's ``cagou_cli_commands``
hook (:mod:`cagou.secrets.hooks`). The ring is written before the database
changes, never after: if the re-encryption fails, the ring still holds every
key the stored secrets need.
"""

from __future__ import annotations

import click

from cagou.cli import Environment, fail, pass_env
from cagou.interfaces import IAuditLog
from cagou.secrets import SecretUnreadableError, get_secrets, keyring
from cagou.secrets.keyring import KeyRing, KeyRingError
from cagou.secrets.services import keys_path
from cagou.secrets.stored import count, first_unreadable, forget_unreadable, reencrypt_all


def detail(per_column: dict[str, int]) -> str:
    return ", ".join(f"{column} : {number}" for column, number in sorted(per_column.items())) or "aucune colonne"


@click.group("secrets")
def secrets_group() -> None:
    """Le trousseau de clés qui chiffre les secrets enregistrés (cagou.secrets.keys)."""


@secrets_group.command("keygen")
@pass_env
def secrets_keygen(env: Environment) -> None:
    """Créer le trousseau de clés (à faire avant le premier démarrage en production)."""
    path = keys_path(env.settings)
    try:
        ring = keyring.create(path)
    except KeyRingError as error:
        fail(str(error))
    click.echo(f"Trousseau de clés créé : {path} (clé {ring.fingerprints[0]}).")
    click.echo(
        "Gardez-en une copie hors de la base de données et de ses sauvegardes : sans lui, les secrets sont perdus."
    )


@secrets_group.command("keys")
@pass_env
def secrets_keys(env: Environment) -> None:
    """Lister les clés du trousseau et les secrets que chacune déchiffre ; statut 1 si un secret est illisible."""
    secrets = get_secrets(env.registry)
    with env.transaction() as request:
        counts = count(request.db, secrets)
    click.echo(f"Trousseau {secrets.path} ; secrets enregistrés : {counts.total} ({detail(counts.per_column)}).")
    for position, name in enumerate(secrets.ring.fingerprints):
        role = "chiffre et déchiffre" if position == 0 else "déchiffre seulement"
        click.echo(f"  clé {name} ({role}) : {counts.per_key[name]} secret(s)")
    if counts.unreadable:
        click.echo(
            f"{counts.unreadable} secret(s) illisible(s) : aucune clé ne les déchiffre (cagou secrets forget).",
            err=True,
        )
        raise SystemExit(1)


@secrets_group.command("add-key")
@pass_env
def secrets_add_key(env: Environment) -> None:
    """Ajouter une clé qui déchiffre seulement (à copier sur chaque serveur avant « rotate --to »)."""
    secrets = get_secrets(env.registry)
    ring = secrets.ring
    added = keyring.new_key()
    keyring.write(secrets.path, KeyRing((*ring.keys, added)))
    name = keyring.fingerprint(added)
    with env.transaction() as request:
        request.find_service(IAuditLog).record(
            "core:secrets:add-key", f"Clé {name} ajoutée au trousseau des secrets (déchiffrement seulement)."
        )
    click.echo(f"Clé {name} ajoutée à {secrets.path}. Copiez le trousseau sur chaque serveur, puis :")
    click.echo(f"cagou secrets rotate --to {name}")


@secrets_group.command("rotate")
@click.option("--to", "target", default=None, help="Empreinte d'une clé déjà au trousseau (sinon une clé neuve).")
@pass_env
def secrets_rotate(env: Environment, target: str | None) -> None:
    """Chiffrer tous les secrets avec une nouvelle clé, en une transaction ; l'ancienne reste au trousseau."""
    secrets = get_secrets(env.registry)
    ring = secrets.ring
    if target is None:
        rotated = ring.with_new_key()
    elif target in ring.fingerprints:
        key = ring.keys[ring.fingerprints.index(target)]
        rotated = KeyRing((key, *ring.without(target).keys))
    else:
        fail(f"Aucune clé du trousseau {secrets.path} n'a l'empreinte « {target} » (voir : cagou secrets keys).")
    keyring.write(secrets.path, rotated)
    name, previous = rotated.fingerprints[0], ring.fingerprints[0]
    with env.transaction() as request:
        try:
            done = reencrypt_all(request.db, secrets)
        except SecretUnreadableError as error:
            fail(f"rotation interrompue, aucun secret n'a changé (la clé {name} reste au trousseau). {error}")
        total = sum(done.values())
        request.find_service(IAuditLog).record(
            "core:secrets:rotate",
            f"Rotation des clés des secrets : {total} secret(s) chiffré(s) avec la clé {name} ({detail(done)}).",
            changes={"before": {"key": previous}, "after": {"key": name}, "secrets": done},
        )
    click.echo(f"{total} secret(s) chiffré(s) avec la clé {name} ({detail(done)}).")
    if previous != name:
        click.echo(f"L'ancienne clé peut être retirée : cagou secrets drop {previous}")


@secrets_group.command("drop")
@click.argument("fingerprint")
@pass_env
def secrets_drop(env: Environment, fingerprint: str) -> None:
    """Retirer du trousseau la clé FINGERPRINT, si plus aucun secret enregistré n'en a besoin."""
    secrets = get_secrets(env.registry)
    ring = secrets.ring
    if fingerprint not in ring.fingerprints:
        fail(f"Aucune clé du trousseau {secrets.path} n'a l'empreinte « {fingerprint} » (voir : cagou secrets keys).")
    if ring.fingerprints[0] == fingerprint:
        fail(f"La clé {fingerprint} est celle qui chiffre : faites d'abord « cagou secrets rotate ».")
    remaining = ring.without(fingerprint)
    with env.transaction() as request:
        needing = first_unreadable(request.db, remaining, every=True)
        if needing is not None:
            fail(
                f"La clé {fingerprint} déchiffre encore {needing.where} : faites d'abord « cagou secrets rotate "
                f"--to {ring.fingerprints[0]} »."
            )
        keyring.write(secrets.path, remaining)
        request.find_service(IAuditLog).record(
            "core:secrets:drop", f"Clé {fingerprint} retirée du trousseau des secrets."
        )
    click.echo(f"Clé {fingerprint} retirée de {secrets.path}.")


@secrets_group.command("forget")
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@pass_env
def secrets_forget(env: Environment, yes: bool) -> None:
    """Effacer les secrets qu'aucune clé ne déchiffre (clé perdue) : les seconds facteurs sont à refaire."""
    secrets = get_secrets(env.registry)
    if not yes:
        click.confirm(
            "Les secrets qu'aucune clé du trousseau ne déchiffre seront effacés (les personnes concernées "
            "enrôleront à nouveau leur second facteur). Continuer ?",
            abort=True,
        )
    with env.transaction() as request:
        done = forget_unreadable(request.db, secrets)
        total = sum(done.values())
        if total:
            request.find_service(IAuditLog).record(
                "core:secrets:forget",
                f"{total} secret(s) illisible(s) effacé(s), leur clé étant perdue ({detail(done)}).",
                changes={"secrets": done},
            )
    click.echo(f"{total} secret(s) illisible(s) effacé(s) ({detail(done)}).")
