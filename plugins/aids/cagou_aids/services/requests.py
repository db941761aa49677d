"""Requests for documents: an instructor reopens chosen fields of an application, the applicant answers them.

The instructor names the fields (typically file fields) and writes why; the
application waits for the applicant ("Compléments demandés"), who sees a
form where only those fields are editable. The answers are read with the
rules of the version the application was filled under (the application
keeps its version); the files are checked from their bytes and stored as
the form's; the files they replace stay with the application (retention
erases them with it) but are no longer listed. Each step is written in the
history, audited (``aids:request:ask``, ``aids:request:answer``) and mailed
to the other side.
"""

from __future__ import annotations

import datetime
from typing import cast

import sqlalchemy as sa
from pyramid.request import Request
from webob.multidict import MultiDict
from zope.interface import implementer

from cagou.kit import (
    Account,
    FormErrors,
    IAuditLog,
    IClock,
    IFileStorage,
    IMailer,
    Invalid,
    Refused,
    Upload,
    check_text,
    check_upload,
    form_class,
    local,
)  # fmt: skip
from cagou_aids.definition import FILE, FILE_TYPES, Definition, FieldSpec, Page
from cagou_aids.forms import AnswerField, PageForm
from cagou_aids.interfaces import IDocumentRequests
from cagou_aids.models import (
    COMPLEMENT,
    MAX_MESSAGE,
    Application,
    ApplicationEvent,
    DocumentRequest,
    StoredFile,
)  # fmt: skip
from cagou_aids.states import asking_states


def askable_fields(definition: Definition) -> list[FieldSpec]:
    """The fields an instructor may reopen: every field of the form that takes an answer, in its order."""
    return [spec for page in definition.pages for spec in page.fields if spec.has_answer]


def complement_form(definition: Definition, specs: list[FieldSpec]) -> type[PageForm]:
    """A form of the asked fields only, read as the form's pages read them."""
    fields = {spec.name: AnswerField(spec.label, spec=spec) for spec in specs}
    built = cast(type[PageForm], form_class("ComplementForm", fields, base=PageForm))
    built.definition, built.page = definition, Page(title="Compléments", fields=tuple(specs))
    return built


def open_request(request: Request, application: Application) -> DocumentRequest | None:
    found: DocumentRequest | None = request.db.scalar(
        sa.select(DocumentRequest)
        .where(DocumentRequest.application_id == application.id, DocumentRequest.answered_at.is_(None))
        .order_by(DocumentRequest.id.desc())
        .limit(1)
    )
    return found


