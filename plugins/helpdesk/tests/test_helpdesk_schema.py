"""The helpdesk's schema does what the application counts on, on SQLite and PostgreSQL.

- One category per path whatever the case (``ix_helpdesk_category_lower_path``):
  the database refuses a twin even when nothing checked before, and two
  administrators racing through ``ICategories.add`` store one category.
- The partial indexes of revision 0002 are the models' (Alembic's comparison
  sees neither their WHERE nor, on SQLite, an index on an expression), and the
  planner takes them for the queue's and "take the next one"'s own queries.
- The revision stops, naming them, on categories that only differ by case;
  ``cagou db upgrade`` then says so in one French line and changes nothing.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.operations import Operations
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.schema import CreateIndex

import cagou_helpdesk
from cagou.cli import build_cli
from cagou.db import Base, get_engine, migrate, transaction_scope
from cagou.db.migrate import MigrationRefusedError
from cagou.identity.models import Account
from cagou.kit import Invalid
from cagou.testing import write_ini
from cagou_helpdesk import checks, queries
from cagou_helpdesk.interfaces import ICategories, ITickets
from cagou_helpdesk.models import Category
from cagou_helpdesk.services import categories

MIGRATION = Path(cagou_helpdesk.__file__).parent / "migrations" / "0002_helpdesk_indexes.py"
BARRIER_TIMEOUT_SECONDS = 30


def add_root_category(registry, path: str) -> None:
    """Store a top-level category the way no check precedes: a bare INSERT, in a transaction of its own."""
    with transaction_scope(registry) as request:
        request.db.add(Category(name=path, path=path))


@pytest.mark.parametrize("twin", ["Imprimantes", "IMPRIMANTES", "imprimantes"])
def test_the_database_refuses_a_second_top_level_category_of_the_same_path(registry, helpdesk, twin):
    add_root_category(registry, "Imprimantes")
    with pytest.raises(sa.exc.IntegrityError):
        add_root_category(registry, twin)
    with transaction_scope(registry) as request:
        stored = request.db.scalars(sa.select(Category.path).where(sa.func.lower(Category.path) == "imprimantes"))
        assert list(stored) == ["Imprimantes"]


def test_the_database_refuses_a_subcategory_that_differs_by_case_only(registry, helpdesk):
    """The (parent_id, name) constraint is case-sensitive; the path index is not."""
    with pytest.raises(sa.exc.IntegrityError), transaction_scope(registry) as request:
        network = request.db.get_one(Category, helpdesk.categories["vpn"]).parent
        request.db.add(Category(name="vpn", path="Réseau > vpn", parent=network))


def test_two_administrators_adding_the_same_category_at_the_same_instant_store_one(registry, helpdesk, monkeypatch):
    """Both read the tree and pass the check before either writes: the database lets one through."""
    both_checked = threading.Barrier(2, timeout=BARRIER_TIMEOUT_SECONDS)
    check_path_lengths = categories.check_path_lengths

    def check_then_wait(*args, **kwargs):
        check_path_lengths(*args, **kwargs)
        both_checked.wait()

    monkeypatch.setattr(categories, "check_path_lengths", check_then_wait)
    outcomes: dict[str, object] = {}

    def administrator(name: str) -> None:
        try:
            with transaction_scope(registry) as request:
                outcomes[name] = request.find_service(ICategories).add(categories.CategoryInput(name=name)).path
        except Exception as error:  # the outcome is what the test checks
            outcomes[name] = error

    threads = [threading.Thread(target=administrator, args=(name,)) for name in ("Imprimantes", "IMPRIMANTES")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT_SECONDS * 2)
    [stored] = [value for value in outcomes.values() if isinstance(value, str)]
    [refused] = [value for value in outcomes.values() if not isinstance(value, str)]
    assert isinstance(refused, Invalid), refused
    assert refused.errors["name"] == f"Une catégorie « {stored} » existe déjà à la racine : choisissez un autre nom."
    with transaction_scope(registry) as request:
        paths = request.db.scalars(sa.select(Category.path).where(sa.func.lower(Category.path) == "imprimantes"))
        assert list(paths) == [stored]
        entries = request.db.scalar(
            sa.text("SELECT count(*) FROM audit_entry WHERE action = 'helpdesk:category:create'")
        )
        assert entries == 1


# --- The indexes Alembic's comparison cannot see in full ------------------------------------------------------


def helpdesk_indexes_beyond_alembic() -> list[sa.Index]:
    """The helpdesk's indexes with a WHERE or on an expression: Alembic compares neither on every database."""
    found = []
    for table in Base.metadata.sorted_tables:
        if not table.name.startswith("helpdesk_"):
            continue
        for index in table.indexes:
            partial = any(index.dialect_options[name]["where"] is not None for name in ("postgresql", "sqlite"))
            on_expression = any(not isinstance(expression, sa.Column) for expression in index.expressions)
            if partial or on_expression:
                found.append(index)
    return sorted(found, key=lambda index: str(index.name))


