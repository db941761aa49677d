"""The aids module's benchmark (see docs/performance.md): the public side under load, on PostgreSQL.

Cagou served as in production (gunicorn with gunicorn.conf.py and production.ini, module aids enabled, the
demonstration loaded), next to the baseline of bench/bare_aids.py (a bare Pyramid + SQLAlchemy endpoint that
inserts the same JSON), in one run:

1. **Submissions**: ``--clients`` (32) client processes, each a company's program with its own personal
   token, post the business-aid form (17 answers and its three PDF files, in base64) to the public API
   (``POST /api/v1/demarches/{slug}/demandes``, a new ``Idempotency-Key`` each time) back to back; the
   baseline receives the same bodies. Alternating slices, as bench/run.py does. Target: at least a third of
   the baseline's throughput.
2. **A burst of ``--burst`` (10,000) submissions** spread over the clients, each retried with the same key
   after any error, as a program should. The database is then read: every submission is there once, no
   receipt number twice, each with its ``aids:application:submit`` audit entry and its confirmation job
   (the PDF receipt and the mail, the worker's: queued, or done). The run fails otherwise.
3. **The instructors' list** at ``--applications`` (50,000) applications on the procedure (rows copied in SQL
   after the demonstration's): ``GET /intranet/demarches/{id}/demandes`` signed in as the demonstration
   agent, one client, then a search by receipt number. Target: 95th percentile under 150 ms.
4. **In-process CPU per submission** (``time.process_time``, WebTest, no HTTP), next to the platform's own
   signed-in empty POST (bench/plugins/cagou_benchaudit), as bench/helpdesk_cpu.py measures the ticket form.

Prints a Markdown report and writes it to var/bench/aids.md; exits 1 when a submission was lost or doubled.

    python bench/aids.py [--postgresql-url …] [--clients 32] [--duration 20] [--burst 10000]
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http.client
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import helpdesk
import helpdesk_cpu
import run
import sqlalchemy as sa
from pyramid.registry import Registry

VAR = run.VAR / "aids"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_aids"
SLUG = "aide-exceptionnelle-aux-entreprises-plan-de-soutien-covid-19"
SUBMIT = f"/api/v1/demarches/{SLUG}/demandes"
CAGOU, BASELINE, EMPTY = "Cagou", run.BASELINE, helpdesk.EMPTY
THROUGHPUT_TARGET, LIST_P95_TARGET_MS = 1 / 3, 150.0
BENCH_PASSWORD = "banc-d-essai-demarches-2026"
#: The smallest file the content check reads as a PDF.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ANSWERS = {
    "raison_sociale": "Boulangerie de banc", "forme_juridique": "SARL", "secteur": "Commerce",
    "commune": "Le Mont-Dore", "salaries": 4, "ca_annee_precedente": 12_000_000, "ca_annee": 4_000_000,
    "montant_demande": 300_000, "iban": "FR7630006000011234567890189", "telephone": "+687251234",
}  # fmt: skip
FILES = [
    {"field": name, "filename": f"{name}.pdf", "content": base64.b64encode(PDF).decode()}
    for name in ("rib", "attestation_cafat", "attestation_fiscale")
]
#: What the database holds of the burst: its applications and their receipts, their audit entries, their mails.
STORED = "SELECT count(*), count(DISTINCT receipt) FROM aids_application WHERE idempotency_key LIKE 'rafale-%'"
AUDITED = (
    "SELECT count(DISTINCT a.object_id) FROM audit_entry a JOIN aids_application s ON a.object_id = s.id::text "
    "WHERE s.idempotency_key LIKE 'rafale-%' AND a.action = 'aids:application:submit'"
)
#: The burst's applications whose confirmation (the PDF receipt and its mail) the worker wrote already; the
#: others' must be waiting in the job queue (the benchmark runs no worker).
CONFIRMED = "SELECT id, confirmed_at IS NOT NULL FROM aids_application WHERE idempotency_key LIKE 'rafale-%'"
#: The limits a real address never reaches; every client of the run comes from 127.0.0.1.
RATE_LIMITS = "aids.submissions.address = 10000000/60\naids.submissions.email = 10000000/60"


@dataclass(frozen=True)
class Company:
    number: int
    token: str

    @property
    def ridet(self) -> str:
        return f"{1_000_000 + self.number:07d}.001"

    def body(self) -> bytes:
        answers = {**ANSWERS, "ridet": self.ridet, "courriel": f"banc{self.number:02d}@banc.example.nc"}
        return json.dumps({"answers": answers, "files": FILES}).encode()


@dataclass(frozen=True)
class Burst:
    sent: int
    seconds: float
    retries: int
    failed: int
    stored: int
    receipts: int
    audited: int
    mails: int

    @property
    def whole(self) -> bool:
        return self.failed == 0 and self.sent == self.stored == self.receipts == self.audited == self.mails


# -- setting up ----------------------------------------------------------------------------------


def environment(url: str, secret: str) -> dict[str, str]:
    env = helpdesk.environment(url, secret)  # production's, with the audit bench's module for the empty POST
    return {**env, "CAGOU_VAR": str(VAR), "CAGOU_RATELIMITS": RATE_LIMITS}


def prepare(url: str, env: dict[str, str]) -> None:
    """What an operator does: migrate, load the demonstration, enable the module."""
    run.prepare_folder(run.Database("PostgreSQL", url, VAR))
    run.reset_postgresql(url)
    for arguments in (["db", "upgrade"], ["modules", "enable", "aids"], ["modules", "enable", "benchaudit"], ["demo"]):
        helpdesk.cagou(env, *arguments)


def bench_companies(env: dict[str, str], count: int) -> list[Company]:
    """Companies with a public account and a personal token each, made through the platform's services."""
    os.environ.update({key: value for key, value in env.items() if key.startswith("CAGOU_")})
    sys.path.insert(0, str(helpdesk.PLUGINS))
    from startup import app_settings

    from cagou import configure
    from cagou.db import get_engine, transaction_scope
    from cagou.identity import tokens
    from cagou.identity.models import COMPANY
    from cagou.interfaces import IAccounts

    registry = configure(app_settings(run.INI)).registry
    companies = []
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        for number in range(1, count + 1):
            company = Company(number, "")
            account = accounts.create(f"banc.entreprise{number:02d}", f"Entreprise de banc {number:02d}", COMPANY,
                                      email=f"banc{number:02d}@banc.example.nc", password=BENCH_PASSWORD,
                                      ridet=company.ridet)  # fmt: skip
            _, clear = tokens.issue(request, account, "banc d'essai", ["aids:apply"], 30)
            companies.append(Company(number, clear))
    get_engine(registry).dispose()
    return companies


