"""Bulk actions from the queue: transitions for many files (four eyes kept per file), requests for documents,
the per-file report and audit, the selection of every result of a filter, few queries, concurrent validators."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IBulkActions
from cagou_aids.models import Application, Procedure
from pyramid.registry import Registry
from test_queue import PASSWORD, account, agent

from cagou.kit import IAccounts, Invalid, act_as, get_engine, transaction_scope
from cagou.testing import csrf_token, delivered_mail, is_postgresql, login

BOTH = ("aids:instructor", "aids:validator")


def business_id(registry: Registry) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(Procedure.id).where(Procedure.receipt_prefix == "AIDE")))


def ids_of(registry: Registry, receipts: list[str]) -> list[int]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(Application.id).where(Application.receipt.in_(receipts))))


def states(registry: Registry, receipts: list[str]) -> dict[str, str]:
    with transaction_scope(registry) as request:
        query = sa.select(Application.receipt, Application.state).where(Application.receipt.in_(receipts))
        return {receipt: state for receipt, state in request.db.execute(query)}


def bulk(app: webtest.TestApp, procedure: int, action: str, ids: list[int], status: int = 200,
         **inputs: Any) -> webtest.TestResponse:  # fmt: skip
    """The queue's bulk form, posted as the page sends it."""
    token = csrf_token(app.get(f"/intranet/demarches/{procedure}/demandes"))
    fields = [("csrf_token", token), ("action", action), *(("dossier", str(number)) for number in ids)]
    for name, value in inputs.items():
        fields.extend((name, item) for item in (value if isinstance(value, list) else [value]))
    return app.post(f"/intranet/demarches/{procedure}/actions-groupees", fields, status=status)


def receipt_numbers(start: int, count: int) -> list[str]:
    return [f"AIDE-2020-{number:06d}" for number in range(start, start + count)]


def rows_of(page: webtest.TestResponse, table: str) -> dict[str, str]:
    return {row.select("td")[0].text: row.select("td")[1].text for row in page.html.select(f"#{table} tbody tr")}


