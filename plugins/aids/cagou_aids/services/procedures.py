"""Procedures: created (blank, from a shipped model), their settings checked, published."""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import Session
from zope.interface import implementer

from cagou.kit import FormErrors, IAuditLog, IClock, Invalid, Refused, check_address, check_text
from cagou_aids.definition import DefinitionError, definition_data, parse_definition
from cagou_aids.interfaces import IProcedures, IWorkflows
from cagou_aids.models import (
    AUDIENCES,
    CLOSED,
    MAX_CATEGORY,
    MAX_HELP,
    MAX_SLUG,
    MAX_SUMMARY,
    MAX_TITLE,
    PUBLISHED,
    Application,
    ApplicationEvent,
    Draft,
    Procedure,
    ProcedureVersion,
    StoredFile,
)
from cagou_aids.services.annotations import erase_annotations
from cagou_aids.services.workflows import MODEL_WORKFLOWS
from cagou_aids.versions import breaking_changes

PREFIX = re.compile(r"^[A-Z]{2,12}$")
#: The parts of the personal-data notice, each required before publication, with its French name.
DATA_NOTICE_PARTS = {
    "legal_basis": "la base légale du traitement",
    "purpose": "sa finalité",
    "retention_months": "la durée de conservation (en mois)",
    "dpo_contact": "le contact du délégué à la protection des données",
}
#: The procedures shipped ready: a model for designers, and the demonstration's.
MODELS = {
    "repatriation": "Recensement des résidents de la province Sud bloqués à l'étranger",
    "business_aid": "Aide exceptionnelle aux entreprises — plan de soutien COVID-19",
}


@dataclass(frozen=True)
class ProcedureSettings:
    """What a designer sets beside the form (the page's fields, by the same names)."""

    title: str
    audience: str
    receipt_prefix: str
    summary: str = ""
    help_text: str = ""
    category: str = ""
    contact_email: str = ""
    opens_at: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None
    directorate_id: int | None = None
    data_notice: dict[str, Any] = field(default_factory=dict)


def shipped_definition(model: str) -> Any:
    text = resources.files("cagou_aids").joinpath("shipped", f"{model}.json").read_text(encoding="utf-8")
    return json.loads(text)


def slug_of(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.casefold()).strip("-")[: MAX_SLUG - 6] or "demarche"


def notice_problems(notice: dict[str, Any]) -> FormErrors:
    """The parts of the personal-data notice that are missing, each under ``data_notice.<part>``."""
    errors = FormErrors()
    for part, name in DATA_NOTICE_PARTS.items():
        value = notice.get(part)
        if part == "retention_months":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1200:
                errors.add(f"data_notice.{part}", f"Indiquez {name}, entre 1 et 1200.")
        elif not isinstance(value, str) or not value.strip():
            errors.add(f"data_notice.{part}", f"Indiquez {name} : la publication l'exige.")
    return errors


def changes_to_publish(procedure: Procedure) -> list[str]:
    """The changes of the latest version that would break the drafts started under the published one."""
    published = procedure.published
    if published is None or published is procedure.latest:
        return []
    return breaking_changes(parse_definition(published.definition), parse_definition(procedure.latest.definition))


def delete_tests(db: Session, procedure: Procedure) -> int:
    """Delete the applications sent while ``procedure`` was in test, with their history, files and drafts."""
    tests = sa.select(Application.id).where(Application.procedure_id == procedure.id, Application.is_test)
    ids = list(db.scalars(tests))
    if not ids:
        return 0
    drafts = sa.select(Draft.id).where(Draft.application_id.in_(ids))
    db.execute(sa.delete(ApplicationEvent).where(ApplicationEvent.application_id.in_(ids)))
    erase_annotations(db, ids)
    db.execute(sa.delete(StoredFile).where(sa.or_(StoredFile.application_id.in_(ids), StoredFile.draft_id.in_(drafts))))
    db.execute(sa.delete(Draft).where(Draft.application_id.in_(ids)))
    db.execute(sa.update(Application).where(Application.id.in_(ids)).values(duplicate_of_id=None))
    db.execute(sa.delete(Application).where(Application.id.in_(ids)))
    return len(ids)