# -- 1. submissions, 2. the burst -----------------------------------------------------------------


def post(connection: http.client.HTTPConnection, company: Company, key: str) -> int:
    headers = {"Content-Type": "application/json", "Idempotency-Key": key, "Authorization": f"Bearer {company.token}"}
    connection.request("POST", SUBMIT, body=company.body(), headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def submitter(port: int, company: Company, measure_from: float, stop_at: float) -> tuple[list[float], int, str, int]:
    """One program submitting back to back on one keep-alive connection; a submission is a 201."""
    connection = http.client.HTTPConnection(run.HOST, port, timeout=60)
    latencies: list[float] = []
    errors, sample = 0, ""
    while (began := time.monotonic()) < stop_at:
        try:
            status = post(connection, company, f"banc-{uuid.uuid4()}")
        except (OSError, http.client.HTTPException) as error:
            status, sample = 0, repr(error)
            connection.close()
            connection = http.client.HTTPConnection(run.HOST, port, timeout=60)
        ended = time.monotonic()
        if began < measure_from:
            continue
        if status == 201:
            latencies.append(ended - began)
        else:
            errors += 1
            sample = sample or f"HTTP {status}"
    connection.close()
    return latencies, errors, sample, 0


def drive(port: int, companies: list[Company], warmup: float, seconds: float) -> run.Slice:
    measure_from = time.monotonic() + run.FORK_MARGIN_SECONDS + warmup
    stop_at = measure_from + seconds
    arguments = [(port, company, measure_from, stop_at) for company in companies]
    with multiprocessing.get_context("fork").Pool(len(companies), initializer=run.quiet_signals) as pool:
        results = pool.starmap(submitter, arguments)
    return run.Slice(
        latencies=[latency for result in results for latency in result[0]],
        errors=sum(result[1] for result in results),
        error_sample=next((result[2] for result in results if result[2]), ""),
        body_bytes=0,
    )


def submissions(cagou_port: int, bare_port: int, companies: list[Company], load: run.Load) -> list[run.Measure]:
    apps = {CAGOU: cagou_port, BASELINE: bare_port}
    slices: dict[str, list[run.Slice]] = {name: [] for name in apps}
    for round_number in range(load.rounds):
        for name in list(apps) if round_number % 2 == 0 else list(reversed(apps)):
            warmup = load.warmup if round_number == 0 else 0.0
            slices[name].append(drive(apps[name], companies, warmup, load.duration / load.rounds))
    measures = [run.merge(SUBMIT, "PostgreSQL", name, parts, load.duration) for name, parts in slices.items()]
    for m in measures:
        print(f"  {m.app:<13} {m.per_second:8.1f} submissions/s, median {m.median_ms:.1f} ms, {m.errors} errors")
    return measures


def burst_client(port: int, company: Company, count: int) -> tuple[int, int, int]:
    """``count`` submissions, each retried with its own key until it is acknowledged: (sent, retries, failed)."""
    connection = http.client.HTTPConnection(run.HOST, port, timeout=60)
    retries = failed = 0
    for number in range(count):
        key = f"rafale-{company.number:02d}-{number:06d}"
        for attempt in range(10):
            try:
                if post(connection, company, key) == 201:
                    break
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(run.HOST, port, timeout=60)
            retries += 1
            time.sleep(0.2 * (attempt + 1))
        else:
            failed += 1
    connection.close()
    return count, retries, failed


def burst(url: str, port: int, companies: list[Company], total: int) -> Burst:
    shares = [total // len(companies) + (1 if n < total % len(companies) else 0) for n in range(len(companies))]
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(len(companies), initializer=run.quiet_signals) as pool:
        results = pool.starmap(burst_client, [(port, c, share) for c, share in zip(companies, shares, strict=True)])
    seconds = time.monotonic() - started
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored, receipts = connection.execute(sa.text(STORED)).one()
        audited = connection.scalar(sa.text(AUDITED))
        confirmed = {application_id: done for application_id, done in connection.execute(sa.text(CONFIRMED))}
    engine.dispose()
    queued = confirmations_queued()
    mails = sum(1 for application_id, done in confirmed.items() if done or application_id in queued)
    return Burst(sum(r[0] for r in results), seconds, sum(r[1] for r in results), sum(r[2] for r in results),
                 stored, receipts, audited, mails)  # fmt: skip


def confirmations_queued() -> set[int]:
    """The applications whose confirmation job (``aids.confirm``) waits in the queue, read as the worker reads it."""
    from startup import app_settings

    from cagou import configure
    from cagou.db import get_engine
    from cagou.jobs.services import get_huey

    registry = configure(app_settings(run.INI)).registry
    tasks = get_huey(registry).pending()
    get_engine(registry).dispose()
    return {task.args[1]["application_id"] for task in tasks if task.args and task.args[0] == "aids.confirm"}


# -- 3. the instructors' list ---------------------------------------------------------------------


def fill(url: str, applications: int) -> tuple[int, int]:
    """Copy the procedure's applications until it holds ``applications``; (procedure id, count)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        procedure = connection.scalar(sa.text("SELECT id FROM aids_procedure WHERE slug = :slug"), {"slug": SLUG})
        count = connection.scalar(sa.text("SELECT count(*) FROM aids_application WHERE procedure_id = :p"),
                                  {"p": procedure})  # fmt: skip
        missing = max(0, applications - count)
        connection.execute(sa.text(
            "INSERT INTO aids_application (procedure_id, version_id, receipt, state, answers, applicant_id, email, "
            "idempotency_key, is_test, submitted_at, identity) "
            "SELECT a.procedure_id, a.version_id, 'BANC-2020-' || lpad(n::text, 6, '0'), a.state, a.answers, NULL, "
            "a.email, 'copie-' || n, false, a.submitted_at - n * interval '37 seconds', a.identity "
            "FROM generate_series(1, :missing) n, "
            "(SELECT * FROM aids_application WHERE procedure_id = :p ORDER BY id LIMIT 1) a"
        ), {"missing": missing, "p": procedure})  # fmt: skip
        total = connection.scalar(sa.text("SELECT count(*) FROM aids_application WHERE procedure_id = :p"),
                                  {"p": procedure})  # fmt: skip
        connection.execute(sa.text("ANALYZE aids_application"))
    engine.dispose()
    return procedure, total


def list_pages(port: int, procedure: int, load: run.Load) -> list[run.Measure]:
    session = helpdesk.sign_in(port, run.LOGIN, run.PASSWORD, "/intranet/demarches/")
    pages = [f"/intranet/demarches/{procedure}/demandes", f"/intranet/demarches/{procedure}/demandes?q=BANC-2020-0421"]
    return [m for page in pages for m in run.compare(page, {CAGOU: (port, session.cookie)}, load, "PostgreSQL")]


# -- 4. CPU in process ----------------------------------------------------------------------------


def cpu_requests(env: dict[str, str], company: Company) -> tuple[Callable[[], object], Callable[[], object], Registry]:
    """The production application in this process: ``company``'s submission, the agent's empty POST, its registry."""
    import webtest
    from serve import cagou_app

    os.environ.update({key: value for key, value in env.items() if key.startswith("CAGOU_")})
    https = {"HTTP_HOST": "localhost", "wsgi.url_scheme": "https", "HTTP_ORIGIN": "https://localhost"}
    browser = webtest.TestApp(cagou_app(str(run.INI)), extra_environ=https)
    login = browser.get("/intranet/connexion")
    browser.post("/intranet/connexion", {"login": run.LOGIN, "password": run.PASSWORD,
                                         "csrf_token": helpdesk_cpu.token_of(login.text)}, status=303)  # fmt: skip
    token = helpdesk_cpu.token_of(browser.get("/intranet/").text)
    body = json.loads(company.body())
    program = webtest.TestApp(browser.app, extra_environ=https)

    def submission() -> object:
        headers = {"Authorization": f"Bearer {company.token}", "Idempotency-Key": f"cpu-{uuid.uuid4()}"}
        return program.post_json(SUBMIT, body, headers=headers, status=201)

    def empty_post() -> object:
        return browser.post_json(helpdesk.EMPTY_POST, {"reference": "AIDE-0000001"},
                                 headers={"X-CSRF-Token": token}, status=200)  # fmt: skip

    return submission, empty_post, browser.app.registry


def cpu(env: dict[str, str], company: Company, count: int, rounds: int) -> dict[str, list[float]]:
    submission, empty_post, _registry = cpu_requests(env, company)
    requests: dict[str, Callable[[], object]] = {CAGOU: submission, EMPTY: empty_post}
    return helpdesk_cpu.measure(requests, count, rounds)


# -- the report -----------------------------------------------------------------------------------


def report(
    args: argparse.Namespace, measures: list[run.Measure], result: Burst, applications: int,
    pages: list[run.Measure], figures: dict[str, list[float]], busy: list[str],
) -> str:  # fmt: skip
    cagou, bare = (next(m for m in measures if m.app == name) for name in (CAGOU, BASELINE))
    share = cagou.per_second / bare.per_second
    met = lambda ok: "met" if ok else "NOT MET"  # noqa: E731
    cpu_ms = {name: statistics.median(values) for name, values in figures.items()}
    lines = [
        "# The aids module's benchmark", "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores; PostgreSQL on the same machine",
        f"- Server: {run.server_description()}, cagou.environment = production, module aids enabled",
        f"- Command: `python bench/aids.py --clients {args.clients} --duration {args.duration} "
        f"--burst {args.burst} --applications {args.applications}`",
        *busy, "",
        f"## 1. Submissions, {args.clients} programs at once (business-aid form, 17 answers, 3 PDF files)", "",
        "| application | submissions/s | median | p95 | errors |", "|---|---:|---:|---:|---:|",
        *(f"| {m.app} | {m.per_second:.1f} | {m.median_ms:.1f} ms | {m.p95_ms:.1f} ms | {m.errors} |"
          for m in (cagou, bare)),
        "", f"Cagou: {share:.0%} of the bare insert's throughput "
        f"(target at least 33 %: {met(share >= THROUGHPUT_TARGET)}).",
        "", f"## 2. A burst of {helpdesk.thousands(result.sent)} submissions", "",
        f"In {result.seconds:.1f} s ({result.sent / result.seconds:.0f}/s), {result.retries} retries with the same "
        f"key, {result.failed} given up. Stored: {result.stored}; distinct receipt numbers: {result.receipts}; "
        f"audit entries: {result.audited}; confirmations queued or written: {result.mails} "
        f"({'none lost, none doubled' if result.whole else 'LOST OR DOUBLED'}).",
        "", f"## 3. The instructors' list at {helpdesk.thousands(applications)} applications", "",
        "| page | median | p95 | target p95 < 150 ms |", "|---|---:|---:|---|",
        *(f"| `{m.route}` | {m.median_ms:.1f} ms | {m.p95_ms:.1f} ms | {met(m.p95_ms < LIST_P95_TARGET_MS)} |"
          for m in pages),
        "", "## 4. CPU per request, in process", "",
        f"| request | CPU (median of {args.rounds} rounds of {args.cpu_requests}) |", "|---|---:|",
        *(f"| {name} | {value:.2f} ms |" for name, value in cpu_ms.items()),
        "", f"A submission costs {cpu_ms[CAGOU] / cpu_ms[EMPTY]:.1f} times the platform's signed-in empty POST.",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql-url", default=DEFAULT_URL)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of submissions per application")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--applications", type=int, default=50_000)
    parser.add_argument("--list-duration", type=float, default=10.0)
    parser.add_argument("--cpu-requests", type=int, default=200)
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    env = environment(args.postgresql_url, secrets.token_urlsafe(48))
    print("Preparing the database (migrations, demonstration, companies)…", flush=True)
    prepare(args.postgresql_url, env)
    companies = bench_companies(env, args.clients)
    before = run.cpu_busy()
    with (
        run.server(["cagou"], env, VAR / "server.log") as cagou_port,
        helpdesk.bare_server(args.postgresql_url, env, "bare_aids.py", (), VAR) as bare_port,
    ):
        print("1. Submissions", flush=True)
        measures = submissions(cagou_port, bare_port, companies, run.Load(args.duration, args.warmup, 0, args.rounds))
        print(f"2. A burst of {args.burst} submissions", flush=True)
        result = burst(args.postgresql_url, cagou_port, companies, args.burst)
        print(f"3. The instructors' list at {args.applications} applications", flush=True)
        procedure, applications = fill(args.postgresql_url, args.applications)
        pages = list_pages(cagou_port, procedure, run.Load(args.list_duration, args.warmup, 1, 2))
    print("4. CPU in process", flush=True)
    figures = cpu(env, companies[0], args.cpu_requests, args.rounds)
    busy = run.busy_lines(before, run.cpu_busy())
    text = report(args, measures, result, applications, pages, figures, busy)
    print(text)
    run.publish("aids.md", text)
    return 0 if result.whole else 1


if __name__ == "__main__":
    sys.exit(main())
