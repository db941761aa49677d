"""Cagou's benchmark: ``make bench`` (see bench/README.md).

In one run, on one machine: the requests per second and latencies of
``GET /sante`` and ``GET /intranet/`` served by the production configuration
(gunicorn.conf.py and production.ini), on SQLite and on PostgreSQL, next to a bare
Pyramid application served the same way (the baseline); then the start-up
time of the platform. Prints a Markdown report and writes it to
var/bench/results.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import html
import http.client
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import sqlalchemy as sa

from cagou.audit.keys import PURPOSE as AUDIT_KEYS
from cagou.secrets import keyring

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = ROOT / "var" / "bench"
INI = ROOT / "production.ini"
# The interpreter of the virtual environment running this script, and its commands.
PYTHON = sys.executable
BIN = Path(sys.executable).parent

HOST = "127.0.0.1"
SESSION_COOKIE = "cagou_session"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN, PASSWORD = "agent", "demo-agent-2026"
HEALTH, SPACE = "/sante", "/intranet/"
ROUTES = (HEALTH, SPACE)
DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench"
READY_TIMEOUT_SECONDS = 60.0
FORK_MARGIN_SECONDS = 0.2
HEALTH_TARGET = 0.60
STARTUP_TARGET_SECONDS = 2.0
#: Above this share of the CPU used by others, the report warns that the figures are disturbed.
BUSY_WARNING = 0.15
BASELINE = "Bare Pyramid"


@dataclass(frozen=True)
class Database:
    name: str
    url: str
    var: Path


@dataclass(frozen=True)
class Load:
    """How hard and how long every route is driven, the same for every application."""

    duration: float
    warmup: float
    concurrency: int
    rounds: int


@dataclass(frozen=True)
class Slice:
    """What the client processes saw during one slice of time."""

    latencies: list[float]
    errors: int
    error_sample: str
    body_bytes: int


@dataclass(frozen=True)
class Measure:
    route: str
    database: str
    app: str
    requests: int
    duration: float
    latencies: list[float]
    errors: int
    error_sample: str
    body_bytes: int

    @property
    def per_second(self) -> float:
        return self.requests / self.duration

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100)[94] * 1000


@dataclass(frozen=True)
class Startup:
    database: str
    imports: list[float]
    configures: list[float]
    modules: list[str]

    @property
    def excluded(self) -> float:
        return statistics.median(self.configures)

    @property
    def included(self) -> float:
        return statistics.median(i + c for i, c in zip(self.imports, self.configures, strict=True))


# -- the databases and the servers --------------------------------------------


def free_port() -> int:
    """A port nobody listens on now; the server binds it a moment later."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def reset_postgresql(url: str) -> None:
    """Drop and create the benchmark's database, so every run starts from the same state."""
    target = sa.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    except sa.exc.OperationalError as error:
        raise SystemExit(
            f"PostgreSQL is unreachable ({url}): {error}\nRun with --databases sqlite to skip it."
        ) from None
    finally:
        engine.dispose()


def prepare_folder(database: Database) -> None:
    """A fresh CAGOU_VAR: the SQLite file, the jobs queue, the logs and the key rings of this run only.

    Production refuses to start without its key rings, as an operator makes
    them before the first start (``cagou secrets keygen``, ``cagou audit keys create``).
    """
    shutil.rmtree(database.var, ignore_errors=True)
    database.var.mkdir(parents=True)
    keyring.create(database.var / "secrets.keys")
    keyring.create(database.var / "audit.keys", AUDIT_KEYS)


def cagou_environment(database: Database, secret: str) -> dict[str, str]:
    """What production needs from the environment; mail goes to a folder, not to SMTP."""
    return {
        **os.environ,
        "CAGOU_SECRET": secret,
        "CAGOU_DATABASE_URL": database.url,
        "CAGOU_VAR": str(database.var),
        "CAGOU_MAIL_DELIVERY": "folder",
    }


