"""The acts' benchmark (see docs/performance.md): an act of 1,000 beneficiaries created and signed, on PostgreSQL.

On its own database (``--postgresql-url``, emptied and prepared as bench/aids.py prepares its own: migrations,
the demonstration, module aids enabled), ``--beneficiaries`` (1,000) validated applications of the business aid
are copied in SQL from the demonstration's (each with an amount), then, in this process, through the services as
the pages call them, the demonstration agent (instructor and signer of the directorate):

1. **creates** the act of them all (``IActs.create``: its number under the counter's lock, its lines, the workflow's
   "inscrire dans un acte" taken on each application with its history line and audit entry), one transaction;
2. **signs** it (``IActs.sign``: the PDF rendered by WeasyPrint and stored with its SHA-256, "acte signé" taken on
   each application, with its mail written to the outbox), one transaction.

Target: both under 10 s. Prints a Markdown report and writes it to var/bench/aids-acts.md.

    python bench/aids_acts.py [--postgresql-url …] [--beneficiaries 1000]
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import sys
import time

import aids
import helpdesk
import run
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_aids_acts"
TARGET_S = 10.0
#: The validated applications, copied from the demonstration's first business application (its answers, version).
COPY = """
INSERT INTO aids_application (procedure_id, version_id, receipt, state, answers, email, idempotency_key, is_test,
                              submitted_at, amount)
SELECT a.procedure_id, a.version_id, 'BANC-2020-' || lpad(n::text, 6, '0'), 'validee', a.answers, a.email,
       'banc-acte-' || n, false, a.submitted_at, 100000 + (n % 40) * 10000
FROM aids_application a, generate_series(1, :count) AS n
WHERE a.id = (SELECT min(id) FROM aids_application WHERE receipt LIKE 'AIDE-%')
"""


STATES = "SELECT state, count(*) FROM aids_application WHERE receipt LIKE 'BANC-%' GROUP BY state"


def registry_of(env: dict[str, str]) -> object:
    os.environ.update({key: value for key, value in env.items() if key.startswith("CAGOU_")})
    sys.path.insert(0, str(helpdesk.PLUGINS))
    from startup import app_settings

    from cagou import configure

    return configure(app_settings(run.INI)).registry


def measure(registry: object, count: int) -> dict[str, float]:
    from cagou_aids.interfaces import IActs
    from cagou_aids.models import Act, Application, Procedure
    from zope.sqlalchemy import mark_changed

    from cagou.kit import IAccounts, act_as, transaction_scope

    figures: dict[str, float] = {}
    with transaction_scope(registry) as request:
        request.db.execute(sa.text(COPY), {"count": count})
        mark_changed(request.db)  # a statement outside the ORM: the transaction commits it only when told
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_login(run.LOGIN))
        procedure = request.db.scalar(sa.select(Procedure).where(Procedure.receipt_prefix == "AIDE"))
        ids = list(request.db.scalars(sa.select(Application.id).where(Application.receipt.like("BANC-%"))))
        acts = request.find_service(IActs)
        started = time.perf_counter()
        act_id = acts.create(procedure, ids, acts.template(procedure)).id
        request.db.flush()
        figures["create"] = time.perf_counter() - started
    started = time.perf_counter()
    with transaction_scope(registry) as request:  # the commit counts: what the signer waits for
        act_as(request, request.find_service(IAccounts).by_login(run.LOGIN))
        act = request.db.get(Act, act_id)
        acts = request.find_service(IActs)
        rendering = time.perf_counter()
        acts.render(act)  # once on its own, to tell the PDF's share (the signature renders it again)
        figures["render"] = time.perf_counter() - rendering
        started += figures["render"]
        signed = acts.sign(act)
        figures["pdf_bytes"] = float(len(acts.pdf(signed)))
    figures["sign"] = time.perf_counter() - started
    with transaction_scope(registry) as request:
        states = dict(request.db.execute(sa.text(STATES)).all())
    assert states == {"acte_signe": count}, states
    return figures


def report(figures: dict[str, float], args: argparse.Namespace) -> str:
    verdict = "met" if max(figures["create"], figures["sign"]) < TARGET_S else "**missed**"
    return "\n".join([
        f"# Aids: an act of {args.beneficiaries:,} beneficiaries".replace(",", " "), "",
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores, shared with other work during the run; "
        "PostgreSQL on the same machine",
        f"- Command: `python bench/aids_acts.py --beneficiaries {args.beneficiaries}`", "",
        "| step | seconds |", "|---|---:|",
        "| create the act (numbering, lines, the workflow's transition on each application) | "
        f"{figures['create']:.2f} |",
        f"| sign it (PDF rendered and stored, the transition and its mail on each application, commit) | "
        f"{figures['sign']:.2f} |",
        f"| of which the PDF's rendering (WeasyPrint, measured apart) | {figures['render']:.2f} |", "",
        f"The signed PDF weighs {figures['pdf_bytes'] / 1024:.0f} KiB. Target (each step under {TARGET_S:.0f} s): "
        f"{verdict}.",
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgresql-url", default=DEFAULT_URL)
    parser.add_argument("--beneficiaries", type=int, default=1000)
    args = parser.parse_args()
    env = aids.environment(args.postgresql_url, secrets.token_urlsafe(48))
    aids.prepare(args.postgresql_url, env)
    text = report(measure(registry_of(env), args.beneficiaries), args)
    run.VAR.mkdir(parents=True, exist_ok=True)
    (run.VAR / "aids-acts.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
