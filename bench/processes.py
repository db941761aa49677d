"""One process or one per core: the helpdesk's queue page served both ways in one run (see bench/README.md).

On PostgreSQL (database ``cagou_bench_processes``, dropped and created
again), the demonstration loaded, the helpdesk enabled and 20,000 tickets
inserted with COPY: Cagou is served twice, side by side, by gunicorn with
gunicorn.conf.py and production.ini, once with one process and once with
``--workers`` processes (one per core by default), each with gunicorn.conf.py's
threads. The technicians' queue page, signed in as the demonstration
technician, is driven with one client, then four at once, in slices that
alternate the two servers. Python runs one thread of a process at a time: four
technicians on one process wait for each other, on several processes they use
every core. Target: the 95th percentile under 150 ms with four at once.

Prints a Markdown report and writes it to var/bench/processes.md; exits 1 when
a request failed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import signal
import subprocess
import sys

import helpdesk
import run

VAR = run.VAR / "processes"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_processes"
TARGET_P95_MS = 150.0


def prepare(url: str, env: dict[str, str], tickets: int) -> int:
    """What an operator does (migrate, demonstration, enable the module), then the tickets; how many there are."""
    run.prepare_folder(run.Database("PostgreSQL", url, VAR))
    run.reset_postgresql(url)
    for arguments in (["db", "upgrade"], ["demo"], ["modules", "enable", "helpdesk"]):
        helpdesk.cagou(env, *arguments)
    helpdesk.fill(url, tickets)
    return helpdesk.ticket_count(url)


def measure(env: dict[str, str], args: argparse.Namespace) -> list[tuple[int, run.Measure]]:
    """(clients, measure) for each number of clients, both servers in alternating slices."""
    one, many = "1 process", f"{args.workers} processes"
    lines: list[tuple[int, run.Measure]] = []
    with (
        run.server(["--workers", "1", "cagou"], env, VAR / "one-process.log") as one_port,
        run.server(["--workers", str(args.workers), "cagou"], env, VAR / "processes.log") as many_port,
    ):
        cookie = helpdesk.sign_in(
            one_port, helpdesk.TECHNICIAN_LOGIN, helpdesk.TECHNICIAN_PASSWORD, helpdesk.QUEUE
        ).cookie
        for clients in args.clients:
            print(f"Queue page, {clients} client(s) at once…", flush=True)
            load = run.Load(args.duration, args.warmup, clients, args.rounds)
            apps = {one: (one_port, cookie), many: (many_port, cookie)}
            lines += [(clients, m) for m in run.compare(helpdesk.QUEUE, apps, load, "PostgreSQL")]
    return lines


def report(args: argparse.Namespace, tickets: int, lines: list[tuple[int, run.Measure]], busy: list[str]) -> str:
    describe = ["git", "describe", "--always", "--dirty"]
    commit = subprocess.run(describe, cwd=run.ROOT, capture_output=True, text=True).stdout.strip() or "unknown"
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    out = [
        "# Cagou benchmark: one process or one per core",
        "",
        f"- Date: {now}; commit {commit} (-dirty: with uncommitted changes)",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores, Python {run.platform.python_version()}",
        f"- Servers: {run.server_description(1)}, and {run.server_description(args.workers)}; "
        "cagou.environment = production, module helpdesk enabled, the demonstration loaded",
        f"- Database: PostgreSQL, {helpdesk.thousands(tickets)} tickets",
        f"- Load: `GET {helpdesk.QUEUE}` signed in as `{helpdesk.TECHNICIAN_LOGIN}`, client processes sending "
        f"requests back to back, {args.warmup:g} s warm-up then {args.duration:g} s per line in {args.rounds} "
        "slices alternating the two servers",
        *busy,
        "",
        "| Clients at once | Server | Requests/s | Median (ms) | p95 (ms) | Throughput ratio to 1 process | Errors |",
        "|--:|---|--:|--:|--:|--:|--:|",
    ]
    for clients, m in lines:
        single = next(other for n, other in lines if n == clients and other.app == "1 process")
        ratio = m.per_second / single.per_second if single.per_second else float("nan")
        out.append(
            f"| {clients} | {m.app} | {m.per_second:.0f} | {m.median_ms:.1f} | {m.p95_ms:.1f} | {ratio:.2f} "
            f"| {m.errors} |"
        )
    out.append("")
    for clients, m in lines:
        if clients > 1:
            verdict = "met" if m.p95_ms < TARGET_P95_MS else "NOT MET"
            out.append(
                f"- {clients} technicians at once, {m.app}: p95 **{m.p95_ms:.0f} ms** (target < 150 ms): {verdict}"
            )
    if failures := [(clients, m) for clients, m in lines if m.errors]:
        out += ["", "## THIS RUN HAD ERRORS: its figures are not reliable", ""]
        out += [f"- {m.app}, {clients} clients: {m.errors} errors, e.g. {m.error_sample}" for clients, m in failures]
    return "\n".join(out) + "\n"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="One process or one per core (see bench/README.md).")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="processes of the second server")
    parser.add_argument("--clients", default="1,4", help="clients at once, comma-separated (1,4)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per line (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up (2)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices (4)")
    parser.add_argument("--tickets", type=int, default=20_000, help="tickets inserted (20000)")
    parser.add_argument("--postgresql-url", default=DEFAULT_URL, help="dropped and recreated by the run")
    arguments = parser.parse_args()
    arguments.clients = [int(number) for number in arguments.clients.split(",")]
    if min(arguments.workers, arguments.rounds, *arguments.clients) < 1:
        parser.error("--workers, --rounds and --clients must be at least 1")
    return arguments


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_arguments()
    env = {**helpdesk.environment(args.postgresql_url, secrets.token_urlsafe(48)), "CAGOU_VAR": str(VAR)}
    busy_before = run.cpu_busy()
    print(f"Migrating, loading the demonstration, inserting {helpdesk.thousands(args.tickets)} tickets…", flush=True)
    tickets = prepare(args.postgresql_url, env, args.tickets)
    lines = measure(env, args)
    text = report(args, tickets, lines, run.busy_lines(busy_before, run.cpu_busy()))
    run.publish("processes.md", text)
    return 1 if any(m.errors for _, m in lines) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted.")
