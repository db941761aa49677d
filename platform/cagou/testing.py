"""Pytest fixtures for the core's tests and for every module's tests.

A module's ``conftest.py`` says ``pytest_plugins = ["cagou.testing"]`` and
gets a real application on a real database: SQLite by default, PostgreSQL when
``CAGOU_TEST_DATABASE_URL`` points at one (the data is wiped between tests,
so use a database meant for tests). Modules to load are named by the
``cagou_modules`` fixture, which a test suite overrides.

Nothing here stands in for a component: the database is migrated with the
real migrations, mail lands in a real Maildir folder, jobs go through huey's
real storage and are run by :func:`run_jobs`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import graphlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2
import pyotp
import pytest
import sqlalchemy as sa
import webtest
from jinja2.bccache import Bucket
from pyramid.config import Configurator
from pyramid.registry import Registry

from cagou import configure
from cagou.audit.keys import PURPOSE as AUDIT_KEYS
from cagou.clock import FrozenClock
from cagou.contributions import INTRANET, PUBLIC
from cagou.db import get_engine, migrate, roles, transaction_scope
from cagou.demo import load_demo
from cagou.identity.models import SecondFactor
from cagou.identity.second_factor import clear_secret
from cagou.interfaces import IAccounts, IClock
from cagou.jobs.services import get_huey
from cagou.mail.delivery import in_arrival_order
from cagou.plugins import get_plugins
from cagou.secrets import keyring
from cagou.settings import DEFAULTS

# The other helpers of the tests hold assertions too: pytest rewrites them when a suite imports them.
pytest.register_assert_rewrite("cagou.testing_browser", "cagou.testing_checks", "cagou.testing_production")

TEST_DATABASE_ENV = "CAGOU_TEST_DATABASE_URL"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


#: Set to 1 by ``make test`` and ``.ci/run``: a test whose program is missing fails instead of being skipped.
REQUIRE_EVERY_TEST_ENV = "CAGOU_REQUIRE_EVERY_TEST"
#: The tests that need a program of their own (Chromium, slapd) and must never be skipped in CI.
REQUIRED_MARKERS = ("browser", "directory")
#: What installs the programs the tests need (Debian packages).
SYSTEM_PACKAGES = ".ci/system-packages"


def every_test_required() -> bool:
    """Whether a missing program fails the run: ``CAGOU_REQUIRE_EVERY_TEST=1``, or ``CI`` when it is not set."""
    value = os.environ.get(REQUIRE_EVERY_TEST_ENV)
    if value is None:
        value = os.environ.get("CI", "")
    return value.strip().lower() in {"1", "true", "yes"}


def require_program(program: str | Path, package: str) -> None:
    """Skip the test when ``program`` is missing, or fail it when every test is required.

    ``program`` is a path, or a name looked up on PATH. The skip says what to
    install; under ``make test`` and in CI the same message fails the test, so
    that a missing install is never hidden behind a skip.
    """
    found = Path(program).exists() if Path(program).is_absolute() else shutil.which(program) is not None
    if found:
        return
    message = (
        f"{program} is missing: install Debian's {package} ({SYSTEM_PACKAGES} does it, or: apt-get install {package})"
    )
    if every_test_required():
        pytest.fail(f"{message}; {REQUIRE_EVERY_TEST_ENV}=0 skips this test instead", pytrace=False)
    pytest.skip(message)


class SkipGuard:
    """Fails the run when a browser or directory test was skipped, whatever the reason.

    Registered when every test is required: :func:`require_program` already
    fails when a program is missing, this catches any other skip of those tests.
    """

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail") and any(m in report.keywords for m in REQUIRED_MARKERS):
            reason = report.longrepr[2].removeprefix("Skipped: ") if isinstance(report.longrepr, tuple) else ""
            self.skipped.append(f"{report.nodeid}: {reason}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.skipped and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.skipped:
            terminalreporter.write_sep(
                "=", f"browser or directory tests skipped, which {REQUIRE_EVERY_TEST_ENV} forbids"
            )
            for line in self.skipped:
                terminalreporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright")
    config.addinivalue_line("markers", "directory: needs Debian's slapd (the tests' own OpenLDAP server)")
    if every_test_required():
        config.pluginmanager.register(SkipGuard(), "cagou-skip-guard")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for the ``slapd`` fixture (tests/ldap_server.py) is a directory test, marked or not.

    The browser tests carry their marker (``pytestmark``): "browser" is also
    the name of other fixtures (the Gherkin steps' WebTest browser).
    """
    for item in items:
        if "slapd" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.directory)


