"""Backup and restore: the database, the uploaded files and the audit checkpoints, in one archive.

``cagou backup ARCHIVE`` writes a tar file (mode 0600) holding:

- ``manifest.json``: when, from which database, the migrations applied, the
  rows of every table, the files, and the *fingerprints* of the keys;
- the database: ``database.dump`` (``pg_dump --format=custom``, one snapshot)
  or ``database.sqlite`` (SQLite's backup API, consistent while the
  platform writes);
- ``files/``: the uploaded files (``cagou.files.directory``), copied after the
  database snapshot: a file is stored before the row that names it commits,
  so every file the snapshot refers to is there;
- ``audit-checkpoints/``: the signed checkpoints of the audit log.

The keys are not in the archive: an archive that carried the key ring next
to the database would hand the secrets to whoever gets the archive, and the
audit's signing key to whoever would rewrite the log. The manifest names
them by fingerprint, and ``cagou restore`` checks that the keys in place on
the machine it restores to are the right ones before touching anything.

``cagou restore ARCHIVE`` refuses a database or a files folder that is not
empty unless ``--force``; on PostgreSQL the whole database is restored in one
transaction (``pg_restore`` to SQL, played by ``psql --single-transaction``),
as the database's owner (the URL of ``cagou.database_url``). Afterwards the
rows of every table are counted against the manifest, and each file's
content against its name.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pyramid.registry import Registry
from sqlalchemy.orm import Session

from cagou.audit.checkpoints import SigningKeyError, fingerprint, load_public_key, public_key_path
from cagou.audit.keys import get_audit_keys, keys_in_use
from cagou.db import get_engine
from cagou.secrets import get_secrets
from cagou.secrets.keyring import KeyRing
from cagou.secrets.stored import count as count_secrets

FORMAT = "cagou-backup/1"
MANIFEST = "manifest.json"
POSTGRESQL_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite"
FILES = "files"
CHECKPOINTS = "audit-checkpoints"
JOB_QUEUE_PREFIX = "huey_"


class BackupError(Exception):
    """The backup or the restore cannot be done; the message says why, in French."""


@dataclass
class Manifest:
    """What an archive holds, written at backup and checked at restore."""

    format: str
    created_at: str
    database: str
    database_sha256: str
    revisions: list[str]
    tables: dict[str, int]
    files: int
    files_bytes: int
    checkpoints: int
    #: Fingerprints of the key-ring keys that decrypt at least one stored secret.
    secrets_keys: list[str]
    #: Fingerprint of the public key that verifies the audit checkpoints, when it was on the machine.
    audit_public_key: str | None
    #: Fingerprints of the HMAC keys (cagou.audit.keys) that authenticate what the audit log holds.
    audit_keys: list[str] = field(default_factory=list)
    #: PostgreSQL: the highest transaction id the audit log refers to (see :func:`check_transaction_ids`).
    audit_transaction_id: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# -- what a database holds ---------------------------------------------------------


def table_names(connection: sa.Connection) -> list[str]:
    if connection.dialect.name == "postgresql":
        query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    return list(connection.scalars(sa.text(query)))


def table_rows(connection: sa.Connection) -> dict[str, int]:
    quote = connection.dialect.identifier_preparer.quote
    return {
        name: int(connection.scalar(sa.text(f"SELECT count(*) FROM {quote(name)}")) or 0)  # noqa: S608  (catalog names)
        for name in table_names(connection)
    }


def revisions(connection: sa.Connection) -> list[str]:
    if "alembic_version" not in table_names(connection):
        return []
    return sorted(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))


def audit_transaction_id(connection: sa.Connection) -> int:
    if connection.dialect.name != "postgresql" or "audit_seal" not in table_names(connection):
        return 0
    query = "SELECT greatest((SELECT max(xid) FROM audit_entry), (SELECT max(horizon) FROM audit_seal))"
    return int(connection.scalar(sa.text(query)) or 0)


def secrets_keys(registry: Registry, connection: sa.Connection) -> list[str]:
    """The fingerprints of the keys the stored secrets need (each secret opens with one of them)."""
    with Session(bind=connection) as db:
        counts = count_secrets(db, get_secrets(registry))
    if counts.unreadable:
        raise BackupError(
            f"{counts.unreadable} secret(s) enregistré(s) ne se déchiffre(nt) avec aucune clé du trousseau : "
            "réparez d'abord (cagou secrets keys, cagou secrets forget), la sauvegarde ne serait pas restaurable."
        )
    return sorted(name for name, number in counts.per_key.items() if number)


# -- keys ----------------------------------------------------------------------------


def audit_public_key(registry: Registry) -> str | None:
    """The fingerprint of the key that verifies checkpoints on this machine, or None when there is none."""
    private = Path(registry.settings["cagou.audit.signing_key"])
    for candidate in (public_key_path(private), private):
        if candidate.is_file():
            try:
                return fingerprint(load_public_key(candidate))
            except SigningKeyError as error:
                raise BackupError(str(error)) from error
    return None


def check_keys(registry: Registry, manifest: Manifest, ignore_missing: bool) -> list[str]:
    """Refuse a restore whose keys are not in place; return the remarks to show."""
    ring: KeyRing = get_secrets(registry).ring
    missing = sorted(set(manifest.secrets_keys) - set(ring.fingerprints))
    remarks = []
    if missing and not ignore_missing:
        raise BackupError(
            f"le trousseau {get_secrets(registry).path} (cagou.secrets.keys) n'a pas la ou les clé(s) "
            f"{', '.join(missing)} qui chiffrent les secrets de cette sauvegarde. Remettez en place le trousseau "
            "de l'instance sauvegardée (gardé à part de ses sauvegardes) ; s'il est perdu, --ignore-missing-keys "
            "restaure quand même, et « cagou secrets forget » effacera les secrets illisibles (seconds facteurs "
            "à refaire)."
        )
    if missing:
        remarks.append(
            f"Clé(s) {', '.join(missing)} absente(s) : effacez les secrets illisibles avec « cagou secrets forget »."
        )
    lacking = sorted(set(manifest.audit_keys) - set(get_audit_keys(registry).ring.fingerprints))
    if lacking and not ignore_missing:
        raise BackupError(
            f"le trousseau {registry.settings['cagou.audit.keys']} (cagou.audit.keys) n'a pas la ou les clé(s) "
            f"{', '.join(lacking)} qui authentifient le journal d'audit de cette sauvegarde : remettez en place "
            "celui de l'instance sauvegardée ; s'il est perdu, --ignore-missing-keys restaure quand même, et "
            f"« cagou audit verify --lost-key » ({', '.join(lacking)}) vérifiera le reste."
        )
    if lacking:
        remarks.append(
            f"Clé(s) du journal d'audit {', '.join(lacking)} absente(s) : vérifiez avec « cagou audit verify "
            + " ".join(f"--lost-key {name}" for name in lacking)
            + " »."
        )
    present = audit_public_key(registry)
    if manifest.audit_public_key and present and present != manifest.audit_public_key:
        raise BackupError(
            f"la clé de signature du journal d'audit en place ({registry.settings['cagou.audit.signing_key']}, "
            f"empreinte {present}) n'est pas celle de l'instance sauvegardée ({manifest.audit_public_key}) : "
            "ses points de contrôle ne se vérifieraient pas. Remettez en place la clé de l'instance sauvegardée."
        )
    if manifest.audit_public_key and present is None:
        remarks.append(
            f"Aucune clé du journal d'audit en place : remettez la clé publique (empreinte "
            f"{manifest.audit_public_key}) à côté de cagou.audit.signing_key, ou passez-la à "
            "« cagou audit verify --public-key », pour vérifier les points de contrôle."
        )
    return remarks


# -- backup --------------------------------------------------------------------------


def postgresql_url(url: sa.engine.URL) -> tuple[str, dict[str, str]]:
    """The libpq address of ``url``, and the environment that carries its password (never the command line)."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    address = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return address, environment


