"""The instructors' queue at 50,000 applications on PostgreSQL (see docs/performance.md).

Cagou served as in production (gunicorn with gunicorn.conf.py and production.ini, module aids enabled, the
demonstration loaded), the business aid's applications copied in SQL until the procedure holds
``--applications`` (50,000): each copy takes the answers of one of the demonstration's 2,400 (so the
communes, amounts and names vary as they do there), a state among « Déposée », « En instruction »,
« Proposée », and an instant 37 s before the previous one. Then, signed in as the demonstration's agent, one
client after the other on each page of the queue (``GET /intranet/demarches/{id}/demandes?…``):

1. the first page, as it opens (with its counts per state and its number of results);
2. filters on two answers and a state, two answers shown as columns;
3. the full-text search of an applicant's name (PostgreSQL's French ``tsvector``, its GIN index);
4. a range on an amount, the oldest first, from a cursor in the middle (a "Suivant" deep in the list);
5. a submission period.

The baseline, in the same run and the same alternating slices: the platform's own signed-in home page
(``/intranet/``, "Mon espace"), what any signed-in page costs. Target: 95th percentile of every queue page
under 150 ms.

Prints a Markdown report and writes it to var/bench/aids_queue.md.

    python bench/aids_queue.py [--postgresql-url …] [--applications 50000] [--duration 10]
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import sys
import urllib.parse
from pathlib import Path

import helpdesk
import run
import sqlalchemy as sa

VAR = run.VAR / "aids_queue"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_queue"
SLUG = "aide-exceptionnelle-aux-entreprises-plan-de-soutien-covid-19"
CAGOU, SPACE = "Cagou", "Mon espace"
P95_TARGET_MS = 150.0
#: The copies: the answers of the demonstration's rows in turn, a state in turn, 37 s apart.
COPY = sa.text(
    "INSERT INTO aids_application (procedure_id, version_id, receipt, state, answers, applicant_id, email, "
    "idempotency_key, is_test, submitted_at, identity) "
    "SELECT a.procedure_id, a.version_id, 'BANC-2020-' || lpad(n::text, 6, '0'), "
    "(ARRAY['deposee', 'en_instruction', 'proposee'])[n % 3 + 1], a.answers, NULL, a.email, 'copie-' || n, false, "
    "a.submitted_at - n * interval '37 seconds', a.identity "
    "FROM generate_series(1, :missing) n JOIN "
    "(SELECT *, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS c FROM aids_application "
    "WHERE procedure_id = :p) a ON a.k = n % a.c"
)


def environment(url: str, secret: str) -> dict[str, str]:
    return {**helpdesk.environment(url, secret), "CAGOU_VAR": str(VAR)}


def prepare(url: str, env: dict[str, str], folder: Path = VAR) -> None:
    """What an operator does: migrate, enable the module, load the demonstration."""
    run.prepare_folder(run.Database("PostgreSQL", url, folder))
    run.reset_postgresql(url)
    for arguments in (["db", "upgrade"], ["modules", "enable", "aids"], ["demo"]):
        helpdesk.cagou(env, *arguments)


def fill(url: str, applications: int) -> tuple[int, int]:
    """Copy the business aid's applications until it holds ``applications``: (procedure id, count)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        procedure = connection.scalar(sa.text("SELECT id FROM aids_procedure WHERE slug = :slug"), {"slug": SLUG})
        count = connection.scalar(sa.text("SELECT count(*) FROM aids_application WHERE procedure_id = :p"),
                                  {"p": procedure})  # fmt: skip
        connection.execute(COPY, {"missing": max(0, applications - count), "p": procedure})
        total = connection.scalar(sa.text("SELECT count(*) FROM aids_application WHERE procedure_id = :p"),
                                  {"p": procedure})  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE aids_application"))
    engine.dispose()
    return procedure, total


