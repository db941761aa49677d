"""What one request costs the server's CPU, in process: the helpdesk form against the bare insert.

bench/helpdesk.py measures throughput over HTTP, with the load generator on
the same two cores: its figures move by a quarter from one run to the next.
The server is one Python process, bound by its CPU: each request's CPU time,
measured here without HTTP, threads or clients, says the same thing steadily
and says where the difference lies.

In this process, one thread, on the database bench/helpdesk.py left behind
(run it first; `make bench` does): the three requests of its "opening tickets"
measure, each through its WSGI application with WebTest, in alternating rounds
(A B C, C B A…):

- *Cagou*: `POST /intranet/assistance/nouvelle`, the real multipart form of a
  signed-in agent (session, CSRF token, checks, the ticket, its audit entry
  and the job that composes its acknowledgement);
- *Cagou, empty POST*: the signed-in JSON POST with its CSRF header that stores
  nothing (bench/plugins/cagou_benchaudit, `?audit=0&change=0`): the platform alone;
- *Bare Pyramid*: bench/bare_helpdesk.py's form, parsed and inserted.

The figure is `time.process_time()` per request (the process's CPU, not the
wall clock), median over the rounds. WebTest's own cost is in all three.

Then the worker's part: the jobs the tickets queued (their acknowledgements,
composed and delivered) are run as the worker runs them, and *one mail's
delivery* is timed alone, in rounds of the same
size: `deliver_mail` on a pending acknowledgement, with the production
settings' delivery (a Maildir folder for the benchmark), median of the rounds.

Targets, each reported met or NOT MET: the ticket form costs at most 2 times
the platform's empty POST; the empty POST at most 1.4 times the bare insert;
one mail's delivery under 3 ms.

    python bench/helpdesk_cpu.py [--requests 300] [--rounds 5] [--profile 500]

With ``--profile N``, N ticket-form requests are run under cProfile after the
warm-up instead of the measure, and the functions that cost the most are
written to var/bench/helpdesk-cpu-profile.txt (own time, then cumulative), the
whole profile to var/bench/helpdesk-cpu.prof.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import io
import os
import pstats
import secrets
import statistics
import sys
import time
from collections.abc import Callable

import helpdesk
import run
import sqlalchemy as sa
import webtest
from pyramid.registry import Registry

CAGOU, EMPTY, BASELINE = helpdesk.CAGOU, helpdesk.EMPTY, helpdesk.BASELINE
AGENT = "banc.agent01"
MAIL = "One mail delivered by the worker"
#: The targets: (numerator, denominator, at most).
RATIO_TARGETS = ((CAGOU, EMPTY, 2.0), (EMPTY, BASELINE, 1.4))
MAIL_TARGET_MS = 3.0
FIELDS = {
    "title": "Portable à préparer", "description": "Bonjour, je passe en télétravail lundi et je n'ai qu'un fixe.",
    "category": helpdesk.CATEGORY, "urgency": "2", "impact": "1", "contact_phone": "27 45 12",
}  # fmt: skip
NO_FILE = [("attachments", "", b"")]


def check_prepared(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT count(*) FROM account WHERE login = :login")
            prepared = connection.scalar(query, {"login": AGENT})
    except sa.exc.DBAPIError:
        prepared = 0
    engine.dispose()
    if not prepared:
        raise SystemExit(f"{url} holds no benchmark agents: run bench/helpdesk.py first (make bench does).")


def cagou_clients(url: str) -> tuple[Callable[[], object], Callable[[], object], Registry]:
    """The production application in this process, and the agent's two requests, signed in through the form."""
    os.environ.update({k: v for k, v in helpdesk.environment(url, secrets.token_urlsafe(48)).items() if "CAGOU_" in k})
    sys.path.insert(0, str(helpdesk.PLUGINS))
    from serve import cagou_app

    # Production's cookies are Secure, and its CSRF check wants the request's own origin over HTTPS.
    https = {"HTTP_HOST": "localhost", "wsgi.url_scheme": "https", "HTTP_ORIGIN": "https://localhost"}
    application = cagou_app(str(run.INI))
    browser = webtest.TestApp(application, extra_environ=https)
    login = browser.get("/intranet/connexion")
    browser.post(
        "/intranet/connexion",
        {"login": AGENT, "password": helpdesk.BENCH_PASSWORD, "csrf_token": token_of(login.text)},
        status=303,
    )
    token = token_of(browser.get(helpdesk.FORM).text)

    def open_ticket() -> object:
        return browser.post(helpdesk.FORM, {**FIELDS, "csrf_token": token}, upload_files=NO_FILE, status=303)

    def empty_post() -> object:
        body = {"reference": "HD-0000001"}
        return browser.post_json(helpdesk.EMPTY_POST, body, headers={"X-CSRF-Token": token}, status=200)

    return open_ticket, empty_post, application.registry


