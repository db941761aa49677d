"""Pytest fixtures for the core's tests and for every module's tests.

A module's ``conftest.py`` says ``pytest_plugins = ["cagou.testing"]`` and
gets a real application on a real database: SQLite by default, PostgreSQL when
``CAGOU_TEST_DATABASE_URL`` points at one (the data is wiped between tests,
so use a database meant for tests). Modules to load are named by the
``cagou_modules`` fixture, which a test suite overrides.

Nothing here stands in for a component: the database is migrated with the
real migrations, mail lands in a real Maildir folder, jobs go through huey's
real storage and are run by :func:`run_jobs`.

One module per concern, every name importable from ``cagou.testing`` as
before (pytest reads the fixtures and hooks from this package's namespace):

- :mod:`cagou.testing.fixtures`: the fixtures (``settings``, ``app_config``,
  ``registry``, ``app``, ``clock``, ``demonstration``...) and the settings of
  a test's platform;
- :mod:`cagou.testing.database`: which database, its roles, the wipe between
  tests, copying rows in and out;
- :mod:`cagou.testing.templates`: what is made once per session and reused
  (compiled templates, the demonstration, a fixture's data);
- :mod:`cagou.testing.platforms`: the platforms built once per kind of
  settings and lent to one test after another;
- :mod:`cagou.testing.helpers`: what a test does with the platform (sign in,
  a form's token, jobs, mail, a served process);
- :mod:`cagou.testing.required`: the browser and directory tests CI may not
  skip;
- :mod:`cagou.testing.clamd`: a real clamd with signatures of its own
  (``clamd``), for the virus scanner's tests.
"""

from __future__ import annotations

import pytest

from cagou.contributions import INTRANET, PUBLIC
from cagou.testing.clamd import (
    EICAR,
    EICAR_SIGNATURE,
    INFECTED_PDF,
    PDF_SIGNATURE,
    STREAM_MAX_BYTES,
    Clamd,
    clamd,
    clamd_server,
)
from cagou.testing.database import (
    COLUMNS,
    FOREIGN_KEYS,
    RESTART_SEQUENCES,
    SEQUENCES,
    TABLES,
    TEST_DATABASE_ENV,
    Rows,
    app_url,
    as_owner,
    children_first,
    copy_rows,
    create_roles_and_grant,
    database_is_empty,
    is_postgresql,
    owner_engine,
    purge_url,
    reset_postgresql,
    role_url,
    snapshot_rows,
    test_database_url,
    test_roles,
    wipe_postgresql,
)
from cagou.testing.fixtures import (
    FROZEN_INSTANT,
    app,
    app_config,
    base_settings,
    cagou_modules,
    clock,
    demo_templates,
    demonstration,
    demonstration_instant,
    fixture_templates,
    key_rings,
    migrated_template,
    owner_registry,
    platform_folder,
    platforms,
    production,
    registry,
    settings,
)
from cagou.testing.helpers import (
    CSRF_FIELD,
    csrf_token,
    delivered_mail,
    free_port,
    freeze_clock,
    give_second_factor,
    login,
    replace_hook,
    run_jobs,
    served,
    site_prefix,
    stop_process,
    totp_code,
    write_ini,
)
from cagou.testing.platforms import PLATFORMS, Platform, Platforms, pytest_terminal_summary
from cagou.testing.required import (
    REQUIRE_EVERY_TEST_ENV,
    REQUIRED_MARKERS,
    SYSTEM_PACKAGES,
    SkipGuard,
    every_test_required,
    pytest_collection_modifyitems,
    pytest_configure,
    require_program,
)
from cagou.testing.templates import (
    DEMO_TEMPLATE_MAX_AGE,
    PER_TEST_SETTINGS,
    TEMPLATE_BYTECODE,
    DemoTemplate,
    DemoTemplates,
    FixtureTemplates,
    TemplateBytecode,
    template_key,
)

# The other helpers of the tests hold assertions too: pytest rewrites them when a suite imports them.
pytest.register_assert_rewrite("cagou.testing_browser", "cagou.testing_checks", "cagou.testing_production")

__all__ = [
    "COLUMNS",
    "CSRF_FIELD",
    "DEMO_TEMPLATE_MAX_AGE",
    "EICAR",
    "EICAR_SIGNATURE",
    "FOREIGN_KEYS",
    "FROZEN_INSTANT",
    "INFECTED_PDF",
    "INTRANET",
    "PDF_SIGNATURE",
    "PER_TEST_SETTINGS",
    "PLATFORMS",
    "PUBLIC",
    "REQUIRED_MARKERS",
    "REQUIRE_EVERY_TEST_ENV",
    "RESTART_SEQUENCES",
    "SEQUENCES",
    "STREAM_MAX_BYTES",
    "SYSTEM_PACKAGES",
    "TABLES",
    "TEMPLATE_BYTECODE",
    "TEST_DATABASE_ENV",
    "Clamd",
    "DemoTemplate",
    "DemoTemplates",
    "FixtureTemplates",
    "Platform",
    "Platforms",
    "Rows",
    "SkipGuard",
    "TemplateBytecode",
    "app",
    "app_config",
    "app_url",
    "as_owner",
    "base_settings",
    "cagou_modules",
    "children_first",
    "clamd",
    "clamd_server",
    "clock",
    "copy_rows",
    "create_roles_and_grant",
    "csrf_token",
    "database_is_empty",
    "delivered_mail",
    "demo_templates",
    "demonstration",
    "demonstration_instant",
    "every_test_required",
    "fixture_templates",
    "free_port",
    "freeze_clock",
    "give_second_factor",
    "is_postgresql",
    "key_rings",
    "login",
    "migrated_template",
    "owner_engine",
    "owner_registry",
    "platform_folder",
    "platforms",
    "production",
    "purge_url",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_terminal_summary",
    "registry",
    "replace_hook",
    "require_program",
    "reset_postgresql",
    "role_url",
    "run_jobs",
    "served",
    "settings",
    "site_prefix",
    "snapshot_rows",
    "stop_process",
    "template_key",
    "test_database_url",
    "test_roles",
    "totp_code",
    "wipe_postgresql",
    "write_ini",
]
