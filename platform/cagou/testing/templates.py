"""Work done once per session and reused by every test: compiled templates, the demonstration, fixtures' data."""

from __future__ import annotations

import copy
import datetime
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from jinja2.bccache import Bucket

from cagou import configure
from cagou.audit.keys import PURPOSE as AUDIT_KEYS
from cagou.db import get_engine, transaction_scope
from cagou.demo import load_demo
from cagou.secrets import keyring
from cagou.testing.database import Rows, copy_rows, database_is_empty, is_postgresql, snapshot_rows, wipe_postgresql
from cagou.testing.helpers import freeze_clock

T = TypeVar("T")

#: Settings that name the test's own folder or database: the demonstration does not depend on them.
PER_TEST_SETTINGS = ("here", "cagou.var", "cagou.database_url", "cagou.audit.purge_database_url")
#: A template of the demonstration is made again once this old (seconds), as its data are dated from when it was
#: made (six weeks of tickets "ending now"): a test then starts from data as recent as if it had loaded them itself.
DEMO_TEMPLATE_MAX_AGE = 300.0


class TemplateBytecode(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in memory for the whole session and shared by every test's platform.

    Each test builds its own platform, hence its own Jinja environment, which
    compiled again every template the test rendered: a fifth of a helpdesk
    test's time. Jinja's own bytecode cache (``jinja2.bytecode_caching``,
    which pyramid_jinja2 takes as an instance) gives each new environment the
    code compiled before. A template whose source changed is compiled again
    (Jinja checks its checksum), and so is one for an environment that would
    compile it differently (see :meth:`environment_key`); rendering is Jinja's
    own, unchanged.
    """

    def __init__(self) -> None:
        self.code: dict[tuple[Any, ...], bytes] = {}

    @staticmethod
    def environment_key(environment: jinja2.Environment) -> tuple[Any, ...]:
        """What the compiled code depends on beyond the source: the syntax, the extensions, escaping, the names."""
        return (
            environment.block_start_string,
            environment.variable_start_string,
            environment.comment_start_string,
            environment.line_statement_prefix,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.keep_trailing_newline,
            environment.newline_sequence,
            environment.optimized,
            str(environment.autoescape),
            environment.finalize is not None,
            tuple(sorted(environment.extensions)),
            tuple(sorted(environment.filters)),
            tuple(sorted(environment.tests)),
        )

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get((*self.environment_key(bucket.environment), bucket.key))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[(*self.environment_key(bucket.environment), bucket.key)] = bucket.bytecode_to_string()


TEMPLATE_BYTECODE = TemplateBytecode()


def folder_identity(folder: Path) -> tuple[int, int]:
    """Which folder this is: every test's folder has the same path (``platform_folder``), not the same inode."""
    found = folder.stat()
    return found.st_dev, found.st_ino


def template_key(settings: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What makes two tests' data the same: their settings, those naming their own folder and database aside."""
    return tuple(sorted((name, str(value)) for name, value in settings.items() if name not in PER_TEST_SETTINGS))


@dataclass
class DemoTemplate:
    """The demonstration loaded once: its folder (key rings, SQLite database), and its rows on PostgreSQL."""

    var: Path
    made_at: float
    rows: Rows = field(default_factory=Rows)


class DemoTemplates:
    """The demonstration data (:func:`cagou.demo.load_demo`), loaded once per kind of platform and copied into tests.

    Loading it takes about a second per test on SQLite, 4 s with the
    helpdesk's six weeks of tickets, and twice that on PostgreSQL; copying it
    takes milliseconds. A template is made the first time a test asks for it,
    with the test's own settings (those naming its folder and database aside)
    and its clock, frozen or not, by the real ``load_demo``. The key rings go
    with the data: the audit entries are sealed and the secrets encrypted
    with them.

    On SQLite the template is a folder, copied into the test's. On
    PostgreSQL, where every test shares one database, the rows are read out
    with ``COPY`` (:func:`snapshot_rows`) and copied into the emptied tables
    of each test (:func:`copy_rows`).
    """

    def __init__(self, root: Path, database: str) -> None:
        self.root = root
        self.database = database  # migrated_template: the owner's URL on PostgreSQL, else the SQLite file
        self.templates: dict[tuple[Any, ...], DemoTemplate] = {}
        #: The folders of the tests given the demonstration (:func:`folder_identity`).
        self.restored: set[tuple[int, int]] = set()

    def restore(self, settings: dict[str, Any], instant: datetime.datetime | None) -> None:
        """Put the demonstration into the test's folder and its empty database, before its platform starts.

        ``instant``: the frozen clock's, or None for the system clock's time.
        """
        key = (instant, *template_key(settings))
        template = self.templates.get(key)
        if template is None or (instant is None and time.monotonic() - template.made_at > DEMO_TEMPLATE_MAX_AGE):
            template = self.templates[key] = self.make(settings, instant)
        var = Path(settings["cagou.var"])
        for source in template.var.iterdir():
            if not source.name.endswith("-shm"):  # SQLite's shared memory belongs to open connections; none is
                shutil.copyfile(source, var / source.name)
        if template.rows.tables or template.rows.sequences:
            copy_rows(self.database, template.rows)
        self.restored.add(folder_identity(var))

    def make(self, settings: dict[str, Any], instant: datetime.datetime | None) -> DemoTemplate:
        var = self.root / f"demo{len(self.templates)}-{time.monotonic_ns()}" / "var"
        var.mkdir(parents=True)
        keyring.create(var / "secrets.keys")
        keyring.create(var / "audit.keys", AUDIT_KEYS)
        made: dict[str, Any] = {**settings, "here": str(var.parent), "cagou.var": str(var)}
        if not is_postgresql():
            shutil.copyfile(self.database, var / "cagou.sqlite")
            made["cagou.database_url"] = f"sqlite:///{var}/cagou.sqlite"
        registry = configure(made).registry
        if instant is not None:
            freeze_clock(registry, instant)
        try:
            with transaction_scope(registry) as request:
                load_demo(request)
        finally:
            get_engine(registry).dispose()  # SQLite: the whole database in its file, none left in its log
        template = DemoTemplate(var=var, made_at=time.monotonic())
        if is_postgresql():
            template.rows = snapshot_rows(self.database)
            wipe_postgresql(self.database)
        return template


class FixtureTemplates:
    """What a fixture writes into a test's empty database, written once per session and copied into the next tests.

    For a module's fixture that makes the same people and settings for
    hundreds of tests (the helpdesk's bureau): :meth:`fill` runs the
    fixture's own code the first time, reads the rows it wrote
    (:func:`snapshot_rows`) and copies them into the next tests' databases,
    with what the fixture returned. Only on PostgreSQL, where copying rows
    into a running platform's database is safe (a SQLite file is open in the
    platform), and only into an empty database, the one the template was
    made on: any other test runs the fixture's code. The audit entries the
    fixture wrote stay valid in the next tests: every test has the same key
    rings (``key_rings``).
    """

    def __init__(self, database: str) -> None:
        self.database = database  # migrated_template: the owner's URL on PostgreSQL
        self.made: dict[tuple[Any, ...], tuple[Rows, Any]] = {}

    def fill(self, name: str, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """``make()``'s value, and its rows in the test's database. ``key``: what else the rows depend on."""
        if not is_postgresql() or not database_is_empty(self.database):
            return make()
        made = self.made.get((name, *key))
        if made is None:
            value = make()
            self.made[(name, *key)] = (snapshot_rows(self.database), copy.deepcopy(value))
            return value
        rows, value = made
        copy_rows(self.database, rows)
        return copy.deepcopy(value)