def prepare_database(database: Database, environment: dict[str, str]) -> None:
    """Migrate and load the demonstration, with the commands an operator would type."""
    prepare_folder(database)
    if database.name == "PostgreSQL":
        reset_postgresql(database.url)
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(BIN / "cagou"), "-c", str(INI), *command], cwd=ROOT, env=environment, check=True)


@contextlib.contextmanager
def server(arguments: list[str], environment: dict[str, str], log: Path) -> Iterator[int]:
    """Run bench/serve.py in its own process group; always stop the group afterwards."""
    port = free_port()
    command = [PYTHON, str(BENCH / "serve.py"), "--port", str(port), "--ini", str(INI), *arguments]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_ready(process, port, log)
        yield port
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    # To gunicorn's master only, which stops its workers (a worker signalled twice may hang in its exit).
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_until_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Until /sante answers 200; a server that dies or never answers stops the run."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server stopped at start-up; see {log}:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if fetch(port, "GET", "/sante")[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"The server did not answer within {READY_TIMEOUT_SECONDS:.0f} s; see {log}")


# -- one request, the sign-in ---------------------------------------------------


def fetch(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None
) -> tuple[int, list[str], bytes]:
    """One request on a new connection: (status, Set-Cookie headers, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers.get_all("Set-Cookie") or [], response.read()
    finally:
        connection.close()


def session_cookie(set_cookies: list[str], current: str = "") -> str:
    """The ``Cookie`` header to send next: the session cookie the server last set."""
    for header in set_cookies:
        cookie = SimpleCookie()
        cookie.load(header)
        if SESSION_COOKIE in cookie:
            current = f"{SESSION_COOKIE}={cookie[SESSION_COOKIE].value}"
    return current


def sign_in(port: int) -> tuple[str, int]:
    """Sign in as the demonstration agent through the real form; (cookie, size of Mon espace)."""
    status, set_cookies, body = fetch(port, "GET", "/intranet/connexion")
    found = CSRF_FIELD.search(body.decode())
    if status != 200 or found is None:
        raise SystemExit(f"The login page answered {status} without a CSRF token")
    cookie = session_cookie(set_cookies)
    form = urllib.parse.urlencode({"login": LOGIN, "password": PASSWORD, "csrf_token": html.unescape(found.group(1))})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, set_cookies, _ = fetch(port, "POST", "/intranet/connexion", headers, form)
    cookie = session_cookie(set_cookies, cookie)
    status, _, page = fetch(port, "GET", "/intranet/", {"Cookie": cookie})
    if status != 200 or b'name="password"' in page:
        raise SystemExit(f"Signing in as {LOGIN} failed: /intranet/ answered {status}")
    return cookie, len(page)


# -- the load -------------------------------------------------------------------


def client(port: int, path: str, cookie: str, measure_from: float, stop_at: float) -> tuple[list[float], int, str, int]:
    """One client process on one keep-alive connection: latencies of its 200s, errors, body size.

    Requests started before ``measure_from`` are the warm-up and not counted.
    Clocks are ``time.monotonic``, the same in every process on Linux.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies: list[float] = []
    errors, sample, size = 0, "", 0
    while (began := time.monotonic()) < stop_at:
        headers = {"Cookie": cookie} if cookie else {}
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            size = len(response.read())
            status = response.status
            if set_cookies := response.headers.get_all("Set-Cookie"):
                # The session is reissued now and then: keep it, as a browser would.
                cookie = session_cookie(set_cookies, cookie)
        except (OSError, http.client.HTTPException) as error:
            status, sample = 0, repr(error)
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
        ended = time.monotonic()
        if began < measure_from:
            continue
        if status == 200:
            latencies.append(ended - began)
        else:
            errors += 1
            sample = sample or f"HTTP {status}"
    connection.close()
    return latencies, errors, sample, size


