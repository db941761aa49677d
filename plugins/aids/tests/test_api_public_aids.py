"""The public extension's API: the open procedures for anyone; a resident's or a company's program submits with
an idempotency key, its files in base64, and follows its applications."""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, StoredFile
from conftest import CITIZEN_LOGIN, CITIZEN_PASSWORD
from pyramid.registry import Registry
from test_services import ANSWERS

from cagou.kit import COMPANY, PUBLIC, IAccounts, transaction_scope
from cagou.testing import delivered_mail, is_postgresql, login
from cagou.testing_checks import PDF_SAMPLE, PROGRAM_SAMPLE

API = "/api/v1"
CENSUS = "recensement-des-residents-de-la-province-sud-bloques-a-l-etranger"
BUSINESS = "aide-exceptionnelle-aux-entreprises-plan-de-soutien-covid-19"
COMPANY_PASSWORD = "corail-banian-niaouli-2026"
BUSINESS_ANSWERS = {
    "ridet": "0123456.001", "raison_sociale": "Boulangerie du Mont-Dore", "forme_juridique": "SARL",
    "secteur": "Commerce", "commune": "Le Mont-Dore", "salaries": 4, "ca_annee_precedente": 12_000_000,
    "ca_annee": 4_000_000, "montant_demande": 300_000, "iban": "FR7630006000011234567890189",
    "telephone": "+687251234", "courriel": "contact@boulangerie.nc",
}  # fmt: skip


def public_token(app: webtest.TestApp, login_name: str, password: str) -> str:
    """A token made on "Mon compte" → "Mes jetons d'API", as a person would, every offered permission ticked."""
    login(app, login_name, password, site=PUBLIC)
    form = app.get("/mon-compte").click("Mes jetons d'API").forms["formulaire-jeton"]
    form["name"] = "logiciel de gestion"
    for checkbox in form.fields["scopes"]:
        checkbox.checked = True
    token: str = form.submit().html.find(id="nouveau-jeton").text
    app.reset()
    return token


@pytest.fixture
def token(app: webtest.TestApp, demonstration: None, citizen: Any) -> str:
    return public_token(app, CITIZEN_LOGIN, CITIZEN_PASSWORD)


@pytest.fixture
def company_token(app: webtest.TestApp, demonstration: None, registry: Registry) -> str:
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create("boulangerie", "Boulangerie du Mont-Dore", COMPANY,
                                               email="contact@boulangerie.nc", password=COMPANY_PASSWORD,
                                               ridet="0123456.001")  # fmt: skip
    return public_token(app, "boulangerie", COMPANY_PASSWORD)


def send(app: webtest.TestApp, token: str, slug: str, body: Any, key: str | None = None, status: int = 201) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return app.post_json(f"{API}/demarches/{slug}/demandes", body, headers=headers, status=status)


def stored(registry: Registry) -> list[Application]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(Application).where(Application.idempotency_key.like("api-%"))))


def test_anyone_reads_the_open_procedures_and_their_forms(app: webtest.TestApp, demonstration: None) -> None:
    procedures = {item["slug"]: item for item in app.get(f"{API}/demarches").json}
    assert set(procedures) == {CENSUS, BUSINESS} and procedures[BUSINESS]["audience"] == "entreprises"
    schema = app.get(f"{API}/demarches/{CENSUS}/schema").json
    assert schema["properties"]["date_naissance"]["format"] == "date" and "nom" in schema["required"]
    assert app.get(f"{API}/demarches/inconnue/schema", status=404).json["error"].startswith("Cette démarche")


def test_each_site_s_document_lists_its_own_operations(app: webtest.TestApp) -> None:
    public = app.get("/api/openapi.json").json
    intranet = app.get("/intranet/api/openapi.json").json
    assert "/api/v1/demarches/{slug}/demandes" in public["paths"] and "/api/v1/moi" in public["paths"]
    assert not any(path.startswith("/intranet/") for path in public["paths"])
    assert not any(path.startswith("/api/") for path in intranet["paths"])
    catalogue = public["paths"]["/api/v1/demarches"]["get"]
    assert catalogue["security"] == [] and "401" not in catalogue["responses"]
    submission = public["paths"]["/api/v1/demarches/{slug}/demandes"]["post"]
    assert submission["x-permission"] == "aids:apply" and {"409", "429"} <= set(submission["responses"])


def test_a_resident_s_program_submits_once_whatever_the_retries(
    app: webtest.TestApp, token: str, registry: Registry
) -> None:
    key = f"api-{uuid.uuid4()}"
    first = send(app, token, CENSUS, {"answers": ANSWERS}, key)
    assert first.json["receipt"].startswith("RAP-") and first.json["state"] == "deposee"
    assert "Idempotent-Replayed" not in first.headers
    again = send(app, token, CENSUS, {"answers": ANSWERS}, key)
    assert again.json["receipt"] == first.json["receipt"] and again.headers["Idempotent-Replayed"] == "true"
    assert len(stored(registry)) == 1
    assert first.json["receipt"] in delivered_mail(registry)[-1]["Subject"]
    followed = app.get(f"{API}/demandes/{first.json['receipt']}", headers={"Authorization": f"Bearer {token}"}).json
    assert followed["history"][0]["text"].startswith("Demande déposée") and followed["procedure"] == CENSUS
    listed = app.get(f"{API}/demandes", headers={"Authorization": f"Bearer {token}"}).json
    assert [item["receipt"] for item in listed] == [first.json["receipt"]]


