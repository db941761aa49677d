"""Amounts, the budget envelope and the acts: each refusal, the database's own guard, and what runs at once on PG."""

from __future__ import annotations

import hashlib
import itertools
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from cagou_aids.interfaces import IActs, IEnvelopes, IWorkflows
from cagou_aids.models import Act, ActLine, Application, TransitionTaken
from cagou_aids.services.acts import in_words
from pyramid.registry import Registry
from test_workflows import agents, business, set_levels, state_of, take

from cagou.kit import IAccounts, IFileStorage, Invalid, Refused, act_as, transaction_scope
from cagou.testing import delivered_mail, is_postgresql

FIRST, SECOND, THIRD = "AIDE-2020-000001", "AIDE-2020-000002", "AIDE-2020-000003"


@pytest.fixture
def people(registry: Registry, demonstration: None) -> dict[str, int]:
    return agents(registry)


def validated(registry: Registry, people: dict[str, int], receipt: str, amount: str) -> str:
    take(registry, people["lea"], "instruire", receipt=receipt)
    take(registry, people["lea"], "proposer", "Éligible.", receipt=receipt, amount=amount)
    return take(registry, people["paul"], "valider", receipt=receipt)


def set_envelope(registry: Registry, amount: int) -> None:
    with transaction_scope(registry) as request:
        request.find_service(IEnvelopes).set(business(request), amount)


def ids_of(registry: Registry, *receipts: str) -> list[int]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(Application.id).where(Application.receipt.in_(receipts))))


def acting(request: Any, who: int) -> Any:
    act_as(request, request.find_service(IAccounts).by_id(who))
    return request.find_service(IActs)


def create_act(registry: Registry, who: int, *receipts: str) -> int:
    ids = ids_of(registry, *receipts)
    with transaction_scope(registry) as request:
        acts = acting(request, who)
        return int(acts.create(business(request), ids, acts.template(business(request))).id)


def on_act(registry: Registry, who: int, act_id: int, action: str) -> Act:
    with transaction_scope(registry) as request:
        act = request.db.get(Act, act_id)
        getattr(acting(request, who), action)(act)
        return act


