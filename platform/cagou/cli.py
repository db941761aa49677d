"""The ``cagou`` command: database, demonstration data, modules, accounts, worker.

Every subcommand reads the platform's ``.ini`` file (``--config``, or the
``CAGOU_CONFIG`` variable, ``development.ini`` by default) and works inside
one transaction, audited like a web request. Modules add subcommands through
the ``cagou_cli_commands`` hook.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import click
from pyramid.exceptions import ConfigurationError
from pyramid.paster import get_appsettings, setup_logging
from pyramid.registry import Registry
from pyramid.request import Request

from cagou import backup, configure, scaffold
from cagou.contributions import SITES
from cagou.db import get_engine, migrate, roles, transaction_scope
from cagou.demo import load_demo
from cagou.identity.models import ADMIN, KIND_LABELS
from cagou.interfaces import IAccounts, IAuditLog
from cagou.jobs.services import get_huey
from cagou.modules.services import SITE_LABELS, module_states
from cagou.plugins import discover, flatten, get_plugins
from cagou.settings import normalize


class CagouError(click.ClickException):
    """An error the person can fix; shown in French, exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True)


class Environment:
    """The application behind the command, built on first use."""

    def __init__(self, config_uri: str) -> None:
        self.config_uri = config_uri
        self._registry: Registry | None = None

    @property
    def path(self) -> Path:
        path = Path(self.config_uri.split("#", 1)[0])
        if not path.is_file():
            raise CagouError(f"Fichier de configuration introuvable : {path} (option --config).")
        return path

    @property
    def settings(self) -> dict[str, Any]:
        """The platform's settings, without starting it (for what must work before it can start)."""
        try:
            return normalize({"here": str(self.path.resolve().parent), **get_appsettings(self.config_uri)})
        except ConfigurationError as error:
            raise CagouError(str(error)) from error

    @property
    def registry(self) -> Registry:
        """The platform, configured as the web server would be.

        Unlike the server, a command starts with a key ring that does not
        decrypt the stored secrets: ``cagou secrets`` is how to repair that.
        """
        if self._registry is None:
            settings = self.settings
            setup_logging(str(self.path))
            try:
                self._registry = configure(settings).registry
            except ConfigurationError as error:
                raise CagouError(f"la plateforme refuse de démarrer. {error}") from error
        return self._registry

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Request]:
        """A request in its own transaction, signed as coming from the command line."""
        with transaction_scope(self.registry) as request:
            request.user_agent = f"cagou en ligne de commande ({getpass.getuser()}@{socket.gethostname()})"
            yield request


pass_env = click.make_pass_decorator(Environment)


def fail(message: str) -> NoReturn:
    raise CagouError(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_uri",
    envvar="CAGOU_CONFIG",
    default="development.ini",
    show_default=True,
    help="Fichier de configuration de la plateforme.",
)
@click.pass_context
def cli(context: click.Context, config_uri: str) -> None:
    """Administrer la plateforme Cagou."""
    context.obj = Environment(config_uri)


# -- database ------------------------------------------------------------------


@cli.command()
@click.option("--admin-login", default="admin", show_default=True, help="Identifiant du premier administrateur.")
@click.option("--admin-name", default="Administrateur informatique", show_default=True, help="Son nom affiché.")
@click.option("--admin-email", default=None, help="Son adresse électronique.")
@click.option(
    "--admin-password",
    envvar="CAGOU_ADMIN_PASSWORD",
    default=None,
    help="Son mot de passe (ou la variable CAGOU_ADMIN_PASSWORD ; demandé sinon).",
)
@pass_env
def init(
    env: Environment, admin_login: str, admin_name: str, admin_email: str | None, admin_password: str | None
) -> None:
    """Créer ou mettre à jour la base, puis le premier administrateur informatique."""
    upgrade_database(env)
    with env.transaction() as request:
        accounts = request.find_service(IAccounts)
        if accounts.by_login(admin_login) is not None:
            click.echo(f"Le compte « {admin_login} » existe déjà : il est laissé tel quel.")
            return
        password = admin_password or click.prompt(
            "Mot de passe de l'administrateur", hide_input=True, confirmation_prompt=True
        )
        try:
            account = accounts.create(admin_login, admin_name, ADMIN, email=admin_email, password=password)
        except ValueError as error:
            fail(str(error))
        accounts.grant(account, "core:it-admin")
    click.echo(f"Administrateur « {admin_login} » créé.")


