"""The audit log's benchmark, run by ``make bench`` after bench/run.py (see bench/README.md).

1. Throughput: an authenticated JSON endpoint (``POST /intranet/banc/audit``,
   the bench-only module of ``bench/plugins/cagou_benchaudit``) that writes a
   file's change and one audit entry, against the same endpoint with
   ``?audit=0``, which writes the change without the entry. Production
   server settings (gunicorn.conf.py, production.ini), PostgreSQL,
   16 client processes with a signed-in session cookie and the CSRF header,
   the two measured in alternating slices of the same run. Target: the audit
   log costs at most 15 % of the throughput.
2. Size: one million entries inserted (COPY), sealed (``cagou audit seal``),
   then ``cagou audit verify`` timed as an operator runs it (one walker per
   core), after the same with one walker (``--walkers 1``) for the ratio.
   Target: under 60 seconds. Then the console's queries on that table
   (newest page, a person, full-text search).

Prints a Markdown report and writes it to var/bench/audit.md.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from typing import Any

import psycopg
import run
import sqlalchemy as sa

from cagou.audit.chain import DIGEST_FIELDS, entry_digest, normalize_changes
from cagou.audit.keys import PURPOSE as AUDIT_KEYS
from cagou.audit.keys import MacKeys, authenticate
from cagou.audit.models import AuditEntry
from cagou.audit.queries import AuditFilters, conditions
from cagou.audit.segments import default_walkers
from cagou.secrets import keyring

VAR = run.VAR / "audit"
PLUGINS = run.BENCH / "plugins"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_audit"
ENDPOINT = "/intranet/banc/audit"
AUDIT_ON, AUDIT_OFF = "Audit on", "Audit off"
COST_TARGET = 0.15
VERIFY_TARGET_SECONDS = 60.0
#: The table the bench module writes its changes to, on both sides of the comparison.
CREATE_CHANGES = (
    "CREATE TABLE bench_dossier_change (id bigserial PRIMARY KEY, reference varchar(64) NOT NULL, "
    "state varchar(32) NOT NULL, changed_at timestamptz NOT NULL DEFAULT now())"
)
CSRF_HEADER = re.compile(r'"X-CSRF-Token": "([^"]+)"')


# -- the platform ---------------------------------------------------------------


def environment(url: str, secret: str) -> dict[str, str]:
    """Production's environment (as bench/run.py gives it), plus the bench-only module."""
    database = run.Database("PostgreSQL", url, VAR)
    return {
        **run.cagou_environment(database, secret),
        "CAGOU_PLUGINS_EXTRA": "cagou_benchaudit",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH", "")])),
    }


