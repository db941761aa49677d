"""The fixtures: a real platform with the suite's modules, on its migrated database, for each test."""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest
from pyramid.config import Configurator
from pyramid.registry import Registry

from cagou import configure
from cagou.audit.keys import PURPOSE as AUDIT_KEYS
from cagou.clock import FrozenClock
from cagou.db import get_engine, migrate
from cagou.secrets import keyring
from cagou.settings import DEFAULTS
from cagou.testing.database import (
    app_url,
    create_roles_and_grant,
    is_postgresql,
    purge_url,
    reset_postgresql,
    test_database_url,
    wipe_postgresql,
)
from cagou.testing.helpers import freeze_clock
from cagou.testing.platforms import PLATFORMS, Platforms
from cagou.testing.templates import TEMPLATE_BYTECODE, DemoTemplates, FixtureTemplates, folder_identity

#: The instant of the ``clock`` fixture.
FROZEN_INSTANT = datetime.datetime(2026, 3, 23, 22, 0, tzinfo=datetime.UTC)


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


@pytest.fixture(scope="session")
def fixture_templates(migrated_template: str) -> FixtureTemplates:
    return FixtureTemplates(migrated_template)


@pytest.fixture(scope="session")
def key_rings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The key rings every test starts with, made once: each test has its own copy of the files.

    The same keys in every test let a fixture's audit entries, sealed with
    them, be copied into another test (:class:`FixtureTemplates`).
    """
    folder = tmp_path_factory.mktemp("key-rings")
    keyring.create(folder / "secrets.keys")
    keyring.create(folder / "audit.keys", AUDIT_KEYS)
    return folder


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


@pytest.fixture(scope="session")
def platforms(pytestconfig: pytest.Config) -> Platforms:
    """The platforms built in the session, lent to one test after another (see :mod:`cagou.testing.platforms`)."""
    made = pytestconfig.stash[PLATFORMS] = Platforms()
    return made


@pytest.fixture(scope="session")
def platform_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every test's platform has its folder (``here``, holding ``var``): the same path for every test.

    The same settings then give the same platform, which :class:`Platforms`
    lends again. Each test gets the folder new and empty; it moves into the
    test's ``tmp_path`` when the test ends, to be looked at afterwards.
    """
    return tmp_path_factory.getbasetemp() / "platform"


@pytest.fixture
def settings(
    tmp_path: Path, platform_folder: Path, migrated_template: str, cagou_modules: tuple[str, ...], key_rings: Path
) -> Iterator[dict[str, Any]]:
    """Settings of a fresh application whose database is migrated and empty, its folder ``platform_folder``."""
    if platform_folder.exists():  # the last test could not move it away
        shutil.rmtree(platform_folder)
    var = platform_folder / "var"
    var.mkdir(parents=True)
    # The key rings a production configuration insists on (development would make them at start-up);
    # copied with their mode (0600).
    for ring in ("secrets.keys", "audit.keys"):
        shutil.copy(key_rings / ring, var / ring)
    if is_postgresql():
        # The wipe as the owner; the application as its own role, the purge as its (docs/deployment.md).
        wipe_postgresql(migrated_template)
        yield {
            **base_settings(var, cagou_modules, app_url(migrated_template)),
            "cagou.audit.purge_database_url": purge_url(migrated_template),
        }
    else:
        shutil.copyfile(migrated_template, var / "cagou.sqlite")
        yield base_settings(var, cagou_modules, f"sqlite:///{var}/cagou.sqlite")
    kept = tmp_path / "platform"
    if kept.exists():
        shutil.rmtree(kept)
    if platform_folder.exists():  # a test may have removed it
        platform_folder.rename(kept)


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> DemoTemplates:
    return DemoTemplates(tmp_path_factory.mktemp("demo-templates"), migrated_template)


@pytest.fixture
def app_config(
    request: pytest.FixtureRequest, settings: dict[str, Any], demo_templates: DemoTemplates, platforms: Platforms
) -> Iterator[Configurator]:
    if "demonstration" in request.fixturenames:
        # The data are in place before the platform starts, as if it had loaded them (see ``demonstration``).
        demo_templates.restore(settings, request.getfixturevalue("demonstration_instant"))
    config = platforms.lend(settings)
    yield config
    platforms.put_back(config)


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
    assert folder_identity(Path(settings["cagou.var"])) in demo_templates.restored, (
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
    return freeze_clock(registry, FROZEN_INSTANT)


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
def app(app_config: Configurator, platforms: Platforms) -> webtest.TestApp:
    """The whole platform behind WebTest."""
    return webtest.TestApp(platforms.wsgi(app_config), extra_environ={"HTTP_HOST": "localhost"})


def production(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` of a production process: the environment, and the password costs it insists on."""
    return {
        **settings,
        "cagou.environment": "production",
        "cagou.passwords.memory_kib": DEFAULTS["cagou.passwords.memory_kib"],
        "cagou.passwords.time_cost": DEFAULTS["cagou.passwords.time_cost"],
    }
