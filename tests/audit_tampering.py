"""Writing audit entries as a module does, and tampering with them as whoever holds the database's keys could."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from cagou.audit.models import AuditSeal
from cagou.cli import build_cli
from cagou.db import get_engine, transaction_scope
from cagou.interfaces import IAuditLog
from cagou.testing import as_owner, is_postgresql


def write(registry, count: int = 1, module: str = "sample", **extra) -> list[int]:
    """``count`` entries, each in its own transaction, as a module writes them."""
    ids = []
    for number in range(count):
        with transaction_scope(registry) as request:
            entry = request.find_service(IAuditLog).record(
                f"{module}:note:test", f"Note n° {number} écrite.", module=module, object_type="note", **extra
            )
            ids.append(entry.id)
    return ids


def seals(registry) -> list[tuple[int, int, str, str]]:
    with get_engine(registry).connect() as connection:
        rows = connection.execute(
            sa.select(AuditSeal.position, AuditSeal.entry_id, AuditSeal.digest, AuditSeal.chain_hash).order_by(
                AuditSeal.position
            )
        )
        return [tuple(row) for row in rows]


@contextlib.contextmanager
def tampering(registry) -> Iterator[sa.Connection]:
    """A connection that gets around the append-only triggers, as the database's owner can."""
    if is_postgresql():
        # The application's role cannot: the owner, who migrates the database, can.
        with as_owner() as connection:
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            yield connection
        return
    with get_engine(registry).begin() as connection:
        names = connection.scalars(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND (name LIKE '%no_update' OR name LIKE '%no_delete')"
            )
        ).all()
        for name in names:
            connection.execute(sa.text(f"DROP TRIGGER {name}"))
        yield connection


def command_runner(ini: Path, monkeypatch):  # type: ignore[no-untyped-def]
    """``invoke("audit", "verify")``: the ``cagou`` command on ``ini``, with the sample module, in this process."""
    monkeypatch.setenv("CAGOU_PLUGINS_EXTRA", "cagou_sample")
    monkeypatch.setenv("CAGOU_PLUGINS_ENTRY_POINTS", "false")
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(build_cli(), ["-c", str(ini), *args], catch_exceptions=False)

    return invoke
