"""What the platform asks the database on every signed-in request: one query, whatever the page."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cagou.db import get_engine
from cagou.testing import login


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


@contextlib.contextmanager
def statements(registry) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        seen.append(" ".join(statement.split()))

    engine = get_engine(registry)
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def test_the_session_the_account_and_its_grants_come_in_one_query(app, registry, demo):
    # An agent holding roles within a directorate: grants and directorates are read too.
    login(app, "agent", "demo-agent-2026")
    app.get("/intranet/")
    with statements(registry) as seen:
        app.get("/intranet/jetons/")
    identity = [s for s in seen if "FROM login_session" in s or "FROM account" in s or "FROM role_grant" in s]
    assert len(identity) == 1, identity
    assert "JOIN account" in identity[0] and "JOIN role_grant" in identity[0]