def test_refusals_name_the_field_and_store_nothing(app: webtest.TestApp, token: str, registry: Registry) -> None:
    assert "Idempotency-Key" in send(app, token, CENSUS, {"answers": ANSWERS}, status=400).json["errors"]
    wrong = send(app, token, CENSUS, {"answers": {**ANSWERS, "telephone": "12"}}, "api-1", status=400).json
    assert set(wrong["errors"]) == {"telephone"}
    unknown = send(app, token, CENSUS, {"answers": {**ANSWERS, "intrus": "x"}}, "api-2", status=400).json
    assert unknown["errors"] == {"intrus": "« intrus » n'est pas un champ de ce formulaire."}
    assert send(app, token, CENSUS, ["pas un objet"], "api-3", status=400).json["error"].startswith("Envoyez un objet")
    refused = send(app, token, BUSINESS, {"answers": BUSINESS_ANSWERS}, "api-4", status=403).json
    assert refused["error"] == "Cette démarche est réservée aux entreprises (ridet)."
    assert stored(registry) == []
    app.get(f"{API}/demandes/RAP-2020-000001", headers={"Authorization": f"Bearer {token}"}, status=404)
    send(app, "cagou_inconnu", CENSUS, {"answers": ANSWERS}, "api-5", status=401)


def file_of(field: str, name: str, data: bytes) -> dict[str, str]:
    return {"field": field, "filename": name, "content": base64.b64encode(data).decode()}


def test_a_company_s_program_sends_its_files_in_base64(
    app: webtest.TestApp, company_token: str, registry: Registry
) -> None:
    files = [file_of(name, f"{name}.pdf", PDF_SAMPLE) for name in ("rib", "attestation_cafat", "attestation_fiscale")]
    renamed = [file_of("rib", "rib.pdf", PROGRAM_SAMPLE), *files[1:]]
    refused = send(app, company_token, BUSINESS, {"answers": BUSINESS_ANSWERS, "files": renamed}, "api-b1", 400)
    assert set(refused.json["errors"]) == {"rib"} and stored(registry) == []
    sent = send(app, company_token, BUSINESS, {"answers": BUSINESS_ANSWERS, "files": files}, "api-b2").json
    assert sent["receipt"].startswith("AIDE-")
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application).where(Application.receipt == sent["receipt"])).one()
        kept = request.db.scalars(sa.select(StoredFile).where(StoredFile.application_id == application.id)).all()
        assert application.answers["rib"] == [hashlib.sha256(PDF_SAMPLE).hexdigest()]
        assert sorted(file.field for file in kept) == ["attestation_cafat", "attestation_fiscale", "rib"]


def test_the_intranet_s_api_stays_closed_to_a_public_token(app: webtest.TestApp, token: str) -> None:
    denied = app.get("/intranet/api/v1/moi", headers={"Authorization": f"Bearer {token}"}, status=403)
    assert denied.json["error"] == "L'API de l'intranet est réservée aux agents."
    assert app.get(f"{API}/moi", headers={"Authorization": f"Bearer {token}"}).json["kind"] == "citizen"


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_the_same_submission_from_two_clients_at_once_gives_one_application(
    app: webtest.TestApp, company_token: str, registry: Registry
) -> None:
    files = [file_of(name, f"{name}.pdf", PDF_SAMPLE) for name in ("rib", "attestation_cafat", "attestation_fiscale")]
    body = {"answers": BUSINESS_ANSWERS, "files": files}
    answers: list[webtest.TestResponse] = []
    barrier = threading.Barrier(4)

    def client() -> None:
        program = webtest.TestApp(app.app)  # a client of its own, as a second process would be
        barrier.wait()
        answers.append(send(program, company_token, BUSINESS, body, "api-deux-clients"))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4 and len({answer.json["receipt"] for answer in answers}) == 1
    assert len(stored(registry)) == 1


def test_a_program_is_limited_to_five_submissions_an_hour_per_address_replays_and_refusals_not_counted(
    app: webtest.TestApp, token: str, registry: Registry, clock: Any
) -> None:
    send(app, token, CENSUS, {"answers": {**ANSWERS, "telephone": "12"}}, "api-refused", status=400)
    for number in range(5):  # aids.submissions.email: five an hour
        send(app, token, CENSUS, {"answers": ANSWERS}, f"api-{number}")
    assert send(app, token, CENSUS, {"answers": ANSWERS}, "api-0").headers["Idempotent-Replayed"] == "true"
    limited = send(app, token, CENSUS, {"answers": ANSWERS}, "api-5", status=429).json
    assert limited["error"].startswith("Trop de tentatives depuis votre connexion : réessayez dans")
    assert len(stored(registry)) == 5
    clock.advance(hours=1)
    send(app, token, CENSUS, {"answers": ANSWERS}, "api-5")
    assert len(stored(registry)) == 6