def test_database_url() -> str | None:
    """The PostgreSQL database the suite runs on, or None for SQLite."""
    return os.environ.get(TEST_DATABASE_ENV) or None


def is_postgresql() -> bool:
    return test_database_url() is not None


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


def base_settings(var: Path, modules: tuple[str, ...], database_url: str) -> dict[str, Any]:
    return {
        "here": str(var.parent),
        "cagou.var": str(var),
        "cagou.database_url": database_url,
        "cagou.plugins.entry_points": "false",
        "cagou.plugins.extra": " ".join(modules),
        "cagou.modules.refresh_seconds": "0",
        # argon2id at its smallest costs: tests create and sign in hundreds of accounts, the algorithm is the same.
        "cagou.passwords.memory_kib": "8",
        "cagou.passwords.time_cost": "1",
        "cagou.assets.directory": str(Path.cwd() / "node_modules"),
        # Not a "cagou." setting: write_ini leaves it out, another process compiles its own templates.
        "jinja2.bytecode_caching": TEMPLATE_BYTECODE,
    }


def role_url(url: str, role: str) -> str:
    """``url`` with another user: the same database, as ``role`` (trust authentication, no password)."""
    return sa.make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def test_roles(url: str) -> tuple[str, str]:
    """The application's and the purge's roles of the test database ``url``.

    Roles belong to the whole cluster, which several checkouts share with a
    database each: the database's name tells theirs apart.
    """
    database = sa.make_url(url).database
    return f"{database}_app", f"{database}_purge"


def app_url(url: str) -> str:
    """The test database ``url`` as the application's role (see :func:`cagou.db.roles.grant`)."""
    return role_url(url, test_roles(url)[0])


def purge_url(url: str) -> str:
    """The test database ``url`` as the purge's role."""
    return role_url(url, test_roles(url)[1])


@contextlib.contextmanager
def as_owner() -> Iterator[sa.Connection]:
    """A transaction on the PostgreSQL test database as its owner, who may do what the application may not."""
    url = test_database_url()
    assert url is not None, "PostgreSQL only: SQLite has no roles"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def create_roles_and_grant(url: str) -> None:
    """As the owner ``url``: the two roles if missing, then ``cagou db grant``'s privileges."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for role in test_roles(url):
            if connection.execute(roles.ROLE_EXISTS, {"name": role}).first() is None:
                connection.exec_driver_sql(f"CREATE ROLE {connection.dialect.identifier_preparer.quote(role)} LOGIN")
        roles.grant(connection, *test_roles(url))
    engine.dispose()


def reset_postgresql(url: str) -> None:
    """Start from an empty schema: the test database belongs to the tests."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


TABLES = sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
FOREIGN_KEYS = sa.text(
    "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
    "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
)
RESTART_SEQUENCES = sa.text(
    "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
)
SEQUENCES = sa.text("SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")
COLUMNS = sa.text(
    "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 "
    "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"
)


@functools.cache
def owner_engine(url: str) -> sa.Engine:
    """The owner's engine for the session, for the wipe before each test and the demonstration's copies.

    One pooled connection, kept: an engine made and disposed for each wipe
    opened a connection each time, a new PostgreSQL server process on the
    same two cores as the tests. The pool checks the connection before use
    (pre-ping), so a server restarted in between is reconnected to.
    """
    return sa.create_engine(url, pool_size=1, pool_pre_ping=True)