def run(command: list[str], environment: dict[str, str] | None = None, **options: Any) -> None:
    try:
        finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False, **options)
    except FileNotFoundError as error:
        raise BackupError(
            f"commande {command[0]} introuvable : installez le client PostgreSQL (Debian : postgresql-client)."
        ) from error
    if finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ["sans message"])[-1]
        raise BackupError(f"{command[0]} a échoué : {last}")


@contextlib.contextmanager
def postgresql_snapshot(registry: Registry, dump: Path) -> Iterator[sa.Connection]:
    """Dump the database into ``dump`` from a snapshot that the yielded connection still sees."""
    engine = get_engine(registry)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
            address, environment = postgresql_url(engine.url)
            run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", f"--dbname={address}"],
                environment,
            )
            yield connection


def sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("une base SQLite en mémoire ne se sauvegarde pas.")
    return Path(url.database)


def copy_sqlite(source_path: Path, target_path: Path) -> None:
    """SQLite's online backup: the target gets one consistent state of the source, in one transaction."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


@contextlib.contextmanager
def sqlite_snapshot(registry: Registry, copy: Path) -> Iterator[sa.Connection]:
    """Copy the database with SQLite's backup API (one consistent state), and yield a connection to the copy."""
    copy_sqlite(sqlite_path(get_engine(registry).url), copy)
    engine = sa.create_engine(f"sqlite:///{copy}")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stored_files(folder: Path) -> list[Path]:
    """The files of the storage (named by their SHA-256), not the temporary ones being written."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and len(path.name) == 64 and all(c in "0123456789abcdef" for c in path.name)
    )


def checkpoint_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def create(registry: Registry, archive: Path) -> Manifest:
    """Write the archive of the platform as it is now; return its manifest."""
    if archive.exists():
        raise BackupError(f"{archive} existe déjà : choisissez un autre nom (rien n'est écrasé).")
    if not archive.parent.is_dir():
        raise BackupError(f"le dossier {archive.parent} n'existe pas.")
    postgresql = get_engine(registry).dialect.name == "postgresql"
    snapshot = postgresql_snapshot if postgresql else sqlite_snapshot
    database_name = POSTGRESQL_DUMP if postgresql else SQLITE_COPY
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".cagou-sauvegarde-") as work:
        database = Path(work) / database_name
        with snapshot(registry, database) as connection:
            applied, rows = revisions(connection), table_rows(connection)
            keys, transaction_id = secrets_keys(registry, connection), audit_transaction_id(connection)
            with Session(bind=connection) as db:
                audit_keys = sorted(keys_in_use(db))
        files_folder = Path(registry.settings["cagou.files.directory"])
        files = stored_files(files_folder)
        checkpoints = checkpoint_files(Path(registry.settings["cagou.audit.checkpoints"]))
        manifest = Manifest(
            format=FORMAT,
            created_at=now(),
            database=get_engine(registry).dialect.name,
            database_sha256=sha256_of(database),
            files=len(files),
            files_bytes=sum(path.stat().st_size for path in files),
            checkpoints=len(checkpoints),
            audit_public_key=audit_public_key(registry),
            revisions=applied,
            tables=rows,
            secrets_keys=keys,
            audit_keys=audit_keys,
            audit_transaction_id=transaction_id,
        )
        partial = Path(work) / "archive.tar"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as output, tarfile.open(fileobj=output, mode="w") as tar:
            document = json.dumps(asdict(manifest), indent=2, ensure_ascii=False).encode()
            member = tarfile.TarInfo(MANIFEST)
            member.size, member.mtime, member.mode = len(document), int(time.time()), 0o600
            tar.addfile(member, io.BytesIO(document))
            tar.add(database, arcname=database_name)
            for path in files:
                tar.add(path, arcname=f"{FILES}/{path.relative_to(files_folder).as_posix()}")
            for path in checkpoints:
                tar.add(path, arcname=f"{CHECKPOINTS}/{path.name}")
            output.flush()
            os.fsync(output.fileno())
        partial.replace(archive)
    return manifest


# -- restore -------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile, archive: Path) -> Manifest:
    try:
        member = tar.extractfile(MANIFEST)
        if member is None:
            raise KeyError(MANIFEST)
        document = json.loads(member.read().decode("utf-8"))
        if document.get("format") != FORMAT:
            raise BackupError(f"{archive} n'est pas une sauvegarde de Cagou (format {document.get('format')!r}).")
        return Manifest(**document)
    except (KeyError, ValueError, TypeError) as error:
        unreadable = f"{archive} n'est pas une sauvegarde de Cagou lisible (manifeste absent ou abîmé)."
        raise BackupError(unreadable) from error


def open_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"archive illisible : {archive} ({error}).") from error


def describe(archive: Path) -> Manifest:
    """The manifest of an archive, without restoring anything."""
    with open_archive(archive) as tar:
        return read_manifest(tar, archive)


def is_empty_folder(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


def check_target(registry: Registry, manifest: Manifest, force: bool) -> None:
    engine = get_engine(registry)
    if engine.dialect.name != manifest.database:
        raise BackupError(
            f"cette sauvegarde est celle d'une base {manifest.database}, la configuration désigne une base "
            f"{engine.dialect.name} : restaurez-la dans une base du même type."
        )
    if force:
        return
    with engine.connect() as connection:
        # The job queue (PostgreSQL storage) makes its tables as soon as the platform starts.
        tables = [name for name in table_names(connection) if not name.startswith(JOB_QUEUE_PREFIX)]
    if tables:
        raise BackupError(
            f"la base de destination n'est pas vide ({len(tables)} table(s)) : rien n'a été restauré. "
            "Restaurez dans une base vide, ou ajoutez --force pour la remplacer."
        )
    files = Path(registry.settings["cagou.files.directory"])
    if not is_empty_folder(files):
        raise BackupError(
            f"le dossier des fichiers {files} n'est pas vide : rien n'a été restauré. "
            "Restaurez dans un dossier vide, ou ajoutez --force pour y ajouter les fichiers de la sauvegarde."
        )


def check_transaction_ids(registry: Registry, manifest: Manifest) -> None:
    """On PostgreSQL, the audit sealer compares transaction ids: the new cluster's must be past the old one's.

    A cluster made afresh counts its transactions from the start again, so the
    entries written after the restore would look older than the chain and
    ``cagou audit verify`` would name them as slipped in.
    """
    if manifest.database != "postgresql" or not manifest.audit_transaction_id:
        return
    with get_engine(registry).connect() as connection:
        # The id the next transaction will get: every entry written from now on has one at least as high.
        current = int(connection.scalar(sa.text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")))
    if current <= manifest.audit_transaction_id:
        epoch, xid = divmod(manifest.audit_transaction_id + 1, 1 << 32)
        raise BackupError(
            f"le serveur PostgreSQL de destination en est à la transaction {current}, la sauvegarde à "
            f"{manifest.audit_transaction_id} : le journal d'audit restauré ne pourrait pas être scellé. "
            f"Avancez le compteur du serveur neuf, arrêté, avec « pg_resetwal -e {epoch} -x {xid} » "
            "(voir docs/backup.md), puis recommencez."
        )


def extract(tar: tarfile.TarFile, manifest: Manifest, work: Path) -> Path:
    """Extract the archive into ``work`` and check it against the manifest; the database file's path."""
    tar.extractall(work, filter="data")
    database = work / (POSTGRESQL_DUMP if manifest.database == "postgresql" else SQLITE_COPY)
    if not database.is_file() or sha256_of(database) != manifest.database_sha256:
        raise BackupError("la copie de la base dans l'archive est absente ou abîmée : rien n'a été restauré.")
    files = stored_files(work / FILES)
    for path in files:
        if sha256_of(path) != path.name:
            raise BackupError(f"le fichier {path.name} de l'archive est abîmé : rien n'a été restauré.")
    if len(files) != manifest.files:
        raise BackupError(
            f"l'archive contient {len(files)} fichier(s), son manifeste en annonce {manifest.files} : "
            "rien n'a été restauré."
        )
    return database