def quiet_signals() -> None:
    """In a client process: Ctrl-C and SIGTERM are the parent's to handle (it stops the servers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def drive(port: int, path: str, cookie: str, warmup: float, seconds: float, concurrency: int) -> Slice:
    """Drive ``path`` with ``concurrency`` client processes for ``seconds``, after ``warmup``."""
    # Start a moment from now, so every process is forked before the clock starts.
    measure_from = time.monotonic() + FORK_MARGIN_SECONDS + warmup
    stop_at = measure_from + seconds
    arguments = [(port, path, cookie, measure_from, stop_at)] * concurrency
    with multiprocessing.get_context("fork").Pool(concurrency, initializer=quiet_signals) as pool:
        results = pool.starmap(client, arguments)
    return Slice(
        latencies=[latency for result in results for latency in result[0]],
        errors=sum(result[1] for result in results),
        error_sample=next((result[2] for result in results if result[2]), ""),
        body_bytes=max(result[3] for result in results),
    )


def compare(route: str, apps: dict[str, tuple[int, str]], load: Load, database: str) -> list[Measure]:
    """Every application on one route, in alternating slices (A B B A A B…).

    The machine may be shared: alternating makes a change of its background
    load weigh on Cagou and on the baseline alike, which keeps the ratio honest.
    """
    slices: dict[str, list[Slice]] = {app: [] for app in apps}
    for round_number in range(load.rounds):
        order = list(apps) if round_number % 2 == 0 else list(reversed(apps))
        for app in order:
            port, cookie = apps[app]
            warmup = load.warmup if round_number == 0 else 0.0
            slices[app].append(drive(port, route, cookie, warmup, load.duration / load.rounds, load.concurrency))
    measures = [merge(route, database, app, parts, load.duration) for app, parts in slices.items()]
    for m in measures:
        print(f"  {m.app:<13} {database:<10} {route:<11} {m.per_second:8.1f} req/s, {m.errors} errors", flush=True)
    return measures


def merge(route: str, database: str, app: str, parts: list[Slice], duration: float) -> Measure:
    return Measure(
        route=route,
        database=database,
        app=app,
        requests=sum(len(part.latencies) for part in parts),
        duration=duration,
        latencies=sorted(latency for part in parts for latency in part.latencies),
        errors=sum(part.errors for part in parts),
        error_sample=next((part.error_sample for part in parts if part.error_sample), ""),
        body_bytes=max(part.body_bytes for part in parts),
    )


def measure_database(database: Database, load: Load, secret: str) -> list[Measure]:
    """Cagou and the baseline side by side, both routes, on one database."""
    environment = cagou_environment(database, secret)
    prepare_database(database, environment)
    measures: list[Measure] = []
    with server(["cagou"], environment, database.var / "cagou-server.log") as cagou_port:
        cookie, page_bytes = sign_in(cagou_port)
        bare = ["bare", "--database-url", database.url, "--page-bytes", str(page_bytes)]
        with server(bare, environment, database.var / "bare-server.log") as bare_port:
            for route in ROUTES:
                # Only "Mon espace" needs the session; a load balancer sends no cookie.
                apps = {"Cagou": (cagou_port, cookie if route == SPACE else ""), BASELINE: (bare_port, "")}
                measures += compare(route, apps, load, database.name)
    return measures


# -- the start-up ---------------------------------------------------------------


def measure_startup(database: Database, runs: int, secret: str) -> Startup:
    """``import cagou`` and ``configure``, each run in a fresh interpreter."""
    environment = cagou_environment(database, secret)
    imports, configures, modules = [], [], []
    for _ in range(runs):
        command = [PYTHON, str(BENCH / "startup.py"), "--ini", str(INI)]
        output = subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True, text=True)
        figures = json.loads(output.stdout.strip().splitlines()[-1])
        imports.append(figures["import"])
        configures.append(figures["configure"])
        modules = figures["modules"]
    return Startup(database.name, imports, configures, modules)


# -- the machine ----------------------------------------------------------------


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Share of the machine's CPU in use over ``seconds`` (Linux /proc/stat); None where unknown.

    Sampled while the benchmark itself is idle, it tells whether other
    processes were competing with the servers.
    """

    def counters() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return sum(fields), fields[3] + fields[4]  # all, idle + iowait

    try:
        total_before, idle_before = counters()
        time.sleep(seconds)
        total_after, idle_after = counters()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return 1 - (idle_after - idle_before) / total if total else None