def wipe_postgresql(url: str) -> None:
    """Empty every table but Alembic's and restart the sequences, so that the test starts clean.

    DELETE, children first, rather than TRUNCATE: on the few rows a test
    leaves, TRUNCATE's fixed cost per table (a new file for each) made the
    wipe take 0.2 to 0.4 s, before every test; DELETE takes a tenth of it.
    The statements go as one script, in one round trip rather than one each
    (about 40): a third of the time on a busy machine.
    """
    with owner_engine(url).begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        script = [
            # The audit tables refuse DELETE outside a purge (see cagou.audit); on PostgreSQL the
            # owner (this URL) may still delete when its transaction says so, other roles never.
            "SET LOCAL cagou.audit_purge = 'on'",
            # Names from the catalog, quoted.
            *(f"DELETE FROM public.{quote(name)}" for name in children_first(connection)),  # noqa: S608
            str(RESTART_SEQUENCES),
        ]
        connection.exec_driver_sql(";\n".join(script))


def children_first(connection: sa.Connection) -> list[str]:
    """The tables, each before those its foreign keys point to (a table's references to itself aside)."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in connection.scalars(TABLES):
        sorter.add(name)
    for child, parent in connection.execute(FOREIGN_KEYS):
        if child != parent:
            sorter.add(parent, child)
    return list(sorter.static_order())


#: Settings that name the test's own folder or database: the demonstration does not depend on them.
PER_TEST_SETTINGS = ("here", "cagou.var", "cagou.database_url", "cagou.audit.purge_database_url")
#: A template of the demonstration is made again once this old (seconds), as its data are dated from when it was
#: made (six weeks of tickets "ending now"): a test then starts from data as recent as if it had loaded them itself.
DEMO_TEMPLATE_MAX_AGE = 300.0
#: The instant of the ``clock`` fixture.
FROZEN_INSTANT = datetime.datetime(2026, 3, 23, 22, 0, tzinfo=datetime.UTC)


@dataclass
class DemoTemplate:
    """The demonstration loaded once: its folder (key rings, SQLite database), and its rows on PostgreSQL."""

    var: Path
    made_at: float
    #: PostgreSQL: each table's rows (``COPY``'s text format) with their columns, and where the sequences stood.
    rows: tuple[tuple[str, str, bytes], ...] = ()
    sequences: str = ""


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
    with ``COPY`` and kept in memory (not in another schema of the database,
    which ``pg_dump`` would save with the rest), then copied into the emptied
    tables of each test (``session_replication_role = replica``: the audit
    tables' triggers, which stamp new entries and refuse changes, must let the
    copies in unchanged, which needs a superuser as the test database's owner).
    """

    def __init__(self, root: Path, database: str) -> None:
        self.root = root
        self.database = database  # migrated_template: the owner's URL on PostgreSQL, else the SQLite file
        self.templates: dict[tuple[Any, ...], DemoTemplate] = {}
        #: The folders of the tests given the demonstration.
        self.restored: set[str] = set()

    def restore(self, settings: dict[str, Any], instant: datetime.datetime | None) -> None:
        """Put the demonstration into the test's folder and its empty database, before its platform starts.

        ``instant``: the frozen clock's, or None for the system clock's time.
        """
        key = (
            instant,
            *sorted((name, str(value)) for name, value in settings.items() if name not in PER_TEST_SETTINGS),
        )
        template = self.templates.get(key)
        if template is None or (instant is None and time.monotonic() - template.made_at > DEMO_TEMPLATE_MAX_AGE):
            template = self.templates[key] = self.make(settings, instant)
        var = Path(settings["cagou.var"])
        for source in template.var.iterdir():
            if not source.name.endswith("-shm"):  # SQLite's shared memory belongs to open connections; none is
                shutil.copyfile(source, var / source.name)
        if template.rows or template.sequences:
            self.copy_rows(template)
        self.restored.add(str(var))

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
            config = Configurator(registry=registry)
            config.register_service(FrozenClock(instant), IClock)
            config.commit()
        try:
            with transaction_scope(registry) as request:
                load_demo(request)
        finally:
            get_engine(registry).dispose()  # SQLite: the whole database in its file, none left in its log
        template = DemoTemplate(var=var, made_at=time.monotonic())
        if is_postgresql():
            self.snapshot(template)
            wipe_postgresql(self.database)
        return template

    def snapshot(self, template: DemoTemplate) -> None:
        """Read the rows the demonstration wrote in PostgreSQL's shared database, and the sequences' positions."""
        with owner_engine(self.database).begin() as connection:
            quote = connection.dialect.identifier_preparer.quote  # names from the catalog, quoted
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open: in the transaction
            rows = []
            for name in connection.scalars(TABLES).all():
                table = f"public.{quote(name)}"
                # By name: a test that migrated down and up again may have put the columns in another order.
                columns = ", ".join(quote(column) for column in connection.scalars(COLUMNS, {"table": table}))
                with cursor.copy(f"COPY {table} ({columns}) TO STDOUT") as copy:
                    data = b"".join(bytes(block) for block in copy)
                if data:
                    rows.append((table, columns, data))
            positions = []
            for name in connection.scalars(SEQUENCES).all():
                sequence = f"public.{quote(name)}"
                position = sa.text(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
                last_value, is_called = connection.execute(position).one()
                positions.append(f"setval('{sequence}', {int(last_value)}, {bool(is_called)})")
        template.rows, template.sequences = tuple(rows), f"SELECT {', '.join(positions)}" if positions else ""

    def copy_rows(self, template: DemoTemplate) -> None:
        """Copy the template's rows into the emptied tables; put the sequences where the demonstration left them."""
        with owner_engine(self.database).begin() as connection:
            # No trigger, no foreign key check: the rows are those the real triggers and checks let in.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open: in the transaction
            for table, columns, data in template.rows:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(data)
            if template.sequences:
                connection.exec_driver_sql(template.sequences)


@pytest.fixture(scope="session")
def cagou_modules() -> tuple[str, ...]:
    """The modules (importable package names) loaded in the test application."""
    return ()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory, cagou_modules: tuple[str, ...]) -> str:
    """A database migrated once per session: a SQLite file to copy, or PostgreSQL."""
    url = test_database_url()
    var = tmp_path_factory.mktemp("template") / "var"
    if url is not None:
        reset_postgresql(url)
        settings = base_settings(var, cagou_modules, url)
    else:
        settings = base_settings(var, cagou_modules, f"sqlite:///{var}/cagou.sqlite")
    # Migrated as the owner (and the job queue's tables made by it), as a deployment does.
    registry = configure(settings).registry
    migrate.upgrade(registry)
    get_engine(registry).dispose()
    if url is not None:
        create_roles_and_grant(url)
    return url or f"{var}/cagou.sqlite"