@cli.group()
def db() -> None:
    """Migrations de la base de données."""


@db.command("upgrade")
@pass_env
def db_upgrade(env: Environment) -> None:
    """Amener le cœur et chaque module installé à leur dernière migration."""
    upgrade_database(env)


def upgrade_database(env: Environment) -> None:
    """Every branch to its head; a revision that refuses the data says why, without a traceback."""
    try:
        migrate.upgrade(env.registry)
    except migrate.MigrationRefusedError as refused:
        raise CagouError(f"migration interrompue, rien n'a changé. {refused}") from refused
    click.echo("Base de données à jour.")


@db.command("grant")
@click.option("--app", "app_role", required=True, help="Le rôle PostgreSQL de l'application (serveurs, worker).")
@click.option("--purge", "purge_role", required=True, help="Le rôle PostgreSQL de la purge du journal d'audit.")
@pass_env
def db_grant(env: Environment, app_role: str, purge_role: str) -> None:
    """Donner leurs droits aux rôles de l'application et de la purge (PostgreSQL, après chaque db upgrade)."""
    engine = get_engine(env.registry)
    if engine.dialect.name != "postgresql":
        click.echo("La base est SQLite : il n'y a pas de rôles à qui donner des droits.")
        return
    try:
        with engine.begin() as connection:
            granted = roles.grant(connection, app_role, purge_role)
    except roles.RoleError as error:
        fail(str(error))
    click.echo(
        f"« {app_role} » lit et écrit {len(granted.tables)} table(s) et celles des tâches "
        f"({', '.join(granted.job_tables) or 'aucune'}), lit alembic_version."
    )
    audit_tables = ", ".join(granted.audit_tables)
    click.echo(f"« {app_role} » et « {purge_role} » ne peuvent que lire et ajouter dans : {audit_tables}.")
    click.echo(f"« {purge_role} » seul peut exécuter audit_purge_delete (la purge du journal d'audit).")


@db.command("revision")
@click.argument("branch")
@click.option("-m", "--message", required=True, help="Ce que la migration change.")
@pass_env
def db_revision(env: Environment, branch: str, message: str) -> None:
    """Écrire une migration de la branche BRANCH (core ou un module) à partir des modèles."""
    if branch != "core" and branch not in get_plugins(env.registry).modules:
        fail(f"Aucune branche « {branch} » : core ou le nom d'un module installé.")
    for path in migrate.revision(env.registry, message, branch):
        click.echo(f"Migration écrite : {path} (relisez-la avant de la valider).")


@db.command("current")
@pass_env
def db_current(env: Environment) -> None:
    """Afficher la révision de chaque branche ; statut 1 si une migration manque."""
    applied = migrate.applied_revisions(env.registry)
    heads = migrate.head_revisions(env.registry)
    for revision in sorted(applied):
        click.echo(f"{revision}{' (dernière)' if revision in heads else ''}")
    missing = migrate.missing_heads(env.registry)
    if missing:
        click.echo(f"Migrations à appliquer (cagou db upgrade) : {', '.join(sorted(missing))}", err=True)
        sys.exit(1)
    click.echo("Base de données à jour.")


# -- backup and restore --------------------------------------------------------


@cli.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@pass_env
def backup_command(env: Environment, archive: Path) -> None:
    """Sauvegarder la base, les fichiers déposés et les points de contrôle du journal dans ARCHIVE (un .tar).

    Les clés n'y sont pas : leurs empreintes seulement, que la restauration vérifie.
    """
    try:
        manifest = backup.create(env.registry, archive)
    except backup.BackupError as error:
        fail(f"sauvegarde interrompue, rien n'a été écrit. {error}")
    with env.transaction() as request:
        request.find_service(IAuditLog).record(
            "core:backup:create",
            f"Sauvegarde de la plateforme écrite dans {archive} : {manifest.rows} ligne(s) "
            f"dans {len(manifest.tables)} table(s), {manifest.files} fichier(s).",
            changes={"archive": str(archive), "rows": manifest.rows, "files": manifest.files},
        )
    click.echo(
        f"Sauvegarde écrite : {archive} ({manifest.rows} ligne(s) dans {len(manifest.tables)} table(s), "
        f"{manifest.files} fichier(s), {manifest.checkpoints} point(s) de contrôle)."
    )
    for ring, needed in (("des secrets", manifest.secrets_keys), ("du journal d'audit", manifest.audit_keys)):
        if needed:
            click.echo(f"Pour la restaurer, le trousseau {ring} devra contenir : {', '.join(needed)}.")


@cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Remplacer une base qui n'est pas vide.")
@click.option(
    "--ignore-missing-keys",
    is_flag=True,
    help="Restaurer même sans les clés des secrets (perdues) ; cagou secrets forget efface ensuite les illisibles.",
)
@pass_env
def restore_command(env: Environment, archive: Path, force: bool, ignore_missing_keys: bool) -> None:
    """Restaurer la sauvegarde ARCHIVE dans la base et les dossiers de la configuration (vides, sauf --force)."""
    try:
        manifest = backup.restore(env.registry, archive, force=force, ignore_missing_keys=ignore_missing_keys)
    except backup.BackupError as error:
        fail(f"restauration interrompue. {error}")
    with env.transaction() as request:
        request.find_service(IAuditLog).record(
            "core:backup:restore",
            f"Restauration de la sauvegarde du {manifest.created_at} ({archive}) : {manifest.rows} ligne(s), "
            f"{manifest.files} fichier(s).",
            changes={"archive": str(archive), "created_at": manifest.created_at},
        )
    click.echo(
        f"Sauvegarde du {manifest.created_at} restaurée : {manifest.rows} ligne(s) dans "
        f"{len(manifest.tables)} table(s) et {manifest.files} fichier(s), conformes au manifeste."
    )
    for note in manifest.notes:
        click.echo(f"Remarque : {note}")
    click.echo("Vérifiez le journal d'audit : cagou audit verify ; puis cagou db upgrade si le code est plus récent.")


# -- demonstration data --------------------------------------------------------


@cli.command()
@pass_env
def demo(env: Environment) -> None:
    """Charger les données de démonstration (sans rien dupliquer ni écraser)."""
    with env.transaction() as request:
        load_demo(request)
    click.echo("Données de démonstration chargées.")


# -- modules -------------------------------------------------------------------

SITE_CHOICE = click.Choice([*SITES, "all"])


@cli.group()
def modules() -> None:
    """Lister, activer et désactiver les modules."""


@modules.command("list")
@pass_env
def modules_list(env: Environment) -> None:
    """Lister les modules installés et leur état sur chaque site."""
    states = module_states(env.registry)
    for module in sorted(get_plugins(env.registry).modules.values(), key=lambda m: (not m.builtin, m.name)):
        if module.broken:
            first_line = (module.error or "").strip().splitlines()[-1:] or [""]
            click.echo(f"{module.name:<12} {'?':<8} EN PANNE : {first_line[0]}")
            continue
        cells = []
        for site in SITES:
            if site not in module.sites:
                cells.append(f"{site}=non concerné")
            else:
                cells.append(f"{site}={'activé' if states.is_enabled(module.name, site) else 'désactivé'}")
        click.echo(f"{module.name:<12} {module.version:<8} {'  '.join(cells)}")


def _switch(env: Environment, name: str, site: str, enabled: bool) -> None:
    sites = SITES if site == "all" else (site,)
    module = get_plugins(env.registry).modules.get(name)
    if module is None:
        fail(f"Aucun module installé ne s'appelle « {name} » (voir : cagou modules list).")
    if site == "all":
        sites = tuple(s for s in SITES if s in module.sites)
    with env.transaction() as request:
        for one_site in sites:
            try:
                changed = module_states(env.registry).set_enabled(request, name, one_site, enabled)
            except ValueError as error:
                fail(str(error))
            verb = "activé" if enabled else "désactivé"
            already = "" if changed else " (déjà le cas)"
            click.echo(f"Module « {module.title} » {verb} sur {SITE_LABELS[one_site]}{already}.")


@modules.command("enable")
@click.argument("name")
@click.option("--site", type=SITE_CHOICE, default="all", show_default=True, help="Site concerné.")
@pass_env
def modules_enable(env: Environment, name: str, site: str) -> None:
    """Activer le module NAME."""
    _switch(env, name, site, True)


