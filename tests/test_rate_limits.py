"""Sign-in attempts are limited per account and per address, across processes."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
import webtest

from cagou import RateLimit, configure
from cagou.db import transaction_scope
from cagou.interfaces import IRateLimits
from cagou.ratelimits.services import CORE_RULES, parse_rules
from cagou.testing import login


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


def attempt(app: webtest.TestApp, login_name: str, password: str, address: str = "10.0.0.1", status: int = 401):
    page = app.get("/intranet/connexion", extra_environ={"REMOTE_ADDR": address})
    page.forms[0]["login"] = login_name
    page.forms[0]["password"] = password
    return page.forms[0].submit(status=status, extra_environ={"REMOTE_ADDR": address})


def test_an_account_is_paused_after_five_failures_whatever_the_address(app, demo, clock):
    for number in range(5):
        attempt(app, "agent", "mauvais", address=f"10.0.0.{number}")
    paused = attempt(app, "agent", "demo-agent-2026", address="10.0.9.9", status=429)
    assert "Trop de tentatives de connexion : réessayez dans" in paused.html.find(role="alert").text
    clock.advance(minutes=16)
    assert attempt(app, "agent", "demo-agent-2026", status=303).location.endswith("/intranet/")


def test_the_message_does_not_reveal_whether_the_account_exists(app, demo):
    for _ in range(5):
        attempt(app, "agent", "mauvais")
        attempt(app, "personne", "mauvais")
    known = attempt(app, "agent", "mauvais", status=429).html.find(role="alert").text
    unknown = attempt(app, "personne", "mauvais", status=429).html.find(role="alert").text
    assert known == unknown


def test_an_address_is_paused_after_thirty_failures_on_any_accounts(app, demo):
    for number in range(30):
        attempt(app, f"inconnu{number}", "mauvais", address="192.0.2.7")
    attempt(app, "agent", "demo-agent-2026", address="192.0.2.7", status=429)
    assert attempt(app, "agent", "demo-agent-2026", address="192.0.2.8", status=303)


def test_counters_are_shared_by_every_process(app, settings, demo):
    other = webtest.TestApp(configure(settings).make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    for number in range(3):
        attempt(app, "agent", "mauvais", address=f"10.1.0.{number}")
    for number in range(2):
        attempt(other, "agent", "mauvais", address=f"10.2.0.{number}")
    attempt(app, "agent", "demo-agent-2026", status=429)


def test_a_successful_sign_in_is_not_counted(app, demo):
    for _ in range(6):
        app.reset()
        assert "Paul Wahetra" in login(app, "agent", "demo-agent-2026").text


def test_rules_can_be_changed_by_setting():
    rules = parse_rules("login.account = 3/5\n")
    assert rules["login.account"].attempts == 3
    assert rules["login.account"].window.total_seconds() == 300
    assert rules["login.address"].attempts == 30
    with pytest.raises(ValueError, match="règle illisible"):
        parse_rules("login.account = beaucoup")
    with pytest.raises(ValueError, match="sans effet"):
        parse_rules("login.account = 0/15")


def test_a_module_declares_its_own_rule_and_the_setting_changes_it(settings, clock):
    registry = configure({**settings, "cagou.ratelimits": "sample.notes.account = 2/60"}).registry
    assert registry["cagou.ratelimits"]["sample.notes.account"] == RateLimit(
        "sample.notes.account", 2, datetime.timedelta(hours=1)
    )
    checks = {"sample.notes.account": "agent"}
    for _ in range(2):
        with transaction_scope(registry) as request:
            limits = request.find_service(IRateLimits)
            assert limits.blocked_for(checks) is None
            limits.count(checks)
    with transaction_scope(registry) as request:
        assert request.find_service(IRateLimits).blocked_for(checks) is not None
    # Without the setting, the module's own figures.
    assert configure(settings).registry["cagou.ratelimits"]["sample.notes.account"].attempts == 3


def test_two_modules_cannot_declare_the_same_rule():
    again = RateLimit("login.account", 1, datetime.timedelta(days=1))
    with pytest.raises(ValueError, match=r"déclarées deux fois : login\.account"):
        parse_rules("", [*CORE_RULES, again])


def test_check_and_count_counts_every_rule_in_one_statement_and_a_refusal_counts_nothing(registry, clock):
    checks = {"login.account": "agent", "login.address": "10.0.0.1"}
    statements: list[str] = []

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    with transaction_scope(registry) as request:
        engine = request.db.get_bind()
        sa.event.listen(engine, "before_cursor_execute", on_execute)
        try:
            assert request.find_service(IRateLimits).check_and_count(checks) is None
        finally:
            sa.event.remove(engine, "before_cursor_execute", on_execute)
    assert [statement.split()[0] for statement in statements] == ["INSERT"]
    for _ in range(4):  # login.account allows five attempts in 15 minutes
        with transaction_scope(registry) as request:
            assert request.find_service(IRateLimits).check_and_count(checks) is None
    with pytest.raises(RuntimeError), transaction_scope(registry) as request:
        wait = request.find_service(IRateLimits).check_and_count(checks)
        assert wait is not None and datetime.timedelta(0) < wait <= datetime.timedelta(minutes=15)
        raise RuntimeError("refused: the transaction is aborted")
    with transaction_scope(registry) as request:
        limits = request.find_service(IRateLimits)
        # The refused sixth attempt was rolled back: five counted, the account blocked, the address not.
        assert limits.blocked_for({"login.account": "agent"}) is not None
        assert limits.blocked_for({"login.address": "10.0.0.1"}) is None
    clock.advance(minutes=16)
    with transaction_scope(registry) as request:
        assert request.find_service(IRateLimits).check_and_count(checks) is None