@pytest.fixture
def settings(tmp_path: Path, migrated_template: str, cagou_modules: tuple[str, ...]) -> dict[str, Any]:
    """Settings of a fresh application whose database is migrated and empty."""
    var = tmp_path / "var"
    var.mkdir()
    # The key rings a production configuration insists on (development would make them at start-up).
    keyring.create(var / "secrets.keys")
    keyring.create(var / "audit.keys", AUDIT_KEYS)
    if is_postgresql():
        # The wipe as the owner; the application as its own role, the purge as its (docs/deployment.md).
        wipe_postgresql(migrated_template)
        return {
            **base_settings(var, cagou_modules, app_url(migrated_template)),
            "cagou.audit.purge_database_url": purge_url(migrated_template),
        }
    shutil.copyfile(migrated_template, var / "cagou.sqlite")
    return base_settings(var, cagou_modules, f"sqlite:///{var}/cagou.sqlite")


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> DemoTemplates:
    return DemoTemplates(tmp_path_factory.mktemp("demo-templates"), migrated_template)


@pytest.fixture
def app_config(
    request: pytest.FixtureRequest, settings: dict[str, Any], demo_templates: DemoTemplates
) -> Iterator[Configurator]:
    if "demonstration" in request.fixturenames:
        # The data are in place before the platform starts, as if it had loaded them (see ``demonstration``).
        demo_templates.restore(settings, request.getfixturevalue("demonstration_instant"))
    config = configure(settings)
    yield config
    get_engine(config.registry).dispose()


@pytest.fixture
def registry(app_config: Configurator) -> Registry:
    return app_config.registry