def test_the_indexes_beyond_alembic_are_the_three_of_revision_0002_and_the_one_of_0004():
    assert [index.name for index in helpdesk_indexes_beyond_alembic()] == [
        "ix_helpdesk_category_lower_path",
        "ix_helpdesk_ticket_next",
        "ix_helpdesk_ticket_open_queue",
        "ix_helpdesk_ticket_unacknowledged",
    ]


def definition(connection: sa.Connection, name: str) -> str:
    """The index as the database describes it, under a neutral name."""
    if connection.dialect.name == "postgresql":
        text = connection.scalar(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": name})
    else:
        text = connection.scalar(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"), {"name": name}
        )
    assert text is not None, f"no index {name}"
    return " ".join(text.replace(name, "<index>").split())


@pytest.mark.parametrize("index", helpdesk_indexes_beyond_alembic(), ids=lambda index: str(index.name))
def test_the_database_holds_the_index_the_model_declares(owner_registry, index):
    """The model's index, created under another name, is described exactly as the migrated one (WHERE included)."""
    # DDL, rolled back: as the owner, as migrations run.
    with get_engine(owner_registry).connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # pysqlite would run the DDL outside any transaction
        model_ddl = str(CreateIndex(index).compile(dialect=connection.dialect))
        connection.exec_driver_sql(model_ddl.replace(str(index.name), "ix_model_copy"))
        try:
            assert definition(connection, "ix_model_copy") == definition(connection, str(index.name))
        finally:
            connection.rollback()


# --- The planner takes them ------------------------------------------------------------------------------------


def statements_of(registry, work) -> list[tuple[str, object]]:
    """The SELECTs on tickets that ``work(request)`` sends, with their parameters; its transaction is rolled back."""
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if re.match(r"\s*SELECT helpdesk_ticket\.id\b", statement):
            sent.append((statement, parameters))

    engine = get_engine(registry)
    event.listen(engine, "before_cursor_execute", capture)
    try:
        with pytest.raises(RuntimeError), transaction_scope(registry) as request:
            work(request, request.db.scalars(sa.select(Account).where(Account.login == "tech1")).one())
            raise RuntimeError("rolled back")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return sent


def plan_of(registry, statement: str, parameters: object) -> str:
    """The plan chosen for the statement with its very parameters (the planner sees their values on both databases).

    PostgreSQL is told to avoid full scans and sorts, the way 100,000 tickets
    would: a test table of a few rows would be read whole whatever the indexes.
    """
    with get_engine(registry).connect() as connection:
        if connection.dialect.name == "postgresql":
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                connection.exec_driver_sql(f"SET LOCAL {setting} = off")
            lines = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
        else:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            lines = [row[-1] for row in rows]
        connection.rollback()
    return "\n".join(lines)


def open_some_tickets(registry) -> None:
    with transaction_scope(registry) as request:
        agent = request.db.scalar(sa.select(Account).where(Account.login == "agent"))
        for number in range(3):
            data = checks.TicketInput(title=f"Écran noir {number}", description="Plus rien.", category="Logiciels")
            request.find_service(ITickets).open(data, agent)


def test_the_queue_reads_its_page_from_the_open_queue_index(registry, helpdesk):
    open_some_tickets(registry)
    [(statement, parameters)] = statements_of(
        registry, lambda request, tech: queries.queue(request, tech, queries.QueueFilter())
    )
    plan = plan_of(registry, statement, parameters)
    assert "ix_helpdesk_ticket_open_queue" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_take_next_reads_its_candidate_from_the_next_index(registry, helpdesk):
    open_some_tickets(registry)
    sent = statements_of(registry, lambda request, tech: request.find_service(ITickets).take_next(tech))
    [(statement, parameters)] = [(s, p) for s, p in sent if "LIMIT" in s]
    plan = plan_of(registry, statement, parameters)
    assert "ix_helpdesk_ticket_next" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


# --- The revision's own check -----------------------------------------------------------------------------------


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("helpdesk_0002", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_revision_stops_on_categories_that_differ_by_case_only_and_names_them(owner_registry, helpdesk):
    """What an older database may hold (two « Imprimantes » at the root) is named, for an administrator to rename."""
    revision = migration()
    # A migration, rolled back: as the owner.
    with get_engine(owner_registry).connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # pysqlite would run the DDL outside any transaction
        try:
            for name in ("ix_helpdesk_ticket_next", "ix_helpdesk_ticket_open_queue", "ix_helpdesk_category_lower_path"):
                connection.exec_driver_sql(f"DROP INDEX {name}")
            connection.execute(
                sa.insert(Category),
                [{"name": name, "path": name, "active": True} for name in ("Imprimantes", "IMPRIMANTES")],
            )
            with (
                Operations.context(MigrationContext.configure(connection)),
                pytest.raises(MigrationRefusedError) as stopped,
            ):
                revision.upgrade()
            assert str(stopped.value) == (
                "Des catégories de l'assistance portent le même chemin, à la casse près : "
                "« Imprimantes », « IMPRIMANTES ». Renommez-les dans l'administration de l'assistance "
                "(un chemin par catégorie), puis relancez la migration."
            )
            renamed = {"name": "Imprimés", "path": "Imprimés"}
            connection.execute(sa.update(Category).where(Category.path == "IMPRIMANTES").values(renamed))
            with Operations.context(MigrationContext.configure(connection)):
                revision.upgrade()
            definition(connection, "ix_helpdesk_category_lower_path")  # made, now that each path is unique
        finally:
            connection.rollback()


def test_cagou_db_upgrade_names_the_twins_and_changes_nothing(
    registry, owner_registry, settings, tmp_path, monkeypatch, cagou_modules
):
    """What the operator sees: one French line, exit status 1, no traceback; the database stays at revision 0001."""
    # Migrations run as the database's owner.
    with get_engine(owner_registry).begin() as connection:
        command.downgrade(migrate.alembic_config(owner_registry, connection), "0001_helpdesk")
        twins = [{"name": name, "path": name, "active": True} for name in ("Imprimantes", "IMPRIMANTES")]
        connection.execute(sa.insert(Category), twins)
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", " ".join(cagou_modules))
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")
    ini = write_ini(
        tmp_path / "test.ini", {**settings, "cagou.database_url": owner_registry.settings["cagou.database_url"]}
    )
    result = CliRunner().invoke(build_cli(), ["-c", str(ini), "db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.startswith(
        "Erreur : migration interrompue, rien n'a changé. Des catégories de l'assistance portent le même chemin"
    )
    assert "« Imprimantes », « IMPRIMANTES »" in result.output
    assert "Traceback" not in result.output
    assert "0002_helpdesk_indexes" not in migrate.applied_revisions(registry)