def at_once(*calls: tuple[Any, ...]) -> None:
    """Each call in its own thread (they wait for one another at a barrier of their own), then all joined."""
    threads = [threading.Thread(target=call[0], args=call[1:]) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_proposal_needs_a_whole_amount_kept_on_the_transition_and_the_application(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    take(registry, people["lea"], "instruire")
    for typed, message in (("", "Montant proposé est obligatoire."), ("12,5", "nombre entier"), ("-3", "de 0 à")):
        with pytest.raises(Invalid) as refused:
            take(registry, people["lea"], "proposer", "Éligible.", amount=typed)
        assert message in refused.value.errors["montant"]
    assert state_of(registry) == "en_instruction"
    take(registry, people["lea"], "proposer", "Éligible.", amount="150 000 F CFP")
    with transaction_scope(registry) as request:
        row = request.db.scalars(sa.select(TransitionTaken).order_by(TransitionTaken.id.desc())).first()
        application = request.db.scalar(sa.select(Application).where(Application.receipt == FIRST))
        assert (row.transition, row.amount, application.amount) == ("proposer", 150_000, 150_000)
    take(registry, people["paul"], "renvoyer", "Revoir le montant.")
    take(registry, people["lea"], "proposer", "Inéligible : activité exclue.", amount="0")  # an ineligible proposal
    assert state_of(registry) == "proposee"


def test_a_validation_past_the_envelope_is_refused_and_changes_nothing(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    set_envelope(registry, 400_000)
    assert validated(registry, people, FIRST, "300 000") == "validee"
    take(registry, people["lea"], "instruire", receipt=SECOND)
    take(registry, people["lea"], "proposer", "Éligible.", receipt=SECOND, amount="250000")
    with pytest.raises(Refused) as refused:
        take(registry, people["paul"], "valider", receipt=SECOND)
    assert refused.value.status == 409
    assert "L'enveloppe de 400\u202f000\u00a0F\u00a0CFP serait dépassée de 150\u202f000\u00a0F\u00a0CFP" in (
        refused.value.message
    )
    assert state_of(registry, SECOND) == "proposee"
    with transaction_scope(registry) as request:
        use = request.find_service(IEnvelopes).use(business(request))
        assert (use.envelope, use.proposed, use.validated, use.available) == (400_000, 250_000, 300_000, 100_000)
        with pytest.raises(Invalid) as below:  # the envelope never goes under what is validated
            request.find_service(IEnvelopes).set(business(request), 100_000)
        assert "au moins" in below.value.errors["montant"]
    set_envelope(registry, 600_000)
    assert take(registry, people["paul"], "valider", receipt=SECOND) == "validee"


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_two_validators_at_once_never_exceed_the_envelope(registry: Registry, people: dict[str, int]) -> None:
    set_envelope(registry, 400_000)
    for receipt, amount in ((FIRST, "300000"), (SECOND, "250000")):
        take(registry, people["lea"], "instruire", receipt=receipt)
        take(registry, people["lea"], "proposer", "Éligible.", receipt=receipt, amount=amount)
    outcomes: list[Any] = []
    barrier = threading.Barrier(2)

    def validator(who: int, receipt: str) -> None:
        barrier.wait()
        try:
            outcomes.append(take(registry, who, "valider", receipt=receipt))
        except Refused as error:
            outcomes.append(error.status)

    at_once((validator, people["paul"], FIRST), (validator, people["emma"], SECOND))
    assert sorted(outcomes, key=str) == [409, "validee"]
    with transaction_scope(registry) as request:
        assert request.find_service(IEnvelopes).use(business(request)).validated <= 400_000


def test_an_act_takes_validated_applications_is_signed_once_and_then_never_changes(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    validated(registry, people, FIRST, "300000")
    validated(registry, people, SECOND, "200000")
    with pytest.raises(Invalid) as refused:  # a file not validated does not go into an act
        create_act(registry, people["lea"], FIRST, THIRD)
    assert "AIDE-2020-000003" in refused.value.errors["demandes"]
    with pytest.raises(Refused) as by_hand:  # nor by the workflow's button
        take(registry, people["lea"], "inscrire_acte")
    assert by_hand.value.status == 409
    first = create_act(registry, people["lea"], FIRST, SECOND)
    assert (state_of(registry, FIRST), state_of(registry, SECOND)) == ("inscrite_acte", "inscrite_acte")
    with pytest.raises(Refused) as unsigned:  # the instructor is no signer
        on_act(registry, people["lea"], first, "sign")
    assert unsigned.value.status == 403
    withdrawn = on_act(registry, people["lea"], first, "withdraw")
    assert withdrawn.state == "retire" and state_of(registry, FIRST) == "validee"
    second = create_act(registry, people["lea"], FIRST)  # freed, it goes into another act
    signed = on_act(registry, people["sofia"], second, "sign")
    assert state_of(registry, FIRST) == "acte_signe" and state_of(registry, SECOND) == "validee"
    with transaction_scope(registry) as request:
        acts = list(request.db.scalars(sa.select(Act).order_by(Act.id)))
        assert [(a.reference[5:], a.state) for a in acts] == [("0001", "retire"), ("0002", "signe")]
        with request.find_service(IFileStorage).open(acts[1].pdf_key) as stored:
            data = stored.read()
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == signed.pdf_sha256
        assert request.find_service(IActs).pdf(acts[1]) == data  # the frozen bytes, not a new rendering
        entry = request.db.execute(sa.text("SELECT changes FROM audit_entry WHERE action = 'aids:act:sign'")).scalar()
        assert signed.pdf_sha256 in str(entry)
        actions = set(request.db.scalars(sa.text("SELECT action FROM audit_entry WHERE action LIKE 'aids:act:%'")))
        assert actions == {"aids:act:create", "aids:act:sign", "aids:act:withdraw"}
    assert any(mail["Subject"] == f"Votre aide est attribuée : {FIRST}" for mail in delivered_mail(registry))
    for action in ("sign", "withdraw"):
        with pytest.raises(Refused) as frozen:
            on_act(registry, people["sofia" if action == "sign" else "lea"], second, action)
        assert frozen.value.status == 409 and "ne change plus" in frozen.value.message
    with transaction_scope(registry) as request:
        acts_service = acting(request, people["lea"])
        original = request.db.get(Act, second)
        rectificatif = acts_service.rectify(original, acts_service.template(business(request)))
        assert (rectificatif.kind, rectificatif.number, rectificatif.refers_to_id) == ("rectificatif", 1, second)
        assert rectificatif.reference.endswith("-R0001")


def test_the_database_itself_keeps_an_application_in_one_act(registry: Registry, people: dict[str, int]) -> None:
    validated(registry, people, FIRST, "300000")
    act_id = create_act(registry, people["lea"], FIRST)
    with pytest.raises(sa.exc.IntegrityError), transaction_scope(registry) as request:
        request.db.add(ActLine(act_id=act_id, application_id=ids_of(registry, FIRST)[0], amount=1))
        request.db.flush()
    with transaction_scope(registry) as request:  # a withdrawn line no longer counts
        request.db.execute(sa.update(ActLine).values(active=False))
        request.db.add(ActLine(act_id=act_id, application_id=ids_of(registry, FIRST)[0], amount=1))
        request.db.flush()


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_two_acts_created_at_once_get_consecutive_numbers(registry: Registry, people: dict[str, int]) -> None:
    validated(registry, people, FIRST, "300000")
    with transaction_scope(registry) as request:  # a second instructor, a second validated file
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_id(people["hugo"]), "aids:instructor", accounts.directorate("DEFE-SAE"))
    validated(registry, people, SECOND, "200000")
    numbers: list[Any] = []
    barrier = threading.Barrier(2)

    def instructor(who: int, receipt: str) -> None:
        barrier.wait()
        act_id = create_act(registry, who, receipt)
        with transaction_scope(registry) as request:
            numbers.append(request.db.get(Act, act_id).number)

    at_once((instructor, people["lea"], FIRST), (instructor, people["hugo"], SECOND))
    assert sorted(numbers) == [1, 2]


def test_totals_are_written_in_words() -> None:
    assert in_words(500_000) == "cinq cent mille francs CFP"
    assert in_words(1) == "un franc CFP"


def test_levels_and_acts_work_together(registry: Registry, people: dict[str, int]) -> None:
    set_levels(registry, 2)
    take(registry, people["lea"], "instruire")
    take(registry, people["lea"], "proposer", "Éligible.", amount="100000")
    take(registry, people["paul"], "valider")
    assert state_of(registry) == "proposee"
    assert take(registry, people["emma"], "valider") == "validee"
    with transaction_scope(registry) as request:
        assert request.find_service(IWorkflows).available is not None
        assert request.find_service(IEnvelopes).use(business(request)).validated == 100_000


def test_an_act_takes_its_applications_transitions_in_one_statement_per_kind(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    """An act of 1,000 beneficiaries is created and signed in seconds only if its files are not written one by
    one (docs/performance.md): their transitions and history lines go in one INSERT each, whatever their number."""
    for receipt in (FIRST, SECOND, THIRD):
        validated(registry, people, receipt, "100000")
    with transaction_scope(registry) as request:
        engine = request.db.get_bind().engine
    inserts: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AIDS_"):
            inserts.append(statement.split()[2])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        act_id = create_act(registry, people["lea"], FIRST, SECOND, THIRD)
        created = list(inserts)
        inserts.clear()
        on_act(registry, people["sofia"], act_id, "sign")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    # One flush for the whole act: each table's rows together (one multi-row INSERT on PostgreSQL; SQLite's
    # driver sends them one after the other), rather than one file's transition and history line, then the next.
    tables = [table for table, _ in itertools.groupby(created)]
    assert len(tables) == len(set(tables)) and "aids_application_transition" in tables, " ".join(created)
    if is_postgresql():
        assert created.count("aids_application_transition") == created.count("aids_application_event") == 1
    # The signature stores each beneficiary's award letter as it takes the file's transition, which flushes that
    # file's rows: one letter, one transition, one history line per file (docs/performance.md says what it costs).
    assert inserts.count("aids_file") == inserts.count("aids_application_transition") == 3, " ".join(inserts)
    with transaction_scope(registry) as request:
        taken = list(request.db.scalars(sa.select(TransitionTaken.transition)))
        assert (taken.count("inscrire_acte"), taken.count("signer_acte")) == (3, 3)
    assert [state_of(registry, receipt) for receipt in (FIRST, SECOND, THIRD)] == ["acte_signe"] * 3