@pytest.fixture
def demonstration(app_config: Configurator, settings: dict[str, Any], demo_templates: DemoTemplates) -> None:
    """The demonstration data (:func:`cagou.demo.load_demo`) in the test's database, copied from a template.

    What loading them before anything else would give, with the test's
    settings, at the time ``demonstration_instant`` says. ``app_config``
    copies them, before the platform starts, when the test asks for this
    fixture (directly or through another).
    """
    # Asked for too late (getfixturevalue, a pytest-bdd step), after the platform started: no data, say so.
    assert settings["cagou.var"] in demo_templates.restored, (
        "ask for `demonstration` in the test's arguments or fixtures"
    )


@pytest.fixture
def demonstration_instant(request: pytest.FixtureRequest) -> datetime.datetime | None:
    """When the ``demonstration`` is loaded: at the ``clock`` fixture's instant if the test freezes the clock with it,
    else at the system clock's time (when the template was made, at most :data:`DEMO_TEMPLATE_MAX_AGE` ago).

    A test module whose clock is frozen otherwise overrides this fixture with its instant.
    """
    return FROZEN_INSTANT if "clock" in request.fixturenames else None


@pytest.fixture
def clock(registry: Registry) -> FrozenClock:
    """Freeze the platform's clock (a Monday morning in Nouméa)."""
    frozen = FrozenClock(FROZEN_INSTANT)
    config = Configurator(registry=registry)
    config.register_service(frozen, IClock)
    config.commit()
    return frozen


@pytest.fixture
def owner_registry(registry: Registry, settings: dict[str, Any], migrated_template: str) -> Iterator[Registry]:
    """On PostgreSQL, the platform on the same database as its owner, for what only the owner may do (migrate).

    A test that migrates (down and up again) drops and recreates the audit
    functions and tables: the roles are granted again afterwards, as a
    deployment runs ``cagou db grant`` after ``cagou db upgrade``. On SQLite
    (no roles), the test's own platform.
    """
    if not is_postgresql():
        yield registry
        return
    owner = configure({**settings, "cagou.database_url": migrated_template}).registry
    try:
        yield owner
    finally:
        # PostgreSQL's schema outlives the test: put it back emptied and at every head for the next one,
        # which runs as the application's role and may not migrate.
        wipe_postgresql(migrated_template)
        migrate.upgrade(owner)
        get_engine(owner).dispose()
        create_roles_and_grant(migrated_template)


@pytest.fixture
def app(app_config: Configurator) -> webtest.TestApp:
    """The whole platform behind WebTest."""
    return webtest.TestApp(app_config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})


