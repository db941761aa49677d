"""The aids module's demonstration: the two shipped procedures, open, and their 2020 applications.

The repatriation census (Secrétariat général) and the business aid
(Service des aides aux entreprises) are published and open, so that a
visitor can apply with the demonstration's ``citoyen`` or ``entreprise``;
behind them, the applications of the 2020 lockdown weeks (21 March to
31 May): a few hundred registrations and a few thousand business
applications, or the full 2020 scale (5,278 business applications) with the
setting ``aids.demo_scale = full``. The demonstration's ``agent`` designs
and instructs both. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime
import os
import random
import secrets
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import IAccounts, IAuditLog, environment_name
from cagou_aids.answers import COMMUNES
from cagou_aids.demo_assignment import demo_groups
from cagou_aids.instruction_demo import define_instruction_rules
from cagou_aids.interfaces import IEnvelopes, IProcedures
from cagou_aids.models import Application, Procedure, ReceiptCounter
from cagou_aids.services.applications import identity_of
from cagou_aids.services.procedures import ProcedureSettings

DEMO_AGENT = "agent"
#: The business aid's budget envelope (2020: 906 million F CFP granted in all).
BUSINESS_ENVELOPE = 1_000_000_000
SCALES = {"demo": (300, 2400), "full": (640, 5278)}
LOCKDOWN = (
    datetime.datetime(2020, 3, 21, 9, tzinfo=datetime.UTC),
    datetime.datetime(2020, 5, 31, 9, tzinfo=datetime.UTC),
)
NOTICE = {
    "legal_basis": "Mission d'intérêt public (règlement général sur la protection des données, article 6-1-e)",
    "purpose": "Instruire les demandes et en assurer le suivi",
    "retention_months": 60,
    "dpo_contact": "dpo@province-sud.example.nc",
}
PROCEDURES = (
    ("repatriation", "SG", ProcedureSettings(
        title="Recensement des résidents de la province Sud bloqués à l'étranger", audience="particuliers",
        receipt_prefix="RAP", category="Solidarité",
        summary="Vous résidez en province Sud et la suspension des vols vous retient à l'étranger : faites-vous "
                "connaître pour organiser votre retour.",
        help_text="Le recensement permet à la cellule de rapatriement d'organiser les retours **par priorité** "
                  "(besoin médical, grossesse, jeunes enfants…).\n\nPréparez votre passeport et votre billet retour.",
        contact_email="rapatriement@province-sud.example.nc", data_notice=NOTICE,
    )),
    ("business_aid", "DEFE-SAE", ProcedureSettings(
        title="Aide exceptionnelle aux entreprises — plan de soutien COVID-19", audience="entreprises",
        receipt_prefix="AIDE", category="Entreprises",
        summary="Une aide jusqu'à 500 000 F CFP pour les entreprises dont le chiffre d'affaires a baissé.",
        help_text="Préparez votre **RIDET**, votre relevé d'identité bancaire et vos attestations CAFAT et fiscale.",
        contact_email="aides.entreprises@province-sud.example.nc", data_notice=NOTICE,
    )),
)  # fmt: skip
FIRST_NAMES = ("Marie", "Jean", "Léa", "Paul", "Emma", "Hugo", "Chloé", "Noah", "Maïa", "Tehani", "Kenji", "Soane")
LAST_NAMES = ("Wamytan", "Martin", "Nguyen", "Tjibaou", "Dubois", "Kasarhérou", "Wahetra", "Lefèvre", "Takamatsu")
COUNTRIES = ("AU", "NZ", "FR", "VU", "FJ", "PF", "JP", "US", "ID", "TH")
CITIES = {"AU": "Sydney", "NZ": "Auckland", "FR": "Paris", "VU": "Port-Vila", "FJ": "Suva", "PF": "Papeete",
          "JP": "Tokyo", "US": "Los Angeles", "ID": "Bali", "TH": "Bangkok"}  # fmt: skip
SECTORS = ("Commerce", "Hôtellerie et restauration", "Tourisme", "Transport", "Services aux particuliers")
BUSINESS_WORDS = ("Boulangerie", "Garage", "Snack", "Boutique", "Atelier", "Transports", "Hôtel", "Salon")


def scale(request: Request) -> tuple[int, int]:
    setting = "aids.demo_scale"
    value = os.environ.get(environment_name(setting), str(request.registry.settings.get(setting, "demo")))
    return SCALES.get(value, SCALES["demo"])


def load_demo(request: Request) -> None:
    if request.db.scalar(sa.select(Procedure.id).where(Procedure.receipt_prefix.in_(("RAP", "AIDE")))) is not None:
        return
    accounts = request.find_service(IAccounts)
    procedures = request.find_service(IProcedures)
    agent = accounts.by_login(DEMO_AGENT)
    registrations, businesses = scale(request)
    for (model, directorate_code, settings), count in zip(PROCEDURES, (registrations, businesses), strict=True):
        directorate = accounts.directorate(directorate_code)
        settings = ProcedureSettings(**{**settings.__dict__, "directorate_id": directorate.id if directorate else None})
        procedure = procedures.create_from_model(model, settings)
        procedures.publish(procedure)
        define_instruction_rules(request, procedure, model)
        if agent is not None:
            # Designer, instructor, validator and signer: the visitor tries every page (the four-eyes rule still asks
            # another agent to validate the agent's own proposals).
            for role in ("aids:designer", "aids:instructor", "aids:validator", "aids:signer"):
                accounts.grant(agent, role, directorate)
        if model == "business_aid":
            request.find_service(IEnvelopes).set(procedure, BUSINESS_ENVELOPE)
        insert_applications(request, procedure, list(generated(model, count)))
        if model == "business_aid":
            demo_groups(request, procedure, agent)  # by commune, a few files on the agent's desk


def generated(model: str, count: int) -> Iterator[dict[str, Any]]:
    chance = random.Random(f"{model}-2020")  # noqa: S311  (demonstration data, not a secret)
    start, end = LOCKDOWN
    for number in range(count):
        # Most applications come in the first days after each announcement.
        moment = start + (end - start) * chance.betavariate(1.2, 4.0)
        first, last = chance.choice(FIRST_NAMES), chance.choice(LAST_NAMES)
        answers = (
            registration(chance, first, last) if model == "repatriation" else business(chance, first, last, number)
        )
        yield {"submitted_at": moment, "answers": answers, "email": f"{first}.{last}.{number}@example.nc".lower()}


def registration(chance: random.Random, first: str, last: str) -> dict[str, Any]:
    country = chance.choice(COUNTRIES)
    travelling = chance.random() < 0.4
    born = f"{chance.randint(1940, 2004)}-0{chance.randint(1, 9)}-1{chance.randint(0, 9)}"
    criteria = ["Besoin médical", "Grossesse", "Enfants en bas âge", "Étudiant en difficulté financière"]
    answers: dict[str, Any] = {
        "nom": last, "prenoms": first, "date_naissance": born,
        "commune": chance.choice(COMMUNES), "pays": country, "ville": CITIES[country],
        "depuis": f"2020-0{chance.randint(1, 3)}-0{chance.randint(1, 9)}", "retour_prevu": None,
        "accompagne": travelling, "criteres": chance.sample(criteria, chance.randint(0, 2)) or None,
        "situation": None, "telephone": "+61412345678" if country == "AU" else "+687251234",
        "courriel": f"{first}.{last}@example.nc".lower(),
    }  # fmt: skip
    if travelling:
        answers["foyer"] = [{"membre_nom": f"{chance.choice(FIRST_NAMES)} {last}", "membre_age": chance.randint(1, 70),
                             "membre_lien": chance.choice(["Conjoint ou conjointe", "Enfant", "Parent"])}]  # fmt: skip
    return answers


def business(chance: random.Random, first: str, last: str, number: int) -> dict[str, Any]:
    before = chance.randrange(1_000_000, 40_000_000, 1000)
    return {
        "ridet": f"{1_000_000 + number:07d}.001", "raison_sociale": f"{chance.choice(BUSINESS_WORDS)} {last}",
        "forme_juridique": chance.choice(["Entreprise individuelle", "SARL", "SAS", "EURL"]),
        "secteur": chance.choice(SECTORS),
        "commune": chance.choice(COMMUNES), "salaries": chance.randint(0, 40), "ca_annee_precedente": before,
        "ca_annee": int(before * chance.uniform(0.1, 0.9)) // 1000 * 1000,
        "montant_demande": chance.randrange(50_000, 500_001, 10_000), "iban": "FR7630006000011234567890189",
        "telephone": f"+6872{chance.randint(10000, 99999)}", "courriel": f"{first}.{last}@example.nc".lower(),
    }  # fmt: skip


def insert_applications(request: Request, procedure: Procedure, rows: list[dict[str, Any]]) -> None:
    """The applications in one INSERT, numbered in submission order, the counter left after the last."""
    version = procedure.published
    assert version is not None
    definition = version.parsed
    rows.sort(key=lambda row: row["submitted_at"])
    values = [
        {"procedure_id": procedure.id, "version_id": version.id, "receipt": f"{procedure.receipt_prefix}-2020-{n:06d}",
         "state": "deposee", "answers": row["answers"], "applicant_id": None, "email": row["email"],
         "idempotency_key": secrets.token_urlsafe(24), "is_test": False, "submitted_at": row["submitted_at"],
         "identity": identity_of(definition, row["answers"])}
        for n, row in enumerate(rows, start=1)
    ]  # fmt: skip
    if values:
        request.db.execute(sa.insert(Application), values)
        request.db.add(ReceiptCounter(prefix=procedure.receipt_prefix, year=2020, last=len(values)))
        request.db.flush()
    request.find_service(IAuditLog).record(
        "aids:demo:load", f"Démonstration : {len(values)} demandes de 2020 chargées sur « {procedure.title} ».",
        module="aids", object_type="aids_procedure", object_id=str(procedure.id),
    )  # fmt: skip