def checked_settings(settings: ProcedureSettings) -> tuple[FormErrors, str, str]:
    """Each setting's French message, and the title and short description trimmed."""
    errors = FormErrors()
    title = check_text(errors, "title", settings.title, "Le titre", MAX_TITLE)
    summary = check_text(errors, "summary", settings.summary, "La description courte", MAX_SUMMARY, required=False)
    if len(settings.help_text) > MAX_HELP:
        errors.add("help_text", f"Le texte d'aide fait {MAX_HELP} caractères au plus.")
    if settings.audience not in AUDIENCES:
        errors.add("audience", "Choisissez qui peut déposer : particuliers, entreprises, ou les deux.")
    if not PREFIX.match(settings.receipt_prefix):
        errors.add("receipt_prefix", "Le préfixe des numéros : 2 à 12 lettres majuscules, par exemple RAP.")
    if len(settings.category) > MAX_CATEGORY:
        errors.add("category", f"La catégorie fait {MAX_CATEGORY} caractères au plus.")
    if settings.contact_email:
        try:
            check_address(settings.contact_email)
        except ValueError as error:
            errors.add("contact_email", str(error))
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        errors.add("closes_at", "La clôture vient après l'ouverture.")
    return errors, title, summary


@implementer(IProcedures)
class ProcedureService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def create(self, settings: ProcedureSettings, definition: Any) -> Procedure:
        request = self.request
        errors, title, summary = checked_settings(settings)
        try:
            parsed = parse_definition(definition)
        except DefinitionError as error:
            errors.add("definition", " ".join(error.problems))
        if errors:
            raise Invalid(errors)
        instant = request.find_service(IClock).now()
        procedure = Procedure(
            slug=self.free_slug(slug_of(title)), title=title, summary=summary, help_text=settings.help_text,
            audience=settings.audience, category=settings.category.strip(), receipt_prefix=settings.receipt_prefix,
            contact_email=settings.contact_email.strip(), opens_at=settings.opens_at, closes_at=settings.closes_at,
            directorate_id=settings.directorate_id, data_notice=dict(settings.data_notice), created_at=instant,
            updated_at=instant,
        )  # fmt: skip
        procedure.versions.append(ProcedureVersion(number=1, definition=definition_data(parsed), created_at=instant))
        request.db.add(procedure)
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:procedure:create", f"Démarche « {title} » créée en brouillon.", module="aids",
            object_type="aids_procedure", object_id=str(procedure.id),
            changes={"after": {"title": title, "audience": settings.audience, "prefix": settings.receipt_prefix}},
        )  # fmt: skip
        return procedure

    def create_from_model(self, model: str, settings: ProcedureSettings) -> Procedure:
        if model not in MODELS:
            raise Invalid(FormErrors(model=f"Modèle inconnu : « {model[:40]} »."))
        procedure = self.create(settings, shipped_definition(model))
        # A shipped procedure follows its shipped workflow (docs/aids.md, "Workflows").
        workflows = self.request.find_service(IWorkflows)
        workflows.attach(procedure, workflows.shipped(MODEL_WORKFLOWS[model]))
        return procedure

    def free_slug(self, base: str) -> str:
        taken = set(self.request.db.scalars(sa.select(Procedure.slug).where(Procedure.slug.startswith(base))))
        return next(candidate for n in range(1, len(taken) + 2)
                    if (candidate := base if n == 1 else f"{base}-{n}") not in taken)  # fmt: skip

    def publish(self, procedure: Procedure, confirmed: bool = False) -> Procedure:
        request = self.request
        errors = notice_problems(procedure.data_notice)
        if errors:
            raise Invalid(errors)
        if procedure.state == CLOSED:
            raise Refused("Une démarche fermée ne se publie plus : créez-en une copie pour la rouvrir.", 409)
        if procedure.latest.published_at is not None and procedure.state == PUBLISHED:
            raise Refused("Cette version est déjà publiée : modifiez le formulaire pour en préparer une nouvelle.", 409)
        changes = changes_to_publish(procedure)
        if changes and not confirmed:
            raise Invalid(FormErrors(confirm="Ces changements gênent les brouillons en cours : cochez pour confirmer."))
        instant = request.find_service(IClock).now()
        version = procedure.latest
        version.published_at = version.published_at or instant
        was_test = procedure.state != PUBLISHED
        procedure.state, procedure.updated_at = PUBLISHED, instant
        removed = delete_tests(request.db, procedure) if was_test else 0
        request.db.flush()
        tests = f" ; {removed} dépôt(s) de test supprimé(s)" if removed else ""
        request.find_service(IAuditLog).record(
            "aids:procedure:publish", f"Démarche « {procedure.title} » publiée (version {version.number}){tests}.",
            module="aids", object_type="aids_procedure", object_id=str(procedure.id),
            changes={"after": {"state": PUBLISHED, "version": version.number}},
        )  # fmt: skip
        return procedure