@modules.command("disable")
@click.argument("name")
@click.option("--site", type=SITE_CHOICE, default="all", show_default=True, help="Site concerné.")
@pass_env
def modules_disable(env: Environment, name: str, site: str) -> None:
    """Désactiver le module NAME (ses données sont conservées)."""
    _switch(env, name, site, False)


@cli.group()
def module() -> None:
    """Créer un nouveau module (pour les développeurs)."""


@module.command("new")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("plugins"),
    show_default=True,
    help="Dossier où créer le module (dans NAME/).",
)
def module_new(name: str, directory: Path) -> None:
    """Créer la distribution du module NAME : page, formulaire, API, migration, tests, fonctionnalité."""
    # No --config and no database: generating files needs neither, so it works before any installation.
    try:
        target = scaffold.create(name, directory)
    except scaffold.ScaffoldError as error:
        fail(str(error))
    click.echo(f"Module « {name} » créé dans {target}.")
    click.echo(f"Ensuite : make install, puis cagou db upgrade ; la page est servie à /intranet/{name}/.")
    click.echo(f"Ses tests : .venv/bin/pytest {target} ; le guide : docs/plugins.md.")


# -- accounts ------------------------------------------------------------------


@cli.group()
def user() -> None:
    """Créer des comptes et changer des mots de passe."""


@user.command("add")
@click.argument("login")
@click.option("--name", "display_name", required=True, help="Nom affiché.")
@click.option(
    "--kind", type=click.Choice(list(KIND_LABELS)), default="agent", show_default=True, help="Type de compte."
)
@click.option("--email", default=None, help="Adresse électronique.")
@click.option("--role", "roles", multiple=True, help="Rôle accordé (répétable).")
@click.option("--password", envvar="CAGOU_USER_PASSWORD", default=None, help="Mot de passe (demandé sinon).")
@pass_env
def user_add(
    env: Environment,
    login: str,
    display_name: str,
    kind: str,
    email: str | None,
    roles: tuple[str, ...],
    password: str | None,
) -> None:
    """Créer le compte LOGIN."""
    known_roles = {role.name for role in flatten(get_plugins(env.registry).call("cagou_roles"))}
    for role in roles:
        if role not in known_roles:
            fail(f"Rôle inconnu : « {role} ».")
    password = password or click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    with env.transaction() as request:
        accounts = request.find_service(IAccounts)
        try:
            account = accounts.create(login, display_name, kind, email=email, password=password)
        except ValueError as error:
            fail(str(error))
        for role in roles:
            accounts.grant(account, role)
    click.echo(f"Compte « {login.strip().lower()} » créé.")


@user.command("passwd")
@click.argument("login")
@click.option("--password", envvar="CAGOU_USER_PASSWORD", default=None, help="Nouveau mot de passe (demandé sinon).")
@pass_env
def user_passwd(env: Environment, login: str, password: str | None) -> None:
    """Changer le mot de passe du compte LOGIN."""
    with env.transaction() as request:
        accounts = request.find_service(IAccounts)
        account = accounts.by_login(login)
        if account is None:
            fail(f"Aucun compte ne porte l'identifiant « {login} ».")
        password = password or click.prompt("Nouveau mot de passe", hide_input=True, confirmation_prompt=True)
        try:
            accounts.set_password(account, password)
        except ValueError as error:
            fail(str(error))
    click.echo(f"Mot de passe de « {account.login} » changé.")


# -- background worker ---------------------------------------------------------


@cli.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Fils d'exécution.")
@pass_env
def worker(env: Environment, workers: int) -> None:
    """Exécuter les tâches de fond et les tâches planifiées (jusqu'à Ctrl-C)."""
    # Before the application is built: its connection pool is sized to these threads.
    os.environ["CAGOU_THREADS"] = str(workers)
    consumer = get_huey(env.registry).create_consumer(workers=workers, worker_type="thread", periodic=True)
    click.echo(f"Exécuteur de tâches démarré ({workers} fils).")
    consumer.run()


# -- the command as installed --------------------------------------------------


def build_cli() -> click.Group:
    """The command with the subcommands of every installed module."""
    discover(normalize({"here": str(Path.cwd())})).call("cagou_cli_commands", cli=cli)
    return cli


def main() -> None:
    build_cli()(prog_name="cagou")
