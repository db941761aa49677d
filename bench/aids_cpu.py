"""What one aids submission costs the server, in process: its CPU, its SQL statements and its ORM flushes.

bench/aids.py measures throughput over HTTP with the load generator on the
same two cores; this measures each request alone, steadily, as
bench/helpdesk_cpu.py does for the ticket form. On its own PostgreSQL
database (``--postgresql-url``, emptied and prepared as bench/aids.py
prepares its own: migrations, the demonstration, module aids enabled), in
this process, one thread, through the production application with WebTest:

- *Cagou*: ``POST /api/v1/demarches/{slug}/demandes``, the business-aid form
  of a company's program (17 answers, three PDF files in base64, a new
  ``Idempotency-Key`` each time), with its personal token;
- *Cagou, empty POST*: the signed-in JSON POST with its CSRF header that
  stores nothing (bench/plugins/cagou_benchaudit): the platform alone;
- *Bare Pyramid*: bench/bare_aids.py's endpoint, posted the same body.

The figure is ``time.process_time()`` per request, median of alternating
rounds. Then one submission is counted: the SQL statements it sends
(``before_cursor_execute``, an ``executemany`` counting once) and the ORM
flushes it runs. The confirmation's job (the PDF receipt and the mail) is
the worker's, not the request's: ``--jobs`` (10) of those the submissions
queued are then run as the worker runs them, each one's CPU timed.

    python bench/aids_cpu.py [--requests 200] [--rounds 4] [--jobs 10] [--profile 300]

With ``--profile N``, N submissions run under cProfile (``time.process_time``)
instead of the measure; the costliest functions are written to
var/bench/aids-cpu-profile.txt, the whole profile to var/bench/aids-cpu.prof.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable

import aids
import helpdesk_cpu
import run
import sqlalchemy as sa
from pyramid.registry import Registry

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_aids_cpu"


def clients(url: str) -> tuple[Callable[[], object], Callable[[], object], Registry]:
    """Its own database prepared as bench/aids.py prepares it, one company, and bench/aids.py's two requests."""
    env = aids.environment(url, secrets.token_urlsafe(48))
    aids.prepare(url, env)
    [company] = aids.bench_companies(env, 1)
    return aids.cpu_requests(env, company)


def bare_client(url: str) -> Callable[[], object]:
    """bench/bare_aids.py's endpoint in this process, posted the same body (its table made at its start)."""
    import webtest
    from bare_aids import make_app

    browser = webtest.TestApp(make_app(url))
    body = json.loads(aids.Company(1, "").body())

    def submission() -> object:
        return browser.post_json(aids.SUBMIT, body, headers={"Idempotency-Key": f"cpu-{uuid.uuid4()}"}, status=201)

    return submission


def counted(registry: Registry, request: Callable[[], object]) -> tuple[list[str], int]:
    """The SQL statements one request sends (their first words), and the ORM flushes it runs."""
    from sqlalchemy.orm import Session

    from cagou.db import get_engine

    statements: list[str] = []
    flushes = [0]

    def on_execute(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()[:6]))

    def on_flush(session: object, context: object) -> None:
        flushes[0] += 1

    engine = get_engine(registry)
    sa.event.listen(engine, "before_cursor_execute", on_execute)
    sa.event.listen(Session, "after_flush", on_flush)
    try:
        request()
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        sa.event.remove(Session, "after_flush", on_flush)
    return statements, flushes[0]


def confirmations(registry: Registry, count: int) -> list[float]:
    """Milliseconds of CPU of each of ``count`` confirmation jobs (the PDF receipt printed, the mail written and
    delivered), run as the worker runs them, from the queue the submissions left; the other jobs are dropped."""
    from cagou.jobs.services import get_huey

    huey = get_huey(registry)
    figures: list[float] = []
    while len(figures) < count and huey.pending_count() and (task := huey.dequeue()) is not None:
        if task.args and task.args[0] == "aids.confirm":
            started = time.process_time()
            huey.execute(task)
            figures.append((time.process_time() - started) * 1000)
    return figures


def profile(request: Callable[[], object], count: int) -> str:
    helpdesk_cpu.cpu_per_request(request, max(count // 10, 10))
    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(helpdesk_cpu.cpu_per_request, request, count)
    run.VAR.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(run.VAR / "aids-cpu.prof")
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)
    return text.getvalue()


def report(
    figures: dict[str, list[float]], statements: list[str], flushes: int, jobs: list[float], args: argparse.Namespace
) -> str:
    medians = {name: statistics.median(values) for name, values in figures.items()}
    lines = [
        "# Aids: one submission, in process", "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores; PostgreSQL on the same machine",
        f"- Command: `python bench/aids_cpu.py --requests {args.requests} --rounds {args.rounds} --jobs {args.jobs}`",
        "",
        f"| request | CPU per request (median of {args.rounds} rounds of {args.requests}) | rounds (ms) |",
        "|---|---:|---|",
        *(f"| {name} | {medians[name]:.2f} ms | {', '.join(f'{v:.2f}' for v in values)} |"
          for name, values in figures.items()),
        "", f"A submission costs {medians[aids.CAGOU] / medians[aids.EMPTY]:.1f} times the platform's signed-in "
        f"empty POST; the bare insert's CPU is {medians[aids.BASELINE] / medians[aids.CAGOU]:.0%} of a submission's "
        "(the throughput share a server bound by its CPU would reach).", "",
        *worker_lines(jobs),
        f"One submission: **{len(statements)} SQL statements**, **{flushes} ORM flushes**:", "",
        *(f"{number}. `{statement}`" for number, statement in enumerate(statements, 1)),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def worker_lines(jobs: list[float]) -> list[str]:
    if not jobs:
        return ["No confirmation job was queued: the submission composed its mail itself.", ""]
    return [
        f"The worker's part, one confirmation job (the PDF printed, the mail written and delivered): median "
        f"{statistics.median(jobs):.0f} ms of CPU over {len(jobs)} jobs (the first of the process, which loads "
        f"WeasyPrint's fonts, {jobs[0]:.0f} ms).",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql-url", default=DEFAULT_URL, help="a database this script may empty")
    parser.add_argument("--requests", type=int, default=200, help="requests per round and kind (200)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    parser.add_argument("--jobs", type=int, default=10, help="confirmation jobs timed (10)")
    parser.add_argument("--profile", type=int, default=0, help="profile this many submissions instead")
    args = parser.parse_args()
    submission, empty_post, registry = clients(args.postgresql_url)
    if args.profile:
        run.publish("aids-cpu-profile.txt", profile(submission, args.profile))
        return 0
    requests = {aids.CAGOU: submission, aids.EMPTY: empty_post, aids.BASELINE: bare_client(args.postgresql_url)}
    figures = helpdesk_cpu.measure(requests, args.requests, args.rounds)
    statements, flushes = counted(registry, submission)
    jobs = confirmations(registry, args.jobs)
    text = report(figures, statements, flushes, jobs, args)
    print(text)
    run.publish("aids-cpu.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