def middle_cursor(url: str, procedure: int) -> str:
    """The cursor of a row in the middle of the list, oldest first: a "Suivant" 25,000 rows in."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        at, number = connection.execute(sa.text(
            "SELECT submitted_at, id FROM aids_application WHERE procedure_id = :p ORDER BY submitted_at, id "
            "OFFSET (SELECT count(*) / 2 FROM aids_application WHERE procedure_id = :p) LIMIT 1"
        ), {"p": procedure}).one()  # fmt: skip
    engine.dispose()
    return f"{at.isoformat()}_{number}"


def pages(procedure: int, cursor: str) -> list[tuple[str, str]]:
    base = f"/intranet/demarches/{procedure}/demandes"
    queries = [
        ("first page", {}),
        ("two answers, a state, two columns", {"r.commune": "Nouméa", "r.secteur": "Commerce", "etat": "proposee",
                                                "col": "commune", "r.montant_demande.min": "200000"}),
        ("full-text search of a name", {"q": "boulangerie wamytan"}),
        ("an amount's range, oldest first, deep « Suivant »", {"r.montant_demande.min": "400000", "tri": "ancien",
                                                               "apres": cursor}),
        ("a submission period", {"du": "01/04/2020", "au": "15/04/2020"}),
    ]  # fmt: skip
    return [(label, f"{base}?{urllib.parse.urlencode(query)}" if query else base) for label, query in queries]


def report(args: argparse.Namespace, applications: int, measured: list[tuple[str, run.Measure]],
           space: run.Measure, busy: list[str]) -> str:  # fmt: skip
    met = lambda ok: "met" if ok else "NOT MET"  # noqa: E731
    lines = [
        f"# The instructors' queue at {helpdesk.thousands(applications)} applications", "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores; PostgreSQL on the same machine",
        f"- Server: {run.server_description()}, cagou.environment = production, module aids enabled",
        f"- Command: `python bench/aids_queue.py --applications {args.applications} --duration {args.duration}`",
        *busy, "",
        "| page | requests | median | p95 | p95 / « Mon espace » | target p95 < 150 ms |",
        "|---|---:|---:|---:|---:|---|",
        *(f"| {label} | {m.requests} | {m.median_ms:.1f} ms | {m.p95_ms:.1f} ms | {m.p95_ms / space.p95_ms:.1f} × | "
          f"{met(m.p95_ms < P95_TARGET_MS and not m.errors)} |" for label, m in measured),
        f"| baseline: « Mon espace » (`/intranet/`) | {space.requests} | {space.median_ms:.1f} ms | "
        f"{space.p95_ms:.1f} ms | 1 × | |",
    ]  # fmt: skip
    errors = [f"- {label}: {m.errors} errors ({m.error_sample})" for label, m in measured if m.errors]
    return "\n".join([*lines, *([""] if errors else []), *errors]) + "\n"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgresql-url", default=DEFAULT_URL)
    parser.add_argument("--applications", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per page, in two slices")
    parser.add_argument("--warmup", type=float, default=2.0)
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    env = environment(args.postgresql_url, secrets.token_urlsafe(48))
    print("Preparing the database (migrations, demonstration, copies)…", flush=True)
    prepare(args.postgresql_url, env)
    procedure, applications = fill(args.postgresql_url, args.applications)
    cursor = middle_cursor(args.postgresql_url, procedure)
    load = run.Load(args.duration, args.warmup, 1, 2)
    before = run.cpu_busy()
    with run.server(["cagou"], env, VAR / "server.log") as port:
        session = helpdesk.sign_in(port, run.LOGIN, run.PASSWORD, "/intranet/demarches/")
        measured: list[tuple[str, run.Measure]] = []
        for label, page in pages(procedure, cursor):
            print(f"  {label}: {page}", flush=True)
            measured.append((label, run.compare(page, {CAGOU: (port, session.cookie)}, load, "PostgreSQL")[0]))
        space = run.compare(run.SPACE, {SPACE: (port, session.cookie)}, load, "PostgreSQL")[0]
    busy = run.busy_lines(before, run.cpu_busy())
    text = report(args, applications, measured, space, busy)
    print(text)
    run.publish("aids_queue.md", text)
    return 0 if all(m.p95_ms < P95_TARGET_MS and not m.errors for _, m in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