@implementer(IDocumentRequests)
class DocumentRequestService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def ask(self, application: Application, names: list[str], text: str, instructor: Account) -> DocumentRequest:
        request = self.request
        definition = application.version.parsed
        known = {spec.name: spec for spec in askable_fields(definition)}
        errors = FormErrors()
        text = check_text(errors, "demande", text, "La demande", MAX_MESSAGE)
        unknown = [name for name in names if name not in known]
        if unknown:
            errors.add("champs", f"Ce formulaire n'a pas de champ « {unknown[0][:40]} » : cochez les champs à rouvrir.")
        elif not names:
            errors.add("champs", "Cochez au moins un champ à rouvrir.")
        if errors:
            raise Invalid(errors)
        # Two instructors asking at once: the second waits for the first, then finds the request made.
        request.db.refresh(application, with_for_update=True)
        workflow = application.version.procedure.workflow_version
        before = application.state
        if before not in asking_states(workflow.parsed if workflow else None) or application.anonymised_at is not None:
            raise Refused("Cette demande n'attend pas de compléments : elle est retirée, ou une demande de "
                          "compléments est déjà en cours.", 409)  # fmt: skip
        instant = request.find_service(IClock).now()
        asked = [name for name in known if name in set(names)]  # the form's order, each once
        document_request = DocumentRequest(application_id=application.id, at=instant, account_id=instructor.id,
                                           fields=asked, text=text, from_state=before)  # fmt: skip
        request.db.add(document_request)
        application.state = COMPLEMENT
        labels = ", ".join(f"« {known[name].label} »" for name in asked)
        request.db.add(ApplicationEvent(application_id=application.id, at=instant, state=COMPLEMENT,
                                        text=f"Compléments demandés : {labels}."[:500]))  # fmt: skip
        request.db.flush()
        procedure = application.version.procedure
        request.find_service(IMailer).send(
            application.email, f"Des compléments sont demandés : {application.receipt}",
            f"Bonjour,\n\nLe service instructeur demande des compléments pour votre demande {application.receipt} "
            f"« {procedure.title} » ({labels}) :\n\n{text}\n\nEnvoyez-les depuis la page de votre demande (Mes "
            "démarches, ou votre lien personnel).\n\nLa province Sud",
        )  # fmt: skip
        request.find_service(IAuditLog).record(
            "aids:request:ask", f"Compléments demandés pour la demande {application.receipt}.", module="aids",
            object_type="aids_application", object_id=str(application.id),
            changes={"before": {"state": before}, "after": {"state": COMPLEMENT, "fields": asked}},
        )  # fmt: skip
        return document_request

    def answer(
        self, document_request: DocumentRequest, values: MultiDict[str, str], uploads: dict[str, list[Upload]],
        account: Account | None,
    ) -> Application:  # fmt: skip
        request = self.request
        application = document_request.application
        # Sent twice at once (a double click), or while an instructor takes the workflow on: the second waits for
        # the first, then finds it answered or closed. The application first, as a transition locks them.
        request.db.refresh(application, with_for_update=True)
        request.db.refresh(document_request, with_for_update=True)
        if document_request.closed_by_id is not None:
            raise Refused("Le service instructeur a clos cette demande de compléments : elle n'attend plus de "
                          "réponse. Écrivez-lui un message si besoin.", 409)  # fmt: skip
        if document_request.answered_at is not None or application.state != COMPLEMENT:
            raise Refused("Ces compléments sont déjà envoyés.", 409)
        definition = application.version.parsed
        specs = [definition.by_name[name] for name in document_request.fields if name in definition.by_name]
        names = {spec.name for spec in specs}
        sent: MultiDict[str, str] = MultiDict(
            (key, value) for key, value in values.items() if key.split("-", 1)[0] in names
        )
        refused, kept = FormErrors(), []
        for spec in specs:
            if spec.type != FILE:
                continue
            if spec.name in sent:  # a file field's values are the files sent now, never references typed
                del sent[spec.name]
            accepted = {kind: FILE_TYPES[kind] for kind in spec.accept}
            for upload in uploads.get(spec.name, []):
                kind = check_upload(refused, spec.name, upload, accepted, spec.max_size)
                if kind is not None:
                    kept.append((spec, upload, kind))
                    sent.add(spec.name, upload.sha256)
        others = {name: answer for name, answer in application.answers.items() if name not in names}
        instant = request.find_service(IClock).now()
        form = complement_form(definition, specs)(sent, known=others, today=local(request.registry, instant).date())
        form.validate()
        errors = form.field_errors()
        for name, message in refused.items():
            errors[name] = message  # why a file was refused says more than "required"
        if errors:
            raise Invalid(errors)
        self.replace_files(application, kept, file_names(specs), instant)
        application.answers = {**others, **form.answers()}
        back = document_request.from_state
        application.state = back
        document_request.answered_at = instant
        labels = ", ".join(f"« {spec.label} »" for spec in specs)
        request.db.add(ApplicationEvent(application_id=application.id, at=instant, state=back,
                                        text=f"Compléments envoyés : {labels}."[:500]))  # fmt: skip
        request.db.flush()
        procedure = application.version.procedure
        if procedure.contact_email:
            request.find_service(IMailer).send(
                procedure.contact_email, f"Compléments reçus : {application.receipt}",
                f"Bonjour,\n\nLe demandeur a envoyé les compléments demandés pour la demande {application.receipt} "
                f"« {procedure.title} » ({labels}). Retrouvez-les sur la page de la demande, dans l'intranet "
                "(Démarches).\n\nLa province Sud",
            )  # fmt: skip
        request.find_service(IAuditLog).record(
            "aids:request:answer", f"Compléments envoyés pour la demande {application.receipt}.", module="aids",
            object_type="aids_application", object_id=str(application.id),
            changes={"before": {"state": COMPLEMENT}, "after": {"state": back, "fields": sorted(names),
                                                                "files": len(kept)}},
        )  # fmt: skip
        return application

    def close_on_leaving(self, application: Application, before: str) -> DocumentRequest | None:
        request = self.request
        if before != COMPLEMENT or application.state == COMPLEMENT:
            return None
        document_request = open_request(request, application)
        if document_request is None:  # a complement asked by the workflow's own transition, answered by message
            return None
        # The applicant sending their answer at this moment: one of the two waits, and finds the other's work.
        request.db.refresh(document_request, with_for_update=True)
        if document_request.answered_at is not None:
            return None
        instant = request.find_service(IClock).now()
        document_request.answered_at, document_request.closed_by_id = instant, request.identity.id
        request.db.add(ApplicationEvent(
            application_id=application.id, at=instant, state=application.state,
            text="Demande de compléments close par le service instructeur : elle n'attend plus de réponse.",
        ))  # fmt: skip
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:request:close", f"Demande de compléments close sans réponse pour la demande {application.receipt}.",
            module="aids", object_type="aids_application", object_id=str(application.id),
            changes={"before": {"state": before, "fields": document_request.fields},
                     "after": {"state": application.state, "request": document_request.id}},
        )  # fmt: skip
        return document_request

    def replace_files(
        self, application: Application, kept: list[tuple[FieldSpec, Upload, str]], fields: set[str],
        instant: datetime.datetime,
    ) -> None:  # fmt: skip
        """The new files of the reopened file fields are stored; the ones they replace are no longer listed."""
        request = self.request
        if fields:
            request.db.execute(
                sa.update(StoredFile)
                .where(StoredFile.application_id == application.id, StoredFile.field.in_(fields),
                       StoredFile.message_id.is_(None), StoredFile.replaced_at.is_(None))
                .values(replaced_at=instant)
            )  # fmt: skip
        storage = request.find_service(IFileStorage)
        for spec, upload, kind in kept:
            key = storage.store(upload.data, upload.filename, kind)
            request.db.add(StoredFile(
                application_id=application.id, field=spec.name, sha256=upload.sha256, filename=upload.filename,
                size=len(upload.data), content_type=kind, storage_key=key, created_at=instant,
            ))  # fmt: skip


def file_names(specs: list[FieldSpec]) -> set[str]:
    return {spec.name for spec in specs if spec.type == FILE}
