"""Workflows: the parser refuses a bad file whole; the service's transitions, each refusal, the four-eyes rule."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from cagou_aids.interfaces import IActs, IWorkflows
from cagou_aids.models import Act, Application, ApplicationEvent, Procedure, TransitionTaken
from cagou_aids.queries import application_by_receipt
from cagou_aids.services.workflows import shipped_workflow
from cagou_aids.workflow import WorkflowError, parse_workflow, workflow_data
from pyramid.registry import Registry
from pyramid.request import Request

from cagou.kit import AGENT, IAccounts, Invalid, Refused, act_as, transaction_scope
from cagou.testing import delivered_mail, is_postgresql

RECEIPT = "AIDE-2020-000001"
AGENTS = {"lea": ("aids:instructor", "DEFE-SAE"), "paul": ("aids:validator", "DEFE-SAE"),
          "emma": ("aids:validator", "DEFE-SAE"), "hugo": ("aids:instructor", "DEFE-SAE"),
          "kenji": ("aids:validator", "DSI"), "sofia": ("aids:signer", "DEFE-SAE")}  # fmt: skip


def test_the_shipped_workflows_read_back_as_they_are_stored() -> None:
    for code in ("aide_paiement", "recensement_tri"):
        parsed = parse_workflow(shipped_workflow(code))
        assert parse_workflow(json.loads(json.dumps(workflow_data(parsed)))) == parsed


def test_a_bad_file_is_refused_whole_with_each_problem_named() -> None:
    data = copy.deepcopy(shipped_workflow("aide_paiement"))
    data["states"][0]["code"] = "Déposée!"  # no state "deposee" any more
    data["states"].append({"code": "payee", "label": "Encore", "meaning": "Deux fois"})
    data["transitions"][0]["role"] = "aids:root"
    data["transitions"][1]["to"] = "nulle_part"
    data["transitions"][2]["requires"] = [{"kind": "signature"}]
    data["transitions"][3]["mail"] = {"subject": "{numero.__class__}", "body": "Bonjour {nom}"}
    data["transitions"][4]["from"] = ["refusee"]
    data["transitions"][5]["couleur"] = "rouge"
    with pytest.raises(WorkflowError) as refused:
        parse_workflow(data)
    problems = "\n".join(refused.value.problems)
    for expected in ("État 1 : le code doit faire 1 à 16 caractères", "L'état « payee » est déclaré deux fois",
                     "il lui faut l'état « deposee »", "le rôle « aids:root » n'existe pas",
                     "l'état d'arrivée « nulle_part » n'existe pas", "« kind » inconnu",
                     "« {numero.__class__} » n'est pas connu", "« {nom} » n'est pas connu",
                     "l'état « refusee » est final", "clé inconnue « couleur »"):  # fmt: skip
        assert expected in problems
    for hostile in (None, [], "texte", {"states": "x"}, {"code": "a", "title": "b", "states": [None]}):
        with pytest.raises(WorkflowError):
            parse_workflow(hostile)


def agents(registry: Registry) -> dict[str, int]:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        found = {}
        for login, (role, code) in AGENTS.items():
            account = accounts.create(login, login.title(), AGENT, password="lagon-vanille-tricot-2026")
            accounts.grant(account, role, accounts.directorate(code))
            found[login] = account.id
        return found


@pytest.fixture
def people(registry: Registry, demonstration: None) -> dict[str, int]:
    return agents(registry)


def business(request: Request) -> Procedure:
    procedure = request.db.scalar(sa.select(Procedure).where(Procedure.receipt_prefix == "AIDE"))
    assert procedure is not None
    return procedure


def take(registry: Registry, who: int, code: str, motivation: str = "", seen: str | None = None,
         receipt: str = RECEIPT, amount: str = "300 000") -> str:  # fmt: skip
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_id(who))
        application = application_by_receipt(request.db, business(request), receipt)
        inputs = {"motivation": motivation, "montant": amount}
        return request.find_service(IWorkflows).take(application, code, inputs, seen)


def state_of(registry: Registry, receipt: str = RECEIPT) -> str:
    with transaction_scope(registry) as request:
        return str(request.db.scalar(sa.select(Application.state).where(Application.receipt == receipt)))


def set_levels(registry: Registry, levels: int) -> None:
    with transaction_scope(registry) as request:
        procedure = business(request)
        request.find_service(IWorkflows).attach(procedure, procedure.workflow_version, levels)


def proposed(registry: Registry, people: dict[str, int]) -> None:
    take(registry, people["lea"], "instruire")
    take(registry, people["lea"], "proposer", "Éligible : 300 000 F CFP (perte de 60 %).")


def test_an_application_goes_from_submitted_to_paid_with_two_levels(registry: Registry, people: dict[str, int]) -> None:
    set_levels(registry, 2)
    proposed(registry, people)
    assert take(registry, people["paul"], "valider") == "proposee"  # level 1 of 2: it waits for the second
    assert take(registry, people["emma"], "valider") == "validee"
    with transaction_scope(registry) as request:  # an act takes it, its signature moves it on
        act_as(request, request.find_service(IAccounts).by_id(people["lea"]))
        procedure, acts = business(request), request.find_service(IActs)
        act_id = acts.create(procedure, [application_by_receipt(request.db, procedure, RECEIPT).id],
                             acts.template(procedure)).id  # fmt: skip
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_id(people["sofia"]))
        request.find_service(IActs).sign(request.db.get(Act, act_id))
    for code in ("mettre_paiement", "payer"):
        take(registry, people["lea"], code)
    assert state_of(registry) == "payee"
    with transaction_scope(registry) as request:
        events = request.db.execute(
            sa.select(ApplicationEvent.text, ApplicationEvent.public)
            .join(Application)
            .where(Application.receipt == RECEIPT)
            .order_by(ApplicationEvent.id)
        ).all()
        entries = request.db.scalars(sa.text("SELECT summary FROM audit_entry WHERE action = "
                                             "'aids:application:transition' ORDER BY id")).all()  # fmt: skip
    assert ("Proposition : Éligible : 300 000 F CFP (perte de 60 %).", False) in events
    assert any("niveau 1 sur 2" in text for text, _ in events)
    assert len(entries) == 8 and "« Constater le paiement »" in entries[-1]
    subjects = [mail["Subject"] for mail in delivered_mail(registry)]
    assert f"Votre demande {RECEIPT} est validée" in subjects and f"Votre aide est payée : {RECEIPT}" in subjects
    assert subjects.count(f"Votre demande {RECEIPT} est validée") == 1  # not at the first level


def refused(registry: Registry, who: int, code: str, motivation: str = "", seen: str | None = None) -> Refused:
    with pytest.raises(Refused) as caught:
        take(registry, who, code, motivation, seen)
    return caught.value


def test_each_refusal_says_why_and_changes_nothing(registry: Registry, people: dict[str, int]) -> None:
    set_levels(registry, 2)
    assert refused(registry, people["paul"], "instruire").status == 403  # a validator, not an instructor
    assert refused(registry, people["kenji"], "valider").status == 403  # a validator of another directorate
    assert refused(registry, people["lea"], "proposer", "trop tôt").status == 409  # wrong state: not instructed
    assert refused(registry, people["lea"], "inconnue").status == 404
    take(registry, people["lea"], "instruire")
    with pytest.raises(Invalid) as invalid:
        take(registry, people["lea"], "refuser", "   ")
    assert "motivation" in invalid.value.errors
    proposed_by_hugo = take(registry, people["hugo"], "proposer", "Éligible.")
    assert proposed_by_hugo == "proposee"
    take(registry, people["paul"], "valider")
    again = refused(registry, people["paul"], "valider")
    assert again.status == 403 and "déjà validé" in again.message
    assert refused(registry, people["lea"], "instruire", seen="en_instruction").status == 409  # a stale page
    assert state_of(registry) == "proposee"
    with transaction_scope(registry) as request:
        taken = request.db.scalars(sa.select(TransitionTaken.transition).order_by(TransitionTaken.id)).all()
    assert taken == ["instruire", "proposer", "valider"]


def test_a_validator_who_also_instructs_may_not_validate_their_proposal(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_id(people["paul"]), "aids:instructor", accounts.directorate("DEFE-SAE"))
    take(registry, people["paul"], "instruire")
    take(registry, people["paul"], "proposer", "Éligible.")
    own = refused(registry, people["paul"], "valider")
    assert own.status == 403 and "quatre yeux" in own.message
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_id(people["paul"]))
        application = application_by_receipt(request.db, business(request), RECEIPT)
        offered = dict((t.code, why) for t, why in request.find_service(IWorkflows).available(application))
    assert "quatre yeux" in str(offered["valider"]) and offered["renvoyer"] is None
    # Sent back to instruction, explained, and proposed again by another: the round is new, Paul validates it.
    take(registry, people["emma"], "renvoyer", "Le montant dépasse le plafond du plan.")
    take(registry, people["lea"], "proposer", "Éligible : 200 000 F CFP.")
    assert take(registry, people["paul"], "valider") == "validee"


def test_attaching_a_workflow_checks_its_levels_and_the_states_in_use(
    registry: Registry, people: dict[str, int]
) -> None:
    with transaction_scope(registry) as request:
        procedure = business(request)
        workflows = request.find_service(IWorkflows)
        with pytest.raises(Invalid) as levels:
            workflows.attach(procedure, procedure.workflow_version, 4)
        assert "niveaux" in levels.value.errors
    take(registry, people["lea"], "instruire")
    with transaction_scope(registry) as request:
        procedure = business(request)
        workflows = request.find_service(IWorkflows)
        with pytest.raises(Invalid) as states:
            workflows.attach(procedure, workflows.shipped("recensement_tri"), 1)  # it has no "en_instruction"
        assert "en_instruction" in states.value.errors["circuit"]


def test_importing_the_same_workflow_twice_changes_nothing_and_a_change_is_a_new_version(registry: Registry) -> None:
    data = shipped_workflow("recensement_tri")
    with transaction_scope(registry) as request:
        workflows = request.find_service(IWorkflows)
        first = workflows.install(data)
        assert workflows.install(data).id == first.id
        changed = copy.deepcopy(data)
        changed["states"][0]["label"] = "Reçue"
        second = workflows.install(changed)
        assert (first.number, second.number) == (1, 2) and second.workflow_id == first.workflow_id


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_two_instructors_at_once_one_wins_the_other_gets_a_409(registry: Registry, people: dict[str, int]) -> None:
    take(registry, people["lea"], "instruire")
    outcomes: list[Any] = []
    barrier = threading.Barrier(2)

    def instructor(who: int, code: str) -> None:
        barrier.wait()
        try:
            outcomes.append(take(registry, who, code, "Motivé.", seen="en_instruction"))
        except Refused as error:
            outcomes.append(error.status)

    threads = [threading.Thread(target=instructor, args=(people["lea"], "refuser")),
               threading.Thread(target=instructor, args=(people["hugo"], "proposer"))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == sorted([409, state_of(registry)], key=str)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(TransitionTaken)) == 2


def test_documents_are_requested_from_the_states_the_workflow_allows(
    registry: Registry, people: dict[str, int]
) -> None:
    from cagou_aids.interfaces import IDocumentRequests

    take(registry, people["lea"], "instruire")
    with transaction_scope(registry) as request:
        lea = request.find_service(IAccounts).by_id(people["lea"])
        application = application_by_receipt(request.db, business(request), RECEIPT)
        asked = request.find_service(IDocumentRequests).ask(application, ["iban"], "Votre RIB, s'il vous plaît.", lea)
        assert (asked.from_state, application.state) == ("en_instruction", "complement")
    take(registry, people["lea"], "complement_recu")
    take(registry, people["lea"], "proposer", "Éligible.")
    with transaction_scope(registry) as request:
        lea = request.find_service(IAccounts).by_id(people["lea"])
        application = application_by_receipt(request.db, business(request), RECEIPT)
        with pytest.raises(Refused) as refused:
            request.find_service(IDocumentRequests).ask(application, ["iban"], "Encore ?", lea)
        assert refused.value.status == 409