def cagou(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run ``cagou -c production.ini …`` as an operator would."""
    command = [str(run.BIN / "cagou"), "-c", str(run.INI), *arguments]
    return subprocess.run(command, cwd=run.ROOT, env=env, check=True, capture_output=True, text=True)


def prepare(url: str, env: dict[str, str]) -> None:
    run.prepare_folder(run.Database("PostgreSQL", url, VAR))
    run.reset_postgresql(url)
    for arguments in (["db", "upgrade"], ["demo"], ["modules", "enable", "benchaudit"]):
        cagou(env, *arguments)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(CREATE_CHANGES))
    engine.dispose()


def csrf_token(port: int, cookie: str) -> str:
    """The CSRF token of the signed-in session, as htmx reads it from the page."""
    status, _, page = run.fetch(port, "GET", "/intranet/", {"Cookie": cookie})
    found = CSRF_HEADER.search(page.decode())
    if status != 200 or found is None:
        raise SystemExit(f"No CSRF token on /intranet/ (HTTP {status})")
    return found.group(1)


# -- the load -------------------------------------------------------------------


def poster(
    port: int, path: str, cookie: str, token: str, measure_from: float, stop_at: float
) -> tuple[list[float], int, str, int]:
    """One client process posting JSON on one keep-alive connection (see run.client)."""
    connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
    latencies: list[float] = []
    errors, sample, size, number = 0, "", 0, 0
    while (began := time.monotonic()) < stop_at:
        number += 1
        body = json.dumps({"reference": f"AIDE-2026-{os.getpid() % 1000:03d}{number:06d}"})
        headers = {"Cookie": cookie, "X-CSRF-Token": token, "Content-Type": "application/json"}
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            size = len(response.read())
            status = response.status
            if set_cookies := response.headers.get_all("Set-Cookie"):
                cookie = run.session_cookie(set_cookies, cookie)
        except (OSError, http.client.HTTPException) as error:
            status, sample = 0, repr(error)
            connection.close()
            connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
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


def drive(port: int, path: str, cookie: str, token: str, warmup: float, seconds: float, clients: int) -> run.Slice:
    measure_from = time.monotonic() + run.FORK_MARGIN_SECONDS + warmup
    stop_at = measure_from + seconds
    arguments = [(port, path, cookie, token, measure_from, stop_at)] * clients
    with multiprocessing.get_context("fork").Pool(clients, initializer=run.quiet_signals) as pool:
        results = pool.starmap(poster, arguments)
    return run.Slice(
        latencies=[latency for result in results for latency in result[0]],
        errors=sum(result[1] for result in results),
        error_sample=next((result[2] for result in results if result[2]), ""),
        body_bytes=max(result[3] for result in results),
    )


def throughput(port: int, cookie: str, token: str, load: run.Load) -> list[run.Measure]:
    """The endpoint with and without its audit entry, in alternating slices (A B B A…)."""
    paths = {AUDIT_ON: f"{ENDPOINT}?audit=1", AUDIT_OFF: f"{ENDPOINT}?audit=0"}
    slices: dict[str, list[run.Slice]] = {name: [] for name in paths}
    for round_number in range(load.rounds):
        order = list(paths) if round_number % 2 == 0 else list(reversed(paths))
        for name in order:
            warmup = load.warmup if round_number == 0 else 0.0
            seconds = load.duration / load.rounds
            slices[name].append(drive(port, paths[name], cookie, token, warmup, seconds, load.concurrency))
    measures = [run.merge(ENDPOINT, "PostgreSQL", name, parts, load.duration) for name, parts in slices.items()]
    for m in measures:
        print(f"  {m.app:<10} {m.per_second:8.1f} req/s, median {m.median_ms:.1f} ms, {m.errors} errors", flush=True)
    return measures


# -- a million entries ------------------------------------------------------------

MODULES = ("core", "aids", "helpdesk", "telework", "videoconf")
ACTIONS = {
    "core": ("core:session:login", "Connexion de « {login} »."),
    "aids": ("aids:application:review", "Dossier AIDE-2026-{n:06d} passé de « déposé » à « en instruction »."),
    "helpdesk": ("helpdesk:ticket:assign", "Ticket ASSIST-2026-{n:06d} attribué à « {login} »."),
    "telework": ("telework:laptop:lend", "Ordinateur portable PC-{n:05d} prêté à « {login} »."),
    "videoconf": ("videoconf:meeting:book", "Réunion vidéo n° {n} réservée par « {login} »."),
}
COLUMNS = (*DIGEST_FIELDS, "digest", "nonce", "mac_key", "mac")


def generated_entries(count: int) -> Any:
    """Entries like a year of the platform's life: five modules, a hundred agents, edits with their change.

    Each is authenticated as the writers do, with the ring the platform of this run reads.
    """
    keys = MacKeys(keyring.read(VAR / "audit.keys", purpose=AUDIT_KEYS))
    chance = random.Random(2026)
    # From now on, one every 31 seconds: entries are sealed after those the run has written, and
    # verify names an entry dated long before one sealed earlier (backdated).
    start = datetime.datetime.now(datetime.UTC)
    for n in range(count):
        module = MODULES[n % len(MODULES)]
        action, summary = ACTIONS[module]
        login = f"agent{chance.randrange(100):02d}"
        changes = {"before": {"état": "déposé"}, "after": {"état": "en instruction"}} if module == "aids" else None
        values: dict[str, Any] = {
            "occurred_at": start + datetime.timedelta(seconds=n * 31),
            "actor_id": 1000 + int(login[5:]),
            "actor_login": login,
            "actor_kind": "agent",
            "impersonator_id": None,
            "impersonator_login": None,
            "address": f"10.0.{chance.randrange(8)}.{chance.randrange(250)}",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
            "request_id": secrets.token_hex(16),
            "module": module,
            "action": action,
            "category": "action",
            "object_type": module,
            "object_id": str(n),
            "summary": summary.format(login=login, n=n),
            "changes": normalize_changes(changes),
        }
        values["digest"] = entry_digest(values)
        authenticate(values, keys)
        if values["changes"] is not None:
            values["changes"] = json.dumps(values["changes"], ensure_ascii=False)
        yield tuple(values[name] for name in COLUMNS)


def insert_entries(url: str, count: int) -> float:
    """COPY ``count`` entries into the table (digests computed as the writers do); the seconds it took."""
    started = time.perf_counter()
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    statement = f"COPY audit_entry ({', '.join(COLUMNS)}) FROM STDIN"
    with psycopg.connect(plain) as connection, connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in generated_entries(count):
            copy.write_row(row)
    elapsed = time.perf_counter() - started
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE audit_entry")
    return elapsed


def vacuum(url: str) -> None:
    """What autovacuum does to the fresh chain soon after (hint bits): so that both verifications read the same."""
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE audit_seal")


def timed(env: dict[str, str], *arguments: str) -> tuple[float, str]:
    started = time.perf_counter()
    output = cagou(env, *arguments)
    return time.perf_counter() - started, (output.stdout + output.stderr).strip()


def query_times(url: str) -> list[tuple[str, float]]:
    """The console's queries on the full table (median of 5, milliseconds): what a page costs."""
    engine = sa.create_engine(url)
    cases = {
        "newest 100 entries": AuditFilters(),
        "one person's entries": AuditFilters(person="agent42"),
        "full-text search, one module": AuditFilters(module="helpdesk", text="attribué agent07"),
        "one object's history": AuditFilters(object_type="aids", object_id="500000"),
    }
    results = []
    with engine.connect() as connection:
        for name, filters in cases.items():
            query = (
                sa.select(AuditEntry.id, AuditEntry.summary)
                .where(*conditions(None, filters, "postgresql"))
                .order_by(AuditEntry.id.desc())
                .limit(101)
            )
            times = []
            for _ in range(5):
                started = time.perf_counter()
                connection.execute(query).all()
                times.append((time.perf_counter() - started) * 1000)
            results.append((name, statistics.median(times)))
    engine.dispose()
    return results


# -- the report -----------------------------------------------------------------


def context(load: run.Load, busy: list[str]) -> list[str]:
    describe = ["git", "describe", "--always", "--dirty"]
    commit = subprocess.run(describe, cwd=run.ROOT, capture_output=True, text=True).stdout.strip() or "unknown"
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return [
        f"- Date: {now}; commit {commit} (-dirty: with uncommitted changes)",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores, Python {run.platform.python_version()}",
        f"- Server: {run.server_description()}, cagou.environment = production",
        f"- Load: {load.concurrency} client processes, one keep-alive connection each, {load.warmup:g} s warm-up "
        f"then {load.duration:g} s measured per side, in {load.rounds} slices alternating audit on and off",
        *busy,
    ]


def report(measures: list[run.Measure], load: run.Load, size: dict[str, Any], busy: list[str]) -> str:
    on = next(m for m in measures if m.app == AUDIT_ON)
    off = next(m for m in measures if m.app == AUDIT_OFF)
    cost = 1 - on.per_second / off.per_second if off.per_second else float("nan")
    lines = [
        "# Cagou benchmark: the audit log",
        "",
        *context(load, busy),
        f"- Endpoint: `POST {ENDPOINT}` (JSON, session cookie and CSRF header, signed in as `agent`), "
        "one change and one audit entry per request, or the change alone with `?audit=0`",
        "",
        "## Throughput (PostgreSQL)",
        "",
        "| Endpoint | Requests/s | Median (ms) | p95 (ms) | Errors |",
        "|---|--:|--:|--:|--:|",
    ]
    for m in (on, off):
        lines.append(f"| {m.app} | {m.per_second:.0f} | {m.median_ms:.1f} | {m.p95_ms:.1f} | {m.errors} |")
    verdict = "met" if cost <= COST_TARGET else "NOT MET"
    lines += ["", f"- Cost of the audit log: **{run.percent(cost)}** of the throughput (target ≤ 15 %): {verdict}"]
    if size:
        lines += [
            "",
            f"## {size['entries']:,} entries".replace(",", " "),
            "",
            f"- Inserted with COPY in {size['insert']:.1f} s (digests and HMACs computed as the writers do)",
            f"- `cagou audit seal`: {size['seal']:.1f} s — {size['seal_output']}",
            f"- `cagou audit verify`: **{size['verify']:.1f} s** (target < 60 s, {default_walkers()} walker(s)): "
            f"{'met' if size['verify'] < VERIFY_TARGET_SECONDS else 'NOT MET'} — {size['verify_output']}",
            f"- `cagou audit verify --walkers 1`: {size['verify_single']:.1f} s "
            f"({size['verify_single'] / size['verify']:.2f} times the time with {default_walkers()})",
            "",
            "| Console query on the full table | Median (ms) |",
            "|---|--:|",
            *(f"| {name} | {milliseconds:.1f} |" for name, milliseconds in size["queries"]),
        ]
    if any(m.errors for m in measures):
        lines += ["", "## THIS RUN HAD ERRORS: its figures are not reliable", ""]
        lines += [f"- {m.app}: {m.errors} errors, e.g. {m.error_sample}" for m in measures if m.errors]
    return "\n".join(lines) + "\n"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The audit log's benchmark (see bench/README.md).")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per side (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (default 3)")
    parser.add_argument("--concurrency", type=int, default=16, help="client processes (default 16)")
    parser.add_argument("--rounds", type=int, default=8, help="alternating slices (default 8)")
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries for the verify timing (0: skip)")
    parser.add_argument("--postgresql-url", default=DEFAULT_URL, help="dropped and recreated by the run")
    return parser.parse_args()


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    arguments = parse_arguments()
    load = run.Load(arguments.duration, arguments.warmup, arguments.concurrency, arguments.rounds)
    env = environment(arguments.postgresql_url, secrets.token_urlsafe(48))
    busy_before = run.cpu_busy()
    print("Audit log: migrating, loading the demonstration, then serving…", flush=True)
    prepare(arguments.postgresql_url, env)
    with run.server(["cagou"], env, VAR / "cagou-server.log") as port:
        cookie, _ = run.sign_in(port)
        measures = throughput(port, cookie, csrf_token(port, cookie), load)
    busy = run.busy_lines(busy_before, run.cpu_busy())
    size: dict[str, Any] = {}
    if arguments.entries:
        print(f"Inserting {arguments.entries:,} entries…", flush=True)
        size["entries"] = arguments.entries
        size["insert"] = insert_entries(arguments.postgresql_url, arguments.entries)
        print("Sealing, then verifying…", flush=True)
        size["seal"], size["seal_output"] = timed(env, "audit", "seal")
        vacuum(arguments.postgresql_url)
        size["verify_single"], _ = timed(env, "audit", "verify", "--walkers", "1")
        size["verify"], size["verify_output"] = timed(env, "audit", "verify")
        size["verify_output"] = size["verify_output"].splitlines()[0]
        size["queries"] = query_times(arguments.postgresql_url)
    text = report(measures, load, size, busy)
    run.publish("audit.md", text)
    failed = any(m.errors for m in measures)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted.")