def busy_lines(before: float | None, after: float | None) -> list[str]:
    if before is None or after is None:
        return []
    lines = [f"- CPU used by other processes: {percent(before)} just before the run, {percent(after)} just after"]
    if max(before, after) > BUSY_WARNING:
        lines.append(
            "- **The machine was busy with other work: the absolute figures are disturbed** (the ratios less so, "
            "the applications being measured in alternation). Run again on a quiet machine to compare runs."
        )
    return lines


# -- the report -----------------------------------------------------------------


def baseline_of(measure: Measure, measures: list[Measure]) -> Measure:
    return next(m for m in measures if m.app == BASELINE and (m.route, m.database) == (measure.route, measure.database))


def ratio(measure: Measure, measures: list[Measure]) -> float:
    baseline = baseline_of(measure, measures)
    return measure.per_second / baseline.per_second if baseline.per_second else float("nan")


def percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def results_table(measures: list[Measure]) -> list[str]:
    lines = [
        "| Route | Database | Application | Requests/s | Median (ms) | p95 (ms) | Ratio to baseline | Errors |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    databases = list(dict.fromkeys(m.database for m in measures))
    for m in sorted(measures, key=lambda m: (ROUTES.index(m.route), databases.index(m.database), m.app != "Cagou")):
        lines.append(
            f"| `GET {m.route}` | {m.database} | {m.app} | {m.per_second:.0f} | {m.median_ms:.1f} | {m.p95_ms:.1f} "
            f"| {percent(ratio(m, measures))} | {m.errors} |"
        )
    return lines


def targets(measures: list[Measure], startups: list[Startup]) -> list[str]:
    lines = []
    for m in measures:
        if m.app == "Cagou" and m.route == HEALTH:
            verdict = "met" if ratio(m, measures) >= HEALTH_TARGET else "NOT MET"
            lines.append(
                f"- `/sante` on {m.database}: {percent(ratio(m, measures))} of the baseline (target ≥ 60 %): {verdict}"
            )
    for s in startups:
        verdict = "met" if s.included < STARTUP_TARGET_SECONDS else "NOT MET"
        lines.append(f"- Start-up on {s.database}: {s.included:.2f} s with imports (target < 2 s): {verdict}")
    return lines


def startup_table(startups: list[Startup]) -> list[str]:
    lines = [
        "| Database | Runs | `configure()` without imports, median (s) | with `import cagou`, median (s) |"
        " min–max with imports (s) |",
        "|---|--:|--:|--:|--:|",
    ]
    for s in startups:
        totals = [i + c for i, c in zip(s.imports, s.configures, strict=True)]
        lines.append(
            f"| {s.database} | {len(totals)} | {s.excluded:.2f} | {s.included:.2f} "
            f"| {min(totals):.2f}–{max(totals):.2f} |"
        )
    return lines


def size_notes(measures: list[Measure]) -> list[str]:
    """Bodies sent per request: the baseline's page is padded to the size of Cagou's."""
    return [
        f"- `GET {m.route}` on {m.database}: Cagou sends {m.body_bytes} bytes, "
        f"the baseline {baseline_of(m, measures).body_bytes} bytes"
        for m in measures
        if m.app == "Cagou"
    ]


def context_lines(load: Load, threads: str, startups: list[Startup], busy: list[str]) -> list[str]:
    describe = ["git", "describe", "--always", "--dirty"]
    commit = subprocess.run(describe, cwd=ROOT, capture_output=True, text=True)
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return [
        f"- Date: {now}; commit {commit.stdout.strip() or 'unknown'} (-dirty: with uncommitted changes)",
        f"- Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"- Server: {threads}, cagou.environment = production",
        f"- Load: {load.concurrency} client processes, one keep-alive connection each, "
        f"{load.warmup:g} s warm-up then {load.duration:g} s measured per line, "
        f"in {load.rounds} slices alternating Cagou and the baseline",
        f"- Modules installed: {', '.join(startups[0].modules) if startups and startups[0].modules else 'none'}"
        " (production.ini: cagou.modules.default_enabled = false)",
        *busy,
    ]


def report(measures: list[Measure], startups: list[Startup], load: Load, busy: list[str]) -> str:
    errors = [m for m in measures if m.errors]
    context = context_lines(load, server_description(), startups, busy)
    if errors:
        context.append("- **This run had errors (listed at the end): its figures are not reliable.**")
    lines = ["# Cagou benchmark", "", *context, "", "## Throughput and latency", ""]
    lines += [*results_table(measures), "", *size_notes(measures)]
    lines += ["", "## Start-up (`cagou.configure(settings)`, all installed plugins)", "", *startup_table(startups)]
    lines += ["", "## Targets", "", *targets(measures, startups)]
    if errors:
        lines += ["", "## THIS RUN HAD ERRORS: its figures are not reliable", ""]
        lines += [f"- {m.app}, {m.database}, `{m.route}`: {m.errors} errors, e.g. {m.error_sample}" for m in errors]
    return "\n".join(lines) + "\n"


def server_description(workers: int | None = None) -> str:
    """gunicorn's processes and threads, as gunicorn.conf.py sets them (``workers`` when given instead)."""
    from serve import production_server

    server = production_server()
    processes = workers or server["workers"]
    return (
        f"gunicorn, {processes} process{'es' if processes > 1 else ''} × {server['threads']} threads (gunicorn.conf.py)"
    )


# -- the command ----------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cagou's benchmark (see bench/README.md).")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per line (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up before each (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="client processes (default 8)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="slices the duration is cut in, alternating the apps (default 5)"
    )
    parser.add_argument("--startup-runs", type=int, default=5, help="fresh interpreters timed (default 5)")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql (default both)"
    )
    parser.add_argument("--postgresql-url", default=DEFAULT_POSTGRESQL_URL, help="dropped and recreated by the run")
    arguments = parser.parse_args()
    if arguments.duration <= 0 or arguments.warmup < 0:
        parser.error("--duration must be positive and --warmup not negative")
    if min(arguments.concurrency, arguments.rounds, arguments.startup_runs) < 1:
        parser.error("--concurrency, --rounds and --startup-runs must be at least 1")
    return arguments


