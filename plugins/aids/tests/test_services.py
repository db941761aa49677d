"""Procedures created and published, applications submitted: receipts, replays, refusals, audit entries."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from cagou_aids.interfaces import IApplications, IDrafts, IProcedures
from cagou_aids.models import PUBLISHED, TEST, Application, Procedure
from cagou_aids.services.procedures import ProcedureSettings
from pyramid.registry import Registry
from pyramid.request import Request

from cagou.kit import COMPANY, IAccounts, Invalid, Refused, transaction_scope
from cagou.testing import delivered_mail, is_postgresql

NOTICE = {"legal_basis": "Mission d'intérêt public (RGPD, art. 6-1-e)", "purpose": "Organiser les retours",
          "retention_months": 24, "dpo_contact": "dpo@province-sud.nc"}  # fmt: skip
SETTINGS = ProcedureSettings(title="Recensement des résidents bloqués à l'étranger", audience="particuliers",
                             receipt_prefix="RAP", data_notice=NOTICE)  # fmt: skip
ANSWERS = {
    "nom": "Wamytan", "prenoms": "Marie", "date_naissance": "1985-07-03", "commune": "Nouméa", "pays": "AU",
    "ville": "Sydney", "depuis": "2020-02-10", "accompagne": False, "telephone": "+61412345678",
    "courriel": "marie@example.nc",
}  # fmt: skip


@pytest.fixture
def scope(registry: Registry) -> Iterator[Any]:
    def open_scope() -> Any:
        return transaction_scope(registry)

    yield open_scope


def published(registry: Registry, settings: ProcedureSettings = SETTINGS) -> int:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = procedures.create_from_model("repatriation", settings)
        procedures.publish(procedure)
        return procedure.id


def submit(registry: Registry, procedure_id: int, key: str, answers: dict[str, Any] = ANSWERS) -> str:
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_id)
        application = request.find_service(IApplications).submit(procedure, answers, key, "marie@example.nc")
        return application.receipt


def audit_actions(request: Request) -> list[str]:
    from cagou.audit.models import AuditEntry

    return list(
        request.db.scalars(sa.select(AuditEntry.action).where(AuditEntry.module == "aids").order_by(AuditEntry.id))
    )


def test_a_procedure_from_a_model_is_published_and_audited(registry: Registry) -> None:
    procedure_id = published(registry)
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_id)
        assert procedure.state == PUBLISHED and procedure.slug == "recensement-des-residents-bloques-a-l-etranger"
        assert procedure.published is procedure.latest and procedure.latest.number == 1
        assert audit_actions(request) == ["aids:procedure:create", "aids:workflow:import", "aids:procedure:workflow",
                                          "aids:procedure:publish"]  # fmt: skip
        assert procedure.workflow_version.workflow.code == "recensement_tri"


def test_publication_is_refused_while_the_data_notice_is_incomplete(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedures = request.find_service(IProcedures)
        procedure = procedures.create_from_model("repatriation", ProcedureSettings(
            title="Sans notice", audience="particuliers", receipt_prefix="RAP",
            data_notice={"legal_basis": "Intérêt public", "retention_months": 0}))  # fmt: skip
        with pytest.raises(Invalid) as refused:
            procedures.publish(procedure)
    assert dict(refused.value.errors) == {
        "data_notice.purpose": "Indiquez sa finalité : la publication l'exige.",
        "data_notice.retention_months": "Indiquez la durée de conservation (en mois), entre 1 et 1200.",
        "data_notice.dpo_contact": (
            "Indiquez le contact du délégué à la protection des données : la publication l'exige."
        ),
    }


def test_settings_and_definition_are_refused_together(registry: Registry) -> None:
    broken = {"pages": [{"title": "P", "fields": [{"name": "x", "type": "hologram", "label": "X"}]}]}
    with transaction_scope(registry) as request, pytest.raises(Invalid) as refused:
        request.find_service(IProcedures).create(
            ProcedureSettings(title="", audience="martiens", receipt_prefix="rap1", contact_email="pas-une-adresse"),
            broken,
        )
    assert set(refused.value.errors) == {"title", "audience", "receipt_prefix", "contact_email", "definition"}
    assert refused.value.errors["definition"] == "Page 1, champ 1 (« x ») : type de champ inconnu : « hologram »."
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Procedure)) == 0


def test_receipts_follow_each_other_and_a_replay_gives_the_first(registry: Registry) -> None:
    procedure_id = published(registry)
    year = datetime.datetime.now(datetime.UTC).year
    first, second = submit(registry, procedure_id, "clef-1"), submit(registry, procedure_id, "clef-2")
    assert (first, second) == (f"RAP-{year}-000001", f"RAP-{year}-000002")
    assert submit(registry, procedure_id, "clef-1") == first
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Application)) == 2
        assert audit_actions(request)[-2:] == ["aids:application:submit", "aids:application:submit"]


def test_the_applicant_gets_the_receipt_and_every_answer_by_mail(registry: Registry) -> None:
    procedure_id = published(registry)
    receipt = submit(registry, procedure_id, "clef")
    submit(registry, procedure_id, "clef")  # a replay sends nothing more
    [message] = delivered_mail(registry)
    assert message["To"] == "marie@example.nc" and message["Subject"] == f"Demande enregistrée : {receipt}"
    body = message.get_body(("plain",)).get_content()
    assert f"est enregistrée sous le numéro {receipt}" in body
    assert "- Pays où vous vous trouvez : Australie" in body and "- Téléphone où vous joindre : +61 412 345 678" in body


def test_a_refused_submission_sends_nothing(registry: Registry) -> None:
    procedure_id = published(registry)
    with pytest.raises(Invalid):
        submit(registry, procedure_id, "clef", {**ANSWERS, "telephone": "12"})
    assert delivered_mail(registry) == []


def test_hidden_and_unknown_answers_are_not_kept(registry: Registry) -> None:
    procedure_id = published(registry)
    household = [{"membre_nom": "Paul", "membre_age": 8, "membre_lien": "Enfant"}]
    submit(registry, procedure_id, "clef", {**ANSWERS, "foyer": household, "intrus": "x"})
    with transaction_scope(registry) as request:
        answers = request.db.scalars(sa.select(Application.answers)).one()
    assert "foyer" not in answers and "intrus" not in answers and answers["nom"] == "Wamytan"


def test_wrong_answers_are_refused_and_nothing_is_stored(registry: Registry) -> None:
    procedure_id = published(registry)
    with pytest.raises(Invalid) as refused:
        submit(registry, procedure_id, "clef", {**ANSWERS, "telephone": "12", "commune": "Koné"})
    assert set(refused.value.errors) == {"telephone", "commune"}
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


def test_a_closed_procedure_refuses_and_says_when_it_closed(registry: Registry) -> None:
    closed = datetime.datetime(2020, 4, 15, 2, 0, tzinfo=datetime.UTC)  # 13:00 in Nouméa
    procedure_id = published(registry, ProcedureSettings(**{**SETTINGS.__dict__, "closes_at": closed}))
    with pytest.raises(Refused) as refused:
        submit(registry, procedure_id, "clef")
    assert refused.value.status == 409
    assert refused.value.message == "Cette démarche est close depuis le 15/04/2020 à 13:00 : les dépôts sont fermés."


def test_test_submissions_are_deleted_when_the_procedure_is_published(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedure = request.find_service(IProcedures).create_from_model("repatriation", SETTINGS)
        procedure.state = TEST
        procedure_id = procedure.id
    submit(registry, procedure_id, "essai")
    with transaction_scope(registry) as request:
        assert request.db.scalars(sa.select(Application.is_test)).all() == [True]
        request.find_service(IProcedures).publish(request.db.get(Procedure, procedure_id))
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Application)) == 0
        assert "1 dépôt(s) de test supprimé(s)" in request.db.scalars(
            sa.text("SELECT summary FROM audit_entry WHERE action = 'aids:procedure:publish'")).one()  # fmt: skip


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_at_once_in_many_threads_receipts_are_unique_and_a_key_gives_one_application(registry: Registry) -> None:
    procedure_id = published(registry)
    receipts: list[str] = []
    errors: list[BaseException] = []

    def client(key: str) -> None:
        try:
            receipts.append(submit(registry, procedure_id, key))
        except BaseException as error:
            errors.append(error)

    keys = [f"clef-{n % 6}" for n in range(12)]  # six submissions, each sent twice at once
    threads = [threading.Thread(target=client, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction_scope(registry) as request:
        stored = request.db.execute(sa.select(Application.idempotency_key, Application.receipt)).all()
    assert len(stored) == 6 and len({receipt for _, receipt in stored}) == 6
    assert sorted(set(receipts)) == sorted(receipt for _, receipt in stored)


def test_a_company_s_draft_starts_with_its_ridet_name_and_address(registry: Registry) -> None:

    with transaction_scope(registry) as request:
        company = request.find_service(IAccounts).create(
            "boulangerie", "Boulangerie du Mont-Dore", COMPANY, email="contact@boulangerie.nc", ridet="0123456.001"
        )
        procedures = request.find_service(IProcedures)
        settings = ProcedureSettings(
            title="Aide aux entreprises", audience="entreprises", receipt_prefix="AIDE", data_notice=NOTICE
        )
        procedure = procedures.create_from_model("business_aid", settings)
        procedures.publish(procedure)
        draft = request.find_service(IDrafts).start(procedure, company)
        assert draft.typed == {
            "1": {"ridet": ["0123456.001"], "raison_sociale": ["Boulangerie du Mont-Dore"]},
            "3": {"courriel": ["contact@boulangerie.nc"]},
        }
        with pytest.raises(Refused) as refused:
            request.find_service(IDrafts).start(published_census(request), company)
        assert (refused.value.status, refused.value.message) == (403, "Cette démarche est réservée aux particuliers.")


def published_census(request: Request) -> Procedure:
    procedures = request.find_service(IProcedures)
    procedure = procedures.create_from_model("repatriation", SETTINGS)
    procedures.publish(procedure)
    return procedure


def test_the_same_person_applying_again_is_kept_flagged_and_told(registry: Registry) -> None:
    procedure_id = published(registry)
    first = submit(registry, procedure_id, "clef-1")
    again = submit(registry, procedure_id, "clef-2", {**ANSWERS, "nom": "WAMYTAN", "ville": "Melbourne"})
    other = submit(registry, procedure_id, "clef-3", {**ANSWERS, "prenoms": "Paul"})
    with transaction_scope(registry) as request:
        flagged = {a.receipt: a.duplicate_of.receipt if a.duplicate_of else None for a in request.db.scalars(
            sa.select(Application))}  # fmt: skip
    assert flagged == {first: None, again: first, other: None}
    mails = delivered_mail(registry)
    second, third = (mail.get_body(("plain",)).get_content() for mail in mails[1:3])
    assert "Vous avez déjà déposé une demande sur cette démarche le" in second
    assert f"numéro {first}" in second and "déjà déposé" not in third


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_the_same_person_at_once_from_many_threads_is_one_first_and_the_rest_flagged(registry: Registry) -> None:
    procedure_id = published(registry)
    errors: list[BaseException] = []

    def client(key: str) -> None:
        try:
            submit(registry, procedure_id, key)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client, args=(f"clef-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction_scope(registry) as request:
        rows = request.db.execute(sa.select(Application.id, Application.duplicate_of_id)).all()
    firsts = [row.id for row in rows if row.duplicate_of_id is None]
    assert len(rows) == 8 and len(firsts) == 1
    assert {row.duplicate_of_id for row in rows if row.duplicate_of_id is not None} == set(firsts)
