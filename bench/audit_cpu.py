"""Where the audit log's cost goes: CPU per request, in process, audited against not audited.

bench/audit.py measures the cost over HTTP, with its 16 clients on the same
two cores as the server and PostgreSQL. This measure says where that cost
lies. In this process, one thread, WebTest, no HTTP: the bench module's
endpoint (``POST /intranet/banc/audit``, the change and its entry) against
``?audit=0`` (the change alone), in alternating rounds, on a database
prepared as bench/audit.py prepares it (dropped and made again). For each
side: this process's CPU per request (``time.process_time()``) and the CPU
of the PostgreSQL backends of the database (``/proc/<pid>/stat``, so
PostgreSQL must run on this machine and the user must read its processes).
Then the audited side once more, with the parts of ``IAuditLog.record``
timed: the entry's values (identity, clock, digest, HMAC) and the INSERT.

    python bench/audit_cpu.py [--requests 400] [--rounds 6]
"""

from __future__ import annotations

import argparse
import html
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import audit
import run
import sqlalchemy as sa
import webtest

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_audit_cpu"
SIDES = {audit.AUDIT_ON: "1", audit.AUDIT_OFF: "0"}


def signed_in_poster(env: dict[str, str]) -> Callable[[str], object]:
    """The production application in this process; a function posting one change, audited or not."""
    os.environ.update({key: value for key, value in env.items() if key.startswith("CAGOU_")})
    sys.path.insert(0, str(audit.PLUGINS))
    from serve import cagou_app

    # Production's cookies are Secure, and its CSRF check wants the request's own origin over HTTPS.
    https = {"HTTP_HOST": "localhost", "wsgi.url_scheme": "https", "HTTP_ORIGIN": "https://localhost"}
    browser = webtest.TestApp(cagou_app(str(run.INI)), extra_environ=https)
    login = run.CSRF_FIELD.search(browser.get("/intranet/connexion").text)
    if login is None:
        raise SystemExit("The sign-in page answered without a CSRF token")
    fields = {"login": run.LOGIN, "password": run.PASSWORD, "csrf_token": html.unescape(login.group(1))}
    browser.post("/intranet/connexion", fields, status=303)
    header = audit.CSRF_HEADER.search(browser.get("/intranet/").text)
    if header is None:
        raise SystemExit("Mon espace answered without a CSRF token")
    numbers = iter(range(10**9))

    def post(mode: str) -> object:
        body = {"reference": f"AIDE-2026-{next(numbers):07d}"}
        headers = {"X-CSRF-Token": header.group(1)}
        return browser.post_json(f"{audit.ENDPOINT}?audit={mode}", body, headers=headers, status=200)

    return post


def backend_seconds(engine: sa.Engine, database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends of ``database``, this query's own excepted."""
    query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()")
    with engine.connect() as connection:
        pids = connection.execute(query, {"name": database}).scalars().all()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a backend that ended meanwhile
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(post: Callable[[str], object], mode: str, count: int, backends: Callable[[], float]) -> tuple[float, float]:
    """Milliseconds of CPU per request: (this process, PostgreSQL)."""
    started, backend_started = time.process_time(), backends()
    for _ in range(count):
        post(mode)
    return (time.process_time() - started) / count * 1000, (backends() - backend_started) / count * 1000


def record_parts(post: Callable[[str], object], count: int) -> dict[str, float]:
    """Milliseconds of CPU per audited request in ``record`` and in its part that builds the entry."""
    from cagou.audit import services

    spent = {"record": 0.0, "entry_values": 0.0}
    original_record, original_values = services.DatabaseAuditLog.record, services.entry_values

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*arguments: Any, **keywords: Any) -> Any:
            started = time.process_time()
            try:
                return function(*arguments, **keywords)
            finally:
                spent[name] += time.process_time() - started

        return call

    services.DatabaseAuditLog.record = timed("record", original_record)  # type: ignore[method-assign]
    services.entry_values = timed("entry_values", original_values)
    try:
        for _ in range(count):
            post("1")
    finally:
        services.DatabaseAuditLog.record, services.entry_values = original_record, original_values  # type: ignore[method-assign]
    return {name: seconds / count * 1000 for name, seconds in spent.items()}


def report(figures: dict[str, list[tuple[float, float]]], parts: dict[str, float], count: int, rounds: int) -> str:
    medians = {
        name: (statistics.median(value[0] for value in values), statistics.median(value[1] for value in values))
        for name, values in figures.items()
    }
    (python_on, database_on), (python_off, database_off) = medians[audit.AUDIT_ON], medians[audit.AUDIT_OFF]
    total_on, total_off = python_on + database_on, python_off + database_off
    lines = [
        "# Audit log: CPU per request, in process", "",
        f"{count} requests per round, {rounds} alternating rounds, one thread, WebTest, PostgreSQL; "
        "median of the rounds (bench/audit_cpu.py).", "",
        "| Request | Python (ms) | PostgreSQL (ms) | Both (ms) |", "|---|--:|--:|--:|",
        f"| {audit.AUDIT_ON} | {python_on:.2f} | {database_on:.2f} | {total_on:.2f} |",
        f"| {audit.AUDIT_OFF} | {python_off:.2f} | {database_off:.2f} | {total_off:.2f} |",
        f"| the entry's cost | {python_on - python_off:.2f} | {database_on - database_off:.2f} | "
        f"{total_on - total_off:.2f} |",
        "",
        f"- CPU-bound throughput lost to the entry: **{1 - total_off / total_on:.0%}** (target of bench/audit.py ≤ "
        f"{audit.COST_TARGET:.0%})",
        f"- in `IAuditLog.record`: {parts['record']:.2f} ms, of which the entry's values (identity, clock, "
        f"digest, HMAC) {parts['entry_values']:.2f} ms and the INSERT the rest",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests per round and side (400)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds (6)")
    parser.add_argument("--postgresql-url", default=DEFAULT_URL, help="a database this run may drop")
    arguments = parser.parse_args()
    url = arguments.postgresql_url
    env = audit.environment(url, secrets.token_urlsafe(48))
    audit.prepare(url, env)
    post = signed_in_poster(env)
    engine = sa.create_engine(url)
    database = sa.make_url(url).database or ""

    def backends() -> float:
        return backend_seconds(engine, database)

    for mode in SIDES.values():  # warm-up: compiled statements, pools
        measure(post, mode, max(arguments.requests // 4, 20), backends)
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in SIDES}
    for round_number in range(arguments.rounds):
        order = list(SIDES) if round_number % 2 == 0 else list(reversed(SIDES))
        for name in order:
            figures[name].append(measure(post, SIDES[name], arguments.requests, backends))
    parts = record_parts(post, arguments.requests)
    engine.dispose()
    text = report(figures, parts, arguments.requests, arguments.rounds)
    run.publish("audit-cpu.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