def databases(names: str, postgresql_url: str) -> list[Database]:
    known = {
        "sqlite": Database("SQLite", f"sqlite:///{VAR / 'sqlite' / 'cagou.sqlite'}", VAR / "sqlite"),
        "postgresql": Database("PostgreSQL", postgresql_url, VAR / "postgresql"),
    }
    chosen = [name.strip().lower() for name in names.split(",") if name.strip()]
    unknown = set(chosen) - set(known)
    if unknown or not chosen:
        raise SystemExit(f"Unknown database(s): {', '.join(sorted(unknown)) or '(none)'}; use sqlite, postgresql.")
    return [known[name] for name in chosen]


def publish(name: str, text: str) -> None:
    """Print a bench's Markdown report and keep it in var/bench/ under ``name``."""
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / name).write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"(written to {(VAR / name).relative_to(ROOT)})")


def main() -> int:
    # A SIGTERM must stop the servers too: turned into SystemExit, it runs the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    arguments = parse_arguments()
    load = Load(arguments.duration, arguments.warmup, arguments.concurrency, arguments.rounds)
    chosen = databases(arguments.databases, arguments.postgresql_url)
    # A secret of this run only: production refuses the development one.
    secret = secrets.token_urlsafe(48)
    busy_before = cpu_busy()
    measures: list[Measure] = []
    for database in chosen:
        print(f"{database.name}: migrating, loading the demonstration, then serving…", flush=True)
        measures += measure_database(database, load, secret)
    print("Start-up…", flush=True)
    startups = [measure_startup(database, arguments.startup_runs, secret) for database in chosen]
    text = report(measures, startups, load, busy_lines(busy_before, cpu_busy()))
    publish("results.md", text)
    return 1 if any(m.errors for m in measures) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # The finally blocks have stopped the servers by now.
        sys.exit("Interrupted.")