def restore_postgresql(registry: Registry, dump: Path) -> None:
    """Replace the public schema by the dump's, in one transaction: all of it or nothing."""
    engine = get_engine(registry)
    engine.dispose()
    address, environment = postgresql_url(engine.url)
    # The script never creates the public schema ("initdb creates it"): it is made afresh, then filled.
    preamble = "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"
    script = dump.with_suffix(".sql")
    run(["pg_restore", "--file", str(script), str(dump)])
    run(
        [
            "psql",
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={address}",
            f"--command={preamble}",
            f"--file={script}",
        ],
        environment,
    )


def restore_sqlite(registry: Registry, copy: Path) -> None:
    """Write the copy over the database with the backup API, which replaces it in one transaction."""
    engine = get_engine(registry)
    engine.dispose()
    target_path = sqlite_path(engine.url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(copy, target_path)


def copy_into(source: Path, folder: Path) -> int:
    """Copy the tree ``source`` into ``folder``, keeping what is there already; how many files were copied."""
    copied = 0
    for path in sorted(source.rglob("*")) if source.is_dir() else []:
        if path.is_file():
            destination = folder / path.relative_to(source)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)
                copied += 1
    return copied


def restore(registry: Registry, archive: Path, force: bool = False, ignore_missing_keys: bool = False) -> Manifest:
    """Restore ``archive`` into the database and folders of ``registry``; the manifest, with remarks in ``notes``."""
    with open_archive(archive) as tar:
        manifest = read_manifest(tar, archive)
        check_target(registry, manifest, force)
        manifest.notes = check_keys(registry, manifest, ignore_missing_keys)
        check_transaction_ids(registry, manifest)
        settings = registry.settings
        var = Path(settings["cagou.var"])
        var.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=var, prefix=".cagou-restauration-") as folder:
            work = Path(folder)
            database = extract(tar, manifest, work)
            if manifest.database == "postgresql":
                restore_postgresql(registry, database)
            else:
                restore_sqlite(registry, database)
            copy_into(work / FILES, Path(settings["cagou.files.directory"]))
            copy_into(work / CHECKPOINTS, Path(settings["cagou.audit.checkpoints"]))
    check_restored(registry, manifest)
    return manifest


def check_restored(registry: Registry, manifest: Manifest) -> None:
    """Every table has the rows the manifest counted, every file is in place."""
    with get_engine(registry).connect() as connection:
        found = table_rows(connection)
    differing = sorted(name for name in manifest.tables if found.get(name) != manifest.tables[name])
    if differing:
        detail = ", ".join(f"{name} : {found.get(name)} au lieu de {manifest.tables[name]}" for name in differing)
        raise BackupError(f"la base restaurée ne correspond pas au manifeste ({detail}).")
    present = len(stored_files(Path(registry.settings["cagou.files.directory"])))
    if present < manifest.files:
        raise BackupError(f"{present} fichier(s) en place après la restauration, {manifest.files} attendu(s).")