def production(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` of a production process: the environment, and the password costs it insists on."""
    return {
        **settings,
        "cagou.environment": "production",
        "cagou.passwords.memory_kib": DEFAULTS["cagou.passwords.memory_kib"],
        "cagou.passwords.time_cost": DEFAULTS["cagou.passwords.time_cost"],
    }


def site_prefix(site: str) -> str:
    return "/intranet" if site == INTRANET else ""


def login(app: webtest.TestApp, login_name: str, password: str, site: str = INTRANET) -> webtest.TestResponse:
    """Sign in through the real login form; return the page it leads to."""
    page = app.get(f"{site_prefix(site)}/connexion")
    form = page.forms[0]
    form["login"] = login_name
    form["password"] = password
    response = form.submit()
    if response.status_int == 303 and "/second-facteur" in response.location:
        response = give_second_factor(app, login_name, response.follow())
    return response.maybe_follow()


def totp_code(registry: Registry, login_name: str, steps_ahead: int = 0) -> str:
    """The code the person's authenticator shows now (by the platform's clock), or a step later."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        factor = request.db.get_one(SecondFactor, account.id)
        totp = pyotp.TOTP(clear_secret(request, factor))
        code: str = totp.generate_otp(totp.timecode(request.find_service(IClock).now()) + steps_ahead)
    return code


def give_second_factor(app: webtest.TestApp, login_name: str, page: webtest.TestResponse) -> webtest.TestResponse:
    """Fill the second-factor page as the person's phone would; enrol first if needed.

    A code is accepted once: when the current step's code already served
    (two sign-ins within 30 seconds), the next step's code is still valid.
    """
    registry = app.app.registry
    for steps_ahead in (0, 1):
        form = page.forms["formulaire-second-facteur"]
        form["code"] = totp_code(registry, login_name, steps_ahead)
        page = form.submit(expect_errors=True)
        if page.status_int != 401:
            break
    if page.status_int == 200 and "Codes de secours" in page.text:  # just enrolled: continue
        page = app.get(page.html.find("a", class_="button")["href"])
    return page


def csrf_token(page: webtest.TestResponse) -> str:
    """The CSRF token a page carries (for posting without its form)."""
    found = CSRF_FIELD.search(page.text)
    if found is None:
        raise AssertionError("The page carries no CSRF token")
    return found.group(1)


def write_ini(path: Path, settings: dict[str, Any], **overrides: str) -> Path:
    """A PasteDeploy file like development.ini, for the command line or another process.

    ``listen="127.0.0.1:PORT"`` adds a waitress server section; other keyword
    arguments override ``cagou.`` settings (``modules_refresh_seconds="1"``).
    """
    listen = overrides.pop("listen", None)
    values = {key: value for key, value in settings.items() if key.startswith("cagou.")}
    values.update({"cagou." + key.replace("_", ".", 1): value for key, value in overrides.items()})
    lines = ["[app:main]", "use = egg:cagou", *(f"{key} = {value}" for key, value in values.items())]
    if listen:
        lines += ["", "[server:main]", "use = egg:waitress#main", f"listen = {listen}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(ini: Path, environ: dict[str, str] | None = None) -> Iterator[str]:
    """The platform of ``ini`` (written with ``listen=``) served by its own process (pserve); its address.

    The process is stopped (SIGTERM to its group) when the block ends.
    """
    listen = re.search(r"^listen = (\S+)$", ini.read_text(), re.MULTILINE)
    if listen is None:
        raise ValueError(f"{ini} has no server section: write it with write_ini(..., listen=...)")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pserve"), str(ini)],
        env={**os.environ, **(environ or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://{listen.group(1)}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/sante", timeout=5):  # noqa: S310  (loopback)
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the platform of {ini} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def replace_hook(registry: Registry, hook_name: str, module: str, function: Any, monkeypatch: Any) -> None:
    """Make ``module``'s implementation of ``hook_name`` be ``function`` for one test."""
    hook = getattr(get_plugins(registry).manager.hook, hook_name)
    impl = next(impl for impl in hook.get_hookimpls() if impl.plugin_name == module)
    monkeypatch.setattr(impl, "function", function)


def delivered_mail(registry: Registry) -> list[EmailMessage]:
    """Run the queued jobs, then read every message dropped in the development mail folder, oldest first."""
    run_jobs(registry)
    folder = Path(registry.settings["cagou.mail.folder"])
    if not folder.exists():
        return []
    return [message for _key, message in in_arrival_order(folder)]


def run_jobs(registry: Registry) -> int:
    """Run every job due in the queue, as the worker would; return how many ran.

    A task whose time has not come (a retry, a postponed job) goes to huey's
    schedule, exactly as the consumer does with it.
    """
    huey = get_huey(registry)
    count = 0
    # Counted first: on PostgreSQL, huey's dequeue waits up to a second for a job when the queue is empty.
    while huey.pending_count() and (task := huey.dequeue()) is not None:
        if huey.ready_to_run(task):
            huey.execute(task)
            count += 1
        else:
            huey.add_schedule(task)
    return count


__all__ = [
    "INTRANET",
    "PUBLIC",
    "app",
    "app_config",
    "app_url",
    "as_owner",
    "cagou_modules",
    "clock",
    "csrf_token",
    "delivered_mail",
    "demo_templates",
    "demonstration",
    "demonstration_instant",
    "free_port",
    "give_second_factor",
    "is_postgresql",
    "login",
    "migrated_template",
    "owner_registry",
    "purge_url",
    "registry",
    "replace_hook",
    "run_jobs",
    "served",
    "settings",
    "totp_code",
    "write_ini",
]
