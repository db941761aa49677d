"""``cagou audit``: seal, verify, sign and purge the audit log.

Added to the ``cagou`` command through the core's own ``cagou_cli_commands``
hook (:mod:`cagou.audit.hooks`), as a module would. ``verify`` exits with
status 0 when the log is intact and 1 when it is not, naming the first broken
entry in French.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyramid.registry import Registry

from cagou.audit.checkpoints import SigningKeyError, generate_key, load_private_key, load_public_key, public_key_path
from cagou.audit.key_commands import keys_group
from cagou.audit.purge import checkpoint, purge
from cagou.audit.retention import retention_rules
from cagou.audit.sealer import seal
from cagou.audit.segments import MAX_WALKERS, PARALLEL_FROM
from cagou.audit.verify import Verification, verify
from cagou.cli import Environment, fail, pass_env
from cagou.interfaces import IAuditLog, IClock


def signing_key_path(registry: Registry) -> Path:
    return Path(registry.settings["cagou.audit.signing_key"])


def checkpoints_folder(registry: Registry) -> Path:
    return Path(registry.settings["cagou.audit.checkpoints"])


def number(value: int) -> str:
    """``1 000 000``: thousands separated by a narrow no-break space, as French writes them."""
    return f"{value:,}".replace(",", "\u202f")


@click.group("audit")
def audit() -> None:
    """Sceller, vérifier, signer et purger le journal d'audit."""


audit.add_command(keys_group)


@audit.command("seal")
@pass_env
def audit_seal(env: Environment) -> None:
    """Chaîner les entrées écrites depuis le dernier scellement (le worker le fait chaque minute)."""
    count = seal(env.registry)
    click.echo(f"{number(count)} entrée(s) scellée(s).")


@audit.command("verify")
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Clé publique des points de contrôle (par défaut : celle de cagou.audit.signing_key).",
)
@click.option(
    "--checkpoints",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier des points de contrôle signés (par défaut : cagou.audit.checkpoints).",
)
@click.option(
    "--lost-key",
    "lost_keys",
    multiple=True,
    metavar="EMPREINTE",
    help="Clé d'authentification déclarée perdue : ce qu'elle authentifie est compté comme invérifiable.",
)
@click.option(
    "--walkers",
    type=click.IntRange(min=1),
    help=f"Processus qui vérifient la chaîne en parallèle au-delà de {number(PARALLEL_FROM)} positions "
    f"(par défaut : un par cœur, au plus {MAX_WALKERS}).",
)
@pass_env
def audit_verify(
    env: Environment, public_key: Path | None, folder: Path | None, lost_keys: tuple[str, ...], walkers: int | None
) -> None:
    """Vérifier toute la chaîne et les points de contrôle signés ; statut 1 si le journal est altéré."""
    registry = env.registry
    try:
        key = verification_key(registry, public_key)
    except SigningKeyError as error:
        fail(str(error))
    result = verify(registry, key, folder or checkpoints_folder(registry), frozenset(lost_keys), walkers)
    report(result)
    if not result.intact:
        sys.exit(1)


def verification_key(registry: Registry, given: Path | None) -> Ed25519PublicKey | None:
    """The key given, else the public half of the signing key when it is on this machine."""
    if given is not None:
        return load_public_key(given)
    private = signing_key_path(registry)
    for candidate in (public_key_path(private), private):
        if candidate.is_file():
            return load_public_key(candidate)
    return None


def report(result: Verification) -> None:
    if result.broken is not None:
        click.echo(f"Journal d'audit ALTÉRÉ. Première anomalie : {result.broken.message}", err=True)
        return
    head, start = result.head, result.start
    click.echo(
        f"Journal d'audit intact : {number(result.checked)} entrée(s) vérifiée(s), "
        f"chaîne des positions {number(start.kept_from)} à {number(head.position)}."
    )
    if result.purged:
        click.echo(f"{number(result.purged)} entrée(s) purgée(s) selon les durées de conservation.")
    if result.unauthenticated:
        click.echo(
            f"{number(result.unauthenticated)} entrée(s) antérieure(s) aux clés d'authentification "
            "(chaînées seulement)."
        )
    if result.unverifiable:
        click.echo(
            f"{number(result.unverifiable)} authentifiant(s) d'une clé déclarée perdue n'ont pas pu être vérifiés.",
            err=True,
        )
    if result.pending:
        click.echo(f"{number(result.pending)} entrée(s) récente(s) en attente de scellement.")
    if result.checkpoints:
        click.echo(f"{number(result.checkpoints)} point(s) de contrôle signé(s) concordent.")
    if result.checkpoint_note:
        click.echo(f"Remarque : {result.checkpoint_note}.")


@audit.command("keygen")
@click.option("--force", is_flag=True, help="Remplacer une clé existante (les anciens points de contrôle restent).")
@pass_env
def audit_keygen(env: Environment, force: bool) -> None:
    """Créer la clé Ed25519 qui signe les points de contrôle (cagou.audit.signing_key)."""
    path = signing_key_path(env.registry)
    try:
        public = generate_key(path, overwrite=force)
    except SigningKeyError as error:
        fail(str(error))
    click.echo(f"Clé de signature créée : {path} (à garder hors de la base de données, lisible du seul service).")
    click.echo(f"Clé publique : {public} (à archiver avec les points de contrôle, pour « cagou audit verify »).")


@audit.command("checkpoint")
@pass_env
def audit_checkpoint(env: Environment) -> None:
    """Signer la tête de la chaîne et l'écrire dans le dossier des points de contrôle."""
    registry = env.registry
    try:
        key = load_private_key(signing_key_path(registry))
    except SigningKeyError as error:
        fail(str(error))
    path, position = checkpoint(registry, key, checkpoints_folder(registry))
    with env.transaction() as request:
        request.find_service(IAuditLog).record(
            "core:audit:checkpoint", f"Point de contrôle signé du journal d'audit à la position {position}."
        )
    click.echo(f"Point de contrôle signé à la position {number(position)} : {path}")


@audit.command("purge")
@pass_env
def audit_purge(env: Environment) -> None:
    """Supprimer les entrées plus anciennes que la durée de conservation de leur module (cagou.audit.retention)."""
    registry = env.registry
    try:
        rules = retention_rules(registry.settings["cagou.audit.retention"])
    except ValueError as error:
        fail(str(error))
    if not rules:
        click.echo("Aucune durée de conservation n'est réglée (cagou.audit.retention) : rien n'est purgé.")
        return
    try:
        key = load_private_key(signing_key_path(registry))
    except SigningKeyError as error:
        fail(f"{error} La purge écrit un point de contrôle signé : sans clé, rien n'est purgé.")
    with env.transaction() as request:
        now = request.find_service(IClock).now()
    result = purge(registry, rules, now, key, checkpoints_folder(registry))
    if result.checkpoint is None:
        click.echo("Aucune entrée n'a dépassé sa durée de conservation.")
        return
    total = sum(result.removed.values())
    detail = ", ".join(f"{module} : {number(count)}" for module, count in sorted(result.removed.items()))
    with env.transaction() as request:
        request.find_service(IAuditLog).record(
            "core:audit:purge",
            f"Purge du journal d'audit : {total} entrée(s) supprimée(s) ({detail}) ; "
            f"la chaîne conservée commence à la position {result.kept_from}.",
            changes={"removed": result.removed, "kept_from": result.kept_from},
        )
    click.echo(f"{number(total)} entrée(s) purgée(s) ({detail}).")
    click.echo(f"La chaîne conservée commence à la position {number(result.kept_from)}.")
    click.echo(f"Point de contrôle signé : {result.checkpoint}")
