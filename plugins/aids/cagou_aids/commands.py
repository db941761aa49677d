"""The aids module's subcommands of ``cagou``: a procedure exported to a file, imported from one."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa

from cagou.kit import Environment, IAccounts, Invalid, fail, pass_env, transaction_scope
from cagou_aids.definition import DefinitionError
from cagou_aids.interfaces import IProcedures, IWorkflows
from cagou_aids.models import Workflow
from cagou_aids.queries import procedure_by_slug
from cagou_aids.services.procedures import ProcedureSettings
from cagou_aids.transfer import file_data, read_file
from cagou_aids.workflow import WorkflowError


@click.group("aids")
def aids_command() -> None:
    """Démarches en ligne : exporter et importer la définition d'une démarche, ou un circuit d'instruction."""


@aids_command.command("export")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@pass_env
def export_command(env: Environment, slug: str, file: Path | None) -> None:
    """Écrire la démarche SLUG (réglages et formulaire) dans FILE, ou sur la sortie."""
    with transaction_scope(env.registry) as request:
        procedure = procedure_by_slug(request.db, slug)
        if procedure is None:
            fail(f"Aucune démarche « {slug} ».")
        text = json.dumps(file_data(procedure), ensure_ascii=False, indent=2) + "\n"
    write_out(text, file, f"Démarche « {slug} » exportée dans {file}.")


def write_out(text: str, file: Path | None, done: str) -> None:
    """An export on the standard output, or in ``file`` (then ``done`` is said)."""
    if file is None:
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(done)


@aids_command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_env
def import_command(env: Environment, file: Path) -> None:
    """Créer en brouillon la démarche décrite par FILE, vérifié en entier avant toute écriture."""
    try:
        transfer = read_file(file.read_bytes())
    except DefinitionError as error:
        fail("Fichier refusé :\n" + "\n".join(f"- {problem}" for problem in error.problems))
    with transaction_scope(env.registry) as request:
        directorate = None
        if transfer.directorate is not None:
            directorate = request.find_service(IAccounts).directorate(transfer.directorate)
            if directorate is None:
                fail(f"Fichier refusé : la direction « {transfer.directorate} » n'existe pas ici.")
        settings = ProcedureSettings(**{**transfer.settings.__dict__, "directorate_id": directorate and directorate.id})
        try:
            procedure = request.find_service(IProcedures).create(settings, transfer.definition)
        except Invalid as error:
            fail("Fichier refusé :\n" + "\n".join(f"- {message}" for message in error.errors.values()))
        click.echo(f"Démarche « {procedure.title} » importée en brouillon (adresse /demarches/{procedure.slug}).")


@aids_command.command("workflow-export")
@click.argument("code")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@pass_env
def workflow_export_command(env: Environment, code: str, file: Path | None) -> None:
    """Écrire la dernière version du circuit CODE dans FILE, ou sur la sortie."""
    with transaction_scope(env.registry) as request:
        workflow = request.db.scalar(sa.select(Workflow).where(Workflow.code == code[:16]))
        if workflow is None:
            fail(f"Aucun circuit « {code[:40]} ».")
        text = json.dumps(workflow.latest.definition, ensure_ascii=False, indent=2) + "\n"
    write_out(text, file, f"Circuit « {code} » exporté dans {file}.")


@aids_command.command("workflow-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_env
def workflow_import_command(env: Environment, file: Path) -> None:
    """Enregistrer le circuit décrit par FILE (une nouvelle version s'il existe), vérifié en entier avant toute
    écriture."""
    try:
        data = json.loads(file.read_bytes())
    except (ValueError, UnicodeDecodeError):
        fail("Fichier refusé : ce n'est pas du JSON en UTF-8.")
    with transaction_scope(env.registry) as request:
        try:
            version = request.find_service(IWorkflows).install(data)
        except WorkflowError as error:
            fail("Fichier refusé :\n" + "\n".join(f"- {problem}" for problem in error.problems))
        click.echo(f"Circuit « {version.workflow.title} » enregistré (version {version.number}).")
