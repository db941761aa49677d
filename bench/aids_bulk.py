"""A bulk validation of 800 applications on PostgreSQL (see docs/performance.md).

Cagou served as in production (gunicorn with gunicorn.conf.py and production.ini, module aids enabled, the
demonstration loaded, the business aid's applications copied in SQL as bench/aids_queue.py does). The
applications are put in SQL into « Proposée », each proposed by another agent than the demonstration's
``agent`` (a validator of the Service des aides aux entreprises), who then, signed in:

1. validates ``--files`` (800) ticked applications at once from the queue
   (``POST /intranet/demarches/{id}/actions-groupees``, action « Valider la proposition »), ``--runs`` (3)
   times, on different files each time: the wall time of the request, its report read (every file done);
2. the baseline, in the same run: ``--singles`` (50) validations one file at a time, each from its own page
   (``POST …/demandes/{receipt}/circuit``), as an agent without bulk actions would; their mean, times 800.

Target: 800 files validated in one bulk action under 5 s. The database is then read: each file validated
once, with its history line, its transition taken and its audit entry, and one ``aids:bulk`` entry per run.

Prints a Markdown report and writes it to var/bench/aids_bulk.md; exits 1 when a file is missing or doubled.

    python bench/aids_bulk.py [--postgresql-url …] [--files 800] [--runs 3] [--singles 50]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import re
import secrets
import statistics
import sys
import time
import urllib.parse

import aids_queue
import helpdesk
import run
import sqlalchemy as sa

VAR = run.VAR / "aids_bulk"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_bulk"
TARGET_SECONDS = 5.0
COLLEAGUE = "banc.collegue"
REPORT = re.compile(r'<p id="bilan" role="status">(\d+) dossier\(s\) traité\(s\), (\d+) refusé\(s\)\.</p>')
#: Every application of the procedure proposed by the colleague: the state, and the proposal the four-eyes rule
#: reads (its author is not the validator).
PROPOSE = [
    "UPDATE aids_application SET state = 'proposee' WHERE procedure_id = :p",
    "INSERT INTO aids_application_transition (application_id, workflow_version_id, transition, step, from_state, "
    "to_state, account_id, at, motivation) SELECT a.id, pr.workflow_version_id, 'proposer', 'proposal', "
    "'en_instruction', 'proposee', :colleague, now(), 'Éligible.' FROM aids_application a "
    "JOIN aids_procedure pr ON pr.id = a.procedure_id WHERE a.procedure_id = :p",
]
CHECKS = {
    "validated": "SELECT count(*) FROM aids_application WHERE procedure_id = :p AND state = 'validee'",
    "transitions": "SELECT count(*) FROM aids_application_transition WHERE transition = 'valider'",
    "distinct": "SELECT count(DISTINCT application_id) FROM aids_application_transition WHERE transition = 'valider'",
    "audited": "SELECT count(*) FROM audit_entry WHERE action = 'aids:application:transition'",
    "history": "SELECT count(*) FROM aids_application_event WHERE state = 'validee'",
    "bulk": "SELECT count(*) FROM audit_entry WHERE action = 'aids:bulk'",
}


def environment(url: str, secret: str) -> dict[str, str]:
    return {**helpdesk.environment(url, secret), "CAGOU_VAR": str(VAR)}


def propose_all(url: str, env: dict[str, str], procedure: int) -> list[tuple[int, str]]:
    """Every application proposed by the colleague; their (id, receipt), oldest first."""
    helpdesk.cagou(env, "user", "add", COLLEAGUE, "--name", "Collègue de banc", "--password", secrets.token_urlsafe(16))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        colleague = connection.scalar(sa.text("SELECT id FROM account WHERE login = :l"), {"l": COLLEAGUE})
        for statement in PROPOSE:
            connection.execute(sa.text(statement), {"p": procedure, "colleague": colleague})
        rows = connection.execute(sa.text("SELECT id, receipt FROM aids_application WHERE procedure_id = :p "
                                          "ORDER BY submitted_at, id"), {"p": procedure}).all()  # fmt: skip
        connection.execute(sa.text("ANALYZE"))
    engine.dispose()
    return [(row.id, row.receipt) for row in rows]


def post(port: int, session: helpdesk.Session, path: str, fields: list[tuple[str, str]]) -> tuple[int, str, float]:
    """One form posted as the browser posts it: (status, body, seconds)."""
    body = urllib.parse.urlencode([("csrf_token", session.token), *fields])
    headers = {"Cookie": session.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    connection = http.client.HTTPConnection(run.HOST, port, timeout=300)
    began = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    return response.status, text, time.monotonic() - began


def bulk_runs(port: int, session: helpdesk.Session, procedure: int, files: list[tuple[int, str]], size: int,
              runs: int) -> list[float]:  # fmt: skip
    seconds = []
    for number in range(runs):
        chosen = files[number * size : (number + 1) * size]
        fields = [("action", "transition:valider"), *(("dossier", str(file_id)) for file_id, _ in chosen)]
        status, text, took = post(port, session, f"/intranet/demarches/{procedure}/actions-groupees", fields)
        found = REPORT.search(text)
        if status != 200 or found is None or found.groups() != (str(len(chosen)), "0"):
            raise SystemExit(f"The bulk validation answered {status}: {found.groups() if found else text[:500]}")
        print(f"  run {number + 1}: {len(chosen)} files in {took:.2f} s", flush=True)
        seconds.append(took)
    return seconds


def singles(port: int, session: helpdesk.Session, procedure: int, files: list[tuple[int, str]]) -> list[float]:
    seconds = []
    for _, receipt in files:
        path = f"/intranet/demarches/{procedure}/demandes/{receipt}/circuit"
        status, _, took = post(port, session, path, [("transition", "valider"), ("etat", "proposee")])
        if status != 303:
            raise SystemExit(f"Validating {receipt} alone answered {status}")
        seconds.append(took)
    return seconds


def checks(url: str, procedure: int) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = {name: int(connection.scalar(sa.text(query), {"p": procedure})) for name, query in CHECKS.items()}
    engine.dispose()
    return found


def report(args: argparse.Namespace, bulk: list[float], single: list[float], found: dict[str, int],
           whole: bool, busy: list[str]) -> str:  # fmt: skip
    median, per_file = statistics.median(bulk), statistics.mean(single)
    one_by_one = per_file * args.files
    lines = [
        f"# A bulk validation of {args.files} applications", "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores; PostgreSQL on the same machine",
        f"- Server: {run.server_description()}, cagou.environment = production, module aids enabled",
        f"- Command: `python bench/aids_bulk.py --files {args.files} --runs {args.runs} --singles {args.singles}`",
        *busy, "",
        "| what | time | per file |", "|---|---:|---:|",
        *(f"| bulk run {n}: {args.files} files, one request | {s:.2f} s | {s / args.files * 1000:.1f} ms |"
          for n, s in enumerate(bulk, start=1)),
        f"| baseline: {args.singles} validations one page at a time | {sum(single):.2f} s | {per_file * 1000:.1f} ms |",
        "", f"Median bulk run: {median:.2f} s for {args.files} files (target under {TARGET_SECONDS:.0f} s: "
        f"{'met' if median < TARGET_SECONDS else 'NOT MET'}); one by one, the same files would take about "
        f"{one_by_one:.1f} s: the bulk action costs {median / one_by_one:.0%} of it.",
        "", f"Stored: {found['validated']} applications validated, {found['transitions']} validations taken "
        f"({found['distinct']} distinct files), {found['history']} history lines, {found['audited']} audit entries "
        f"per file, {found['bulk']} `aids:bulk` entries ({'each file once' if whole else 'MISSING OR DOUBLED'}).",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql-url", default=DEFAULT_URL)
    parser.add_argument("--files", type=int, default=800)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--singles", type=int, default=50)
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    env = environment(args.postgresql_url, secrets.token_urlsafe(48))
    print("Preparing the database (migrations, demonstration, proposals)…", flush=True)
    aids_queue.prepare(args.postgresql_url, env, VAR)
    procedure, _ = aids_queue.fill(args.postgresql_url, args.files * args.runs + args.singles)
    files = propose_all(args.postgresql_url, env, procedure)
    before = run.cpu_busy()
    with run.server(["cagou"], env, VAR / "server.log") as port:
        session = helpdesk.sign_in(port, run.LOGIN, run.PASSWORD, f"/intranet/demarches/{procedure}/demandes")
        print(f"1. {args.runs} bulk validations of {args.files} files", flush=True)
        bulk = bulk_runs(port, session, procedure, files, args.files, args.runs)
        print(f"2. {args.singles} validations one at a time", flush=True)
        rest = files[args.files * args.runs : args.files * args.runs + args.singles]
        single = singles(port, session, procedure, rest)
    busy = run.busy_lines(before, run.cpu_busy())
    found = checks(args.postgresql_url, procedure)
    expected = args.files * args.runs + len(rest)
    whole = found["validated"] == found["transitions"] == found["distinct"] == found["history"] == expected
    whole = whole and found["audited"] == expected and found["bulk"] == args.runs
    text = report(args, bulk, single, found, whole, busy)
    print(text)
    run.publish("aids_bulk.md", text)
    return 0 if whole and statistics.median(bulk) < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