def test_a_transition_for_many_files_keeps_four_eyes_per_file(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    procedure = business_id(registry)
    agent(app, registry, "lea", BOTH)
    mine, theirs = receipt_numbers(1, 3), receipt_numbers(4, 2)
    report = bulk(app, procedure, "transition:instruire", ids_of(registry, mine + theirs))
    assert "5 dossier(s) traité(s), 0 refusé(s)." in report.html.find(id="bilan").text
    refused = bulk(app, procedure, "transition:proposer", ids_of(registry, mine), status=400)
    assert refused.html.find(id="erreur-motivation").text == "La motivation est obligatoire."
    assert refused.html.find(id="erreur-montant").text == "Le montant est obligatoire."
    assert set(states(registry, mine).values()) == {"en_instruction"}  # nothing done
    bulk(
        app,
        procedure,
        "transition:proposer",
        ids_of(registry, mine),
        motivation="Éligible : 300 000 F CFP.",
        montant="300 000",
    )
    app.reset()
    agent(app, registry, "hugo", BOTH)
    bulk(
        app,
        procedure,
        "transition:proposer",
        ids_of(registry, theirs),
        motivation="Éligible : 200 000 F CFP.",
        montant="200 000",
    )
    app.reset()
    login(app, "lea", PASSWORD)
    report = bulk(app, procedure, "transition:valider", ids_of(registry, mine + theirs))
    refusals = rows_of(report, "refuses")
    assert sorted(refusals) == mine
    assert all("règle des quatre yeux" in reason for reason in refusals.values())
    assert rows_of(report, "faits") == {receipt: "Maintenant « Validée »." for receipt in theirs}
    assert states(registry, mine + theirs) == {**dict.fromkeys(mine, "proposee"), **dict.fromkeys(theirs, "validee")}
    with transaction_scope(registry) as request:
        entries = request.db.execute(sa.text(
            "SELECT action, object_id, changes FROM audit_entry WHERE action IN ('aids:bulk', "
            "'aids:application:transition') ORDER BY id"
        )).all()  # fmt: skip
    last = [entry for entry in entries if entry.action == "aids:bulk"][-1]
    changes = json.loads(last.changes) if isinstance(last.changes, str) else last.changes
    assert changes["after"]["done"] == theirs and sorted(changes["after"]["refused"]) == mine
    validated = [entry.object_id for entry in entries[-3:-1]]
    assert sorted(validated) == sorted(str(number) for number in ids_of(registry, theirs))
    subjects = [mail["Subject"] for mail in delivered_mail(registry)]
    assert sum("est validée" in subject for subject in subjects) == 2  # one mail per file validated


def test_documents_requested_from_every_result_of_a_filter(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    procedure = business_id(registry)
    agent(app, registry, "lea")
    page = app.get(f"/intranet/demarches/{procedure}/demandes", {"r.commune": "Thio", "r.secteur": "Tourisme"})
    count = int(page.html.find(id="resultats").text.split()[0])
    form = page.forms["actions-groupees"]
    assert form["filtre"].value == "r.commune=Thio&r.secteur=Tourisme"
    form["tous"] = True
    form["action"] = "complements"
    form["champs"] = ["attestation_cafat"]
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-demande").text == "La demande est obligatoire."
    form["demande"] = "Votre attestation de la CAFAT est illisible : envoyez-la de nouveau."
    report = form.submit()
    assert f"{count} dossier(s) traité(s), 0 refusé(s)." in report.html.find(id="bilan").text
    with transaction_scope(registry) as request:
        asked = request.db.execute(sa.select(Application.answers, Application.state)
                                   .where(Application.procedure_id == procedure, Application.state == "complement")
                                   ).all()  # fmt: skip
    assert len(asked) == count and all(answers["commune"] == "Thio" for answers, _ in asked)
    mails = [mail for mail in delivered_mail(registry) if "compléments sont demandés" in mail["Subject"]]
    assert len(mails) == count
    again = form.submit()  # the same files, already waiting for their documents: each refused, with why
    assert f"0 dossier(s) traité(s), {count} refusé(s)." in again.html.find(id="bilan").text


def test_a_selection_too_large_or_an_action_not_offered_is_refused(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    procedure = business_id(registry)
    agent(app, registry, "lea")
    token = csrf_token(app.get(f"/intranet/demarches/{procedure}/demandes"))
    url = f"/intranet/demarches/{procedure}/actions-groupees"
    everything = app.post(url, {"csrf_token": token, "action": "transition:instruire", "tous": "1", "filtre": ""},
                          status=400)  # fmt: skip
    assert "1000 demandes au plus à la fois" in everything.html.find(id="erreur-selection").text
    unknown = bulk(app, procedure, "transition:tout_payer", ids_of(registry, receipt_numbers(1, 2)), status=400)
    assert "Choisissez l'une des actions proposées" in unknown.html.find(id="erreur-action").text
    nothing = bulk(app, procedure, "transition:instruire", [], status=400)
    assert "Cochez au moins une demande" in nothing.html.find(id="erreur-selection").text
    hostile = app.post(url, {"csrf_token": token, "action": "transition:instruire", "tous": "1",
                             "filtre": "etat=envolee"}, status=400)  # fmt: skip
    assert hostile.html.find(id="erreur-adresse").text == "Cette démarche n'a pas d'état « envolee »."
    with transaction_scope(registry) as request:
        moved = request.db.scalar(sa.select(sa.func.count()).where(Application.state != "deposee"))
    assert moved == 0


def run_bulk(registry: Registry, login_name: str, code: str, ids: list[int], motivation: str = "") -> Any:
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_login(login_name))
        procedure = request.db.scalar(sa.select(Procedure).where(Procedure.receipt_prefix == "AIDE"))
        inputs = {"motivation": motivation, "montant": "300 000"}
        return request.find_service(IBulkActions).run(procedure, code, ids, inputs)


def test_the_files_and_their_transitions_are_read_once_not_per_file(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    account(registry, "lea", BOTH)
    account(registry, "paul", BOTH)
    ids = ids_of(registry, receipt_numbers(1, 40))
    run_bulk(registry, "lea", "transition:instruire", ids)
    run_bulk(registry, "lea", "transition:proposer", ids, "Éligible.")
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = get_engine(registry)
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        report = run_bulk(registry, "paul", "transition:valider", ids)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(report.done) == 40
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    transitions_read = [s for s in reads if "FROM aids_application_transition" in s]
    assert len(transitions_read) == 1  # the preload: the four-eyes rule and the levels read it, not the database
    # Per file, what is left is its followers and the account of each, mailed the transition (paul's validation is
    # mailed to lea, who took the files in hand); the envelope is locked and summed once for the 40.
    assert len(reads) <= 2 * 40 + 15 + 3, len(reads)  # + 3: the envelope, locked and read once


def test_a_selection_with_another_procedure_s_files_acts_on_this_one_s_only(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    account(registry, "lea")
    with transaction_scope(registry) as request:
        census = list(request.db.scalars(sa.select(Application.id).where(Application.receipt.like("RAP-%")).limit(2)))
    report = run_bulk(registry, "lea", "transition:instruire", [*census, *ids_of(registry, ["AIDE-2020-000001"])])
    assert [result.receipt for result in report.results] == ["AIDE-2020-000001"]
    with pytest.raises(Invalid):
        run_bulk(registry, "lea", "transition:instruire", census)


@pytest.mark.skipif(not is_postgresql(), reason="row locks: PostgreSQL")
def test_two_validators_at_once_validate_each_file_once(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    for name in ("lea", "paul", "emma"):
        account(registry, name, BOTH)
    ids = ids_of(registry, receipt_numbers(1, 30))
    run_bulk(registry, "lea", "transition:instruire", ids)
    run_bulk(registry, "lea", "transition:proposer", ids, "Éligible.")
    reports: dict[str, Any] = {}
    barrier = threading.Barrier(2)

    def validate(name: str) -> None:
        barrier.wait()
        reports[name] = run_bulk(registry, name, "transition:valider", ids if name == "paul" else ids[::-1])

    threads = [threading.Thread(target=validate, args=(name,)) for name in ("paul", "emma")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    done = [result.receipt for report in reports.values() for result in report.done]
    refused = [result for report in reports.values() for result in report.refused]
    assert sorted(done) == receipt_numbers(1, 30)  # each once, by one or the other
    assert len(refused) == 30 and all("n'est plus possible" in result.text for result in refused)