def token_of(page: str) -> str:
    found = helpdesk.CSRF_FIELD.search(page)
    if found is None:
        raise SystemExit("A page answered without a CSRF token")
    return html.unescape(found.group(1))


def bare_client(url: str) -> Callable[[], object]:
    from bare_helpdesk import make_app

    browser = webtest.TestApp(make_app(url, "agent", "BAU", helpdesk.BASELINE_TAKE_GROUP))

    def open_ticket() -> object:
        return browser.post(helpdesk.FORM, FIELDS, upload_files=NO_FILE, status=303)

    return open_ticket


def cpu_per_request(request: Callable[[], object], count: int) -> float:
    """Milliseconds of this process's CPU per request."""
    started = time.process_time()
    for _ in range(count):
        request()
    return (time.process_time() - started) / count * 1000


def measure(requests: dict[str, Callable[[], object]], count: int, rounds: int) -> dict[str, list[float]]:
    for request in requests.values():  # warm-up: compiled statements, templates, pools
        cpu_per_request(request, max(count // 10, 10))
    figures: dict[str, list[float]] = {name: [] for name in requests}
    for round_number in range(rounds):
        order = list(requests) if round_number % 2 == 0 else list(reversed(requests))
        for name in order:
            figures[name].append(cpu_per_request(requests[name], count))
    return figures


def run_queued(registry: Registry, deliveries: bool) -> None:
    """Run the queued jobs as the worker does; without ``deliveries``, the mail delivery tasks are dropped."""
    from cagou.jobs.services import get_huey
    from cagou.mail.services import DELIVER_JOB

    huey = get_huey(registry)
    # Counted first: on PostgreSQL, huey's dequeue waits for a job when the queue is empty.
    while huey.pending_count() and (task := huey.dequeue()) is not None:
        if deliveries or task.args[0] != DELIVER_JOB:
            huey.execute(task)


#: A helpdesk acknowledgement's subject and text, for the mails whose delivery is timed.
MAIL_SUBJECT = "[HD-0001234] Demande enregistrée : Portable à préparer"
MAIL_BODY = (
    "Bonjour,\n\nVotre demande d'intervention est enregistrée sous la référence HD-0001234.\n"
    "Elle est dans la file du groupe « Bureau de l'assistance » avec la priorité P3 (normale).\n\n"
    "Pour la suivre : https://localhost/intranet/assistance/tickets/1234\n"
    "Vous pouvez aussi répondre à ce courriel : votre réponse sera ajoutée au ticket.\n"
)


def measure_mail(registry: Registry, count: int, rounds: int) -> list[float]:
    """Milliseconds of CPU per mail the worker delivers, in ``rounds`` rounds of ``count`` mails.

    The mails are written through the platform's mailer, as every module
    writes its notifications (their queued delivery tasks are dropped: each
    is delivered here, timed).
    """
    from cagou.db import transaction_scope
    from cagou.interfaces import IMailer
    from cagou.mail.services import deliver_mail

    run_queued(registry, deliveries=True)  # what the requests above queued (warm-up)
    with transaction_scope(registry) as request:
        mailer = request.find_service(IMailer)
        mails = [mailer.send(f"{AGENT}@province-sud.nc", MAIL_SUBJECT, MAIL_BODY) for _ in range(count * rounds)]
    run_queued(registry, deliveries=False)
    figures = []
    for round_number in range(rounds):
        batch = mails[round_number * count : (round_number + 1) * count]
        started = time.process_time()
        delivered = sum(deliver_mail(registry, mail_id) for mail_id in batch)
        figures.append((time.process_time() - started) / len(batch) * 1000)
        if delivered != len(batch):
            raise SystemExit(f"{len(batch) - delivered} of {len(batch)} mails were not delivered")
    return figures


def profile(request: Callable[[], object], count: int) -> str:
    """cProfile's view of ``count`` requests after a warm-up: the 40 costliest by own time, then by cumulative."""
    cpu_per_request(request, max(count // 10, 10))
    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(cpu_per_request, request, count)
    run.VAR.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(run.VAR / "helpdesk-cpu.prof")  # for pstats or snakeviz, caller by caller
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)
    return text.getvalue()


def report(figures: dict[str, list[float]], count: int, rounds: int) -> str:
    medians = {name: statistics.median(values) for name, values in figures.items()}
    baseline = medians[BASELINE]
    lines = [
        "# Helpdesk: CPU per request, in process", "",
        f"{count} requests per round, {rounds} alternating rounds, one thread, WebTest, PostgreSQL; "
        "median of the rounds (bench/helpdesk_cpu.py).", "",
        "| Request | CPU per request (ms) | Rounds (ms) | Baseline's share |", "|---|--:|---|--:|",
    ]  # fmt: skip
    for name, values in figures.items():
        spread = ", ".join(f"{value:.2f}" for value in values)
        share = f"{baseline / medians[name]:.0%}" if name != MAIL else "—"
        lines.append(f"| {name} | {medians[name]:.2f} | {spread} | {share} |")
    lines += [
        "",
        "*Baseline's share* is the bare request's CPU divided by this one's: the throughput ratio a server "
        "bound by one core would reach.",
        "",
    ]
    for numerator, denominator, most in RATIO_TARGETS:
        ratio = medians[numerator] / medians[denominator]
        verdict = "met" if ratio <= most else "NOT MET"
        lines.append(f"- {numerator} / {denominator}: **{ratio:.2f}** (target ≤ {most}): {verdict}")
    if MAIL in medians:
        verdict = "met" if medians[MAIL] < MAIL_TARGET_MS else "NOT MET"
        lines.append(f"- {MAIL}: **{medians[MAIL]:.2f} ms** of CPU (target < {MAIL_TARGET_MS} ms): {verdict}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per round and application (300)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (5)")
    parser.add_argument("--postgresql-url", default=helpdesk.DEFAULT_URL, help="the database bench/helpdesk.py made")
    parser.add_argument("--profile", type=int, default=0, help="profile this many ticket forms instead of measuring")
    arguments = parser.parse_args()
    check_prepared(arguments.postgresql_url)
    open_ticket, empty_post, registry = cagou_clients(arguments.postgresql_url)
    if arguments.profile:
        run.publish("helpdesk-cpu-profile.txt", profile(open_ticket, arguments.profile))
        return 0
    requests = {CAGOU: open_ticket, EMPTY: empty_post, BASELINE: bare_client(arguments.postgresql_url)}
    print(f"CPU per request, {arguments.rounds} rounds of {arguments.requests}…", flush=True)
    figures = measure(requests, arguments.requests, arguments.rounds)
    print("CPU per mail delivered…", flush=True)
    figures[MAIL] = measure_mail(registry, arguments.requests, arguments.rounds)
    text = report(figures, arguments.requests, arguments.rounds)
    run.publish("helpdesk-cpu.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
