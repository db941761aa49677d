"""Drafts: an applicant's answers page after page, kept as typed, until they are submitted."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import Session
from zope.interface import implementer

from cagou.kit import (
    CITIZEN,
    COMPANY,
    Account,
    FormErrors,
    IClock,
    IFileStorage,
    IMailer,
    Invalid,
    Refused,
    Upload,
    check_address,
    check_upload,
)  # fmt: skip
from cagou_aids.definition import FILE, FILE_TYPES, Definition, FieldSpec
from cagou_aids.interfaces import IApplications, IDrafts
from cagou_aids.models import (
    AUDIENCES,
    BOTH,
    COMPANIES,
    INDIVIDUALS,
    PUBLISHED,
    QUARANTINED,
    Application,
    Draft,
    Procedure,
    StoredFile,
)  # fmt: skip
from cagou_aids.scanning import first_state, scan_refusal
from cagou_aids.services.applications import check_open

#: What the files of one application may weigh together.
MAX_APPLICATION_BYTES = 50 * 1024 * 1024
#: The public each audience admits, by account kind (a person's account, a company's).
ADMITTED = {INDIVIDUALS: (CITIZEN,), COMPANIES: (COMPANY,), BOTH: (CITIZEN, COMPANY)}


@implementer(IDrafts)
class DraftService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def start(self, procedure: Procedure, applicant: Account, idempotency_key: str = "") -> Draft:
        request = self.request
        instant = request.find_service(IClock).now()
        check_open(request, procedure, instant)
        if applicant.kind not in ADMITTED[procedure.audience]:
            raise Refused(f"Cette démarche est réservée aux {AUDIENCES[procedure.audience].lower()}.", 403)
        version = procedure.published if procedure.state == PUBLISHED else procedure.latest
        assert version is not None
        draft = Draft(
            token=secrets.token_urlsafe(32), procedure=procedure, version=version, applicant_id=applicant.id,
            email=applicant.email or "", answers={}, typed=prefilled(version.parsed, applicant),
            idempotency_key=idempotency_key or secrets.token_urlsafe(32), created_at=instant, updated_at=instant,
        )  # fmt: skip
        request.db.add(draft)
        request.db.flush()
        return draft

    def start_as_guest(self, procedure: Procedure, email: str) -> Draft:
        request = self.request
        try:
            address = check_address(email)
        except ValueError as error:
            raise Invalid(FormErrors(email=str(error))) from None
        instant = request.find_service(IClock).now()
        check_open(request, procedure, instant)
        version = procedure.published if procedure.state == PUBLISHED else procedure.latest
        assert version is not None
        code = f"{secrets.randbelow(1_000_000):06d}"
        draft = Draft(
            token=secrets.token_urlsafe(32), procedure=procedure, version=version, applicant_id=None, email=address,
            answers={}, typed={}, idempotency_key=secrets.token_urlsafe(32), created_at=instant, updated_at=instant,
            guest_code_hash=code_hash(code),
        )  # fmt: skip
        request.db.add(draft)
        request.db.flush()
        link = request.route_url("aids.guest_confirm", slug=procedure.slug, token=draft.token)
        request.find_service(IMailer).send(
            address, f"Votre code pour « {procedure.title} » : {code}",
            f"Bonjour,\n\nVotre code de confirmation est {code}.\n\nCe lien personnel vous ramène à votre "
            f"démarche, avant et après son dépôt ; ne le transmettez à personne :\n{link}\n\nLa province Sud",
        )  # fmt: skip
        return draft

    def confirm_guest(self, draft: Draft, code: str) -> Draft:
        if draft.guest_code_hash is None or not hmac.compare_digest(draft.guest_code_hash, code_hash(code.strip())):
            raise Invalid(FormErrors(code="Ce code ne correspond pas : recopiez les six chiffres du courriel reçu."))
        draft.confirmed_at = draft.confirmed_at or self.request.find_service(IClock).now()
        self.request.db.flush()
        return draft

    def save_page(
        self, draft: Draft, number: int, typed: dict[str, list[str]], answers: dict[str, Any] | None = None
    ) -> Draft:
        if draft.application_id is not None:
            raise Refused("Cette demande est déjà déposée : elle ne se modifie plus ici.", 409)
        draft.typed = {**draft.typed, str(number): typed}
        if answers is not None:
            page = draft_definition(draft).pages[number - 1]
            names = {spec.name for spec in page.fields}
            draft.answers = {**{k: v for k, v in draft.answers.items() if k not in names}, **answers}
        draft.updated_at = self.request.find_service(IClock).now()
        self.request.db.flush()
        return draft

    def attach(
        self, draft: Draft, spec: FieldSpec, uploads: list[Upload], errors: FormErrors,
        known: list[StoredFile] | None = None,
    ) -> list[str]:  # fmt: skip
        """The SHA-256 of the uploads kept for ``spec``; ``known``, the draft's files when the caller holds them
        (read otherwise), gets the new ones."""
        request = self.request
        files = files_of(request.db, draft) if known is None else known
        total = sum(file.size for file in files)
        kept = []
        accepted = {kind: FILE_TYPES[kind] for kind in spec.accept}
        for upload in uploads:
            content_type = check_upload(errors, spec.name, upload, accepted, spec.max_size)
            if content_type is None:
                continue
            total += len(upload.data)
            if total > MAX_APPLICATION_BYTES:
                limit = MAX_APPLICATION_BYTES // 1024 // 1024
                errors.add(spec.name, f"Les fichiers d'une demande pèsent {limit} Mo au plus en tout : "
                           f"« {upload.filename} » n'a pas été ajouté.")  # fmt: skip
                continue
            key = request.find_service(IFileStorage).store(upload.data, upload.filename, content_type)
            stored = StoredFile(
                draft_id=draft.id, field=spec.name, sha256=upload.sha256, filename=upload.filename,
                size=len(upload.data), content_type=content_type, storage_key=key,
                created_at=request.find_service(IClock).now(), scan_state=first_state(request),
            )  # fmt: skip
            request.db.add(stored)
            if stored.scan_state == QUARANTINED:
                request.db.flush()  # scanned at once: an infected file's audit entry names its row
                if refusal := scan_refusal(request, stored):
                    errors.add(spec.name, refusal)
                    total -= len(upload.data)
                    continue
            # Without a scanner the rows wait for the next flush: the files of a submission go in one INSERT.
            files.append(stored)
            kept.append(upload.sha256)
        return kept

    def send(
        self, procedure: Procedure, applicant: Account, answers: dict[str, Any], uploads: dict[str, list[Upload]],
        idempotency_key: str, checked: bool = False,
    ) -> tuple[Application, bool]:  # fmt: skip
        applications = self.request.find_service(IApplications)
        existing = None if checked else applications.sent_with(procedure, idempotency_key)
        if existing is not None:
            return existing, False
        draft = self.start(procedure, applicant, idempotency_key)
        file_fields = {spec.name: spec for spec in draft_definition(draft).fields() if spec.type == FILE}
        errors = FormErrors()
        kept = dict(answers)
        files: list[StoredFile] = []  # a new draft's: none yet
        for name, sent in uploads.items():
            spec = file_fields.get(name)
            if spec is None:
                errors.add(name[:40], f"« {name[:40]} » n'est pas un champ de fichier de ce formulaire.")
                continue
            stored = self.attach(draft, spec, sent, errors, files)
            named = kept.get(name)
            if named is not None and (not isinstance(named, list) or set(map(str, named)) != set(stored)):
                errors.add(name, "Cette réponse nomme les fichiers envoyés pour ce champ par leur SHA-256, "
                           "ou s'omet : un fichier nommé n'a pas été envoyé, ou pas accepté.")  # fmt: skip
            kept[name] = stored
        for name in file_fields.keys() - uploads.keys():
            if kept.get(name):
                errors.add(name, "Envoyez ce fichier dans « files » : la réponse seule ne suffit pas.")
        if errors:
            raise Invalid(errors)
        return self.submit(draft, kept, files, checked=True), True

    def submit(
        self, draft: Draft, answers: dict[str, Any] | None = None, files: list[StoredFile] | None = None,
        checked: bool = False,
    ) -> Application:  # fmt: skip
        request = self.request
        email = draft.reply_address
        applicant = (
            request.identity if request.identity is not None and request.identity.id == draft.applicant_id else None
        )
        answers = draft.answers if answers is None else answers
        application: Application = request.find_service(IApplications).submit(
            draft.procedure, answers, draft.idempotency_key, email, applicant,
            files_of(request.db, draft) if files is None else files, checked=checked,
        )  # fmt: skip
        # Written together with the application's rows, in one UPDATE of the draft.
        draft.answers = answers
        draft.application_id = application.id
        draft.updated_at = request.find_service(IClock).now()
        return application


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def files_of(db: Session, draft: Draft) -> list[StoredFile]:
    return list(db.scalars(sa.select(StoredFile).where(StoredFile.draft_id == draft.id).order_by(StoredFile.id)))


def prefilled(definition: Definition, applicant: Account) -> dict[str, Any]:
    """What the applicant's account fills in, as if typed on each page: they see it, and may change it."""
    known = {"email": applicant.email, "ridet": applicant.ridet,
             "company": applicant.display_name if applicant.kind == COMPANY else None}  # fmt: skip
    typed: dict[str, Any] = {}
    for number, page in enumerate(definition.pages, start=1):
        values = {spec.name: [known[spec.prefill]] for spec in page.fields if spec.prefill and known[spec.prefill]}
        if values:
            typed[str(number)] = values
    return typed


def draft_definition(draft: Draft) -> Definition:
    return draft.version.parsed
