"""Messages about an application, both ways: the instructors write to the applicant, the applicant answers.

Each message is kept with its files (stored as the application's files are,
in ``aids_file``), written in the application's history, audited
(``aids:message:send``), and mailed to the other side: the applicant at
their reply address, the instructors at the procedure's contact address. A
message refused (empty, too long, a file of a type not accepted) keeps
nothing, files included.
"""

from __future__ import annotations

from pyramid.request import Request
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
)
from cagou_aids.definition import FILE_TYPES
from cagou_aids.interfaces import IAssignments, IMessages
from cagou_aids.models import (
    INSTRUCTORS,
    MAX_MESSAGE,
    MESSAGE_AUTHORS,
    Application,
    ApplicationEvent,
    ApplicationMessage,
    StoredFile,
)  # fmt: skip

#: What a message's files may be, each, and how many.
MAX_MESSAGE_FILE = 10 * 1024 * 1024
MAX_MESSAGE_FILES = 5


@implementer(IMessages)
class MessageService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def write(
        self, application: Application, author: str, text: str, uploads: list[Upload], account: Account | None
    ) -> ApplicationMessage:
        request = self.request
        if application.anonymised_at is not None:
            raise Refused("Cette demande est anonymisée (fin de sa durée de conservation) : elle ne reçoit plus de "
                          "message.", 409)  # fmt: skip
        errors = FormErrors()
        text = check_text(errors, "texte", text, "Le message", MAX_MESSAGE)
        if len(uploads) > MAX_MESSAGE_FILES:
            errors.add("pieces", f"Un message porte {MAX_MESSAGE_FILES} fichiers au plus.")
        kinds = [check_upload(errors, "pieces", upload, FILE_TYPES, MAX_MESSAGE_FILE) for upload in uploads]
        if errors:
            raise Invalid(errors)
        instant = request.find_service(IClock).now()
        message = ApplicationMessage(application_id=application.id, at=instant, author=author,
                          account_id=account.id if account is not None else None, text=text)  # fmt: skip
        request.db.add(message)
        request.db.flush()
        storage = request.find_service(IFileStorage)
        for upload, kind in zip(uploads, kinds, strict=True):
            assert kind is not None  # refused files raised above
            key = storage.store(upload.data, upload.filename, kind)
            request.db.add(StoredFile(
                application_id=application.id, message_id=message.id, field="message", sha256=upload.sha256,
                filename=upload.filename, size=len(upload.data), content_type=kind, storage_key=key, created_at=instant,
            ))  # fmt: skip
        files = f" ({len(uploads)} fichier(s) joint(s))" if uploads else ""
        event = f"Message : {MESSAGE_AUTHORS[author].lower()} a écrit{files}."
        request.db.add(ApplicationEvent(application_id=application.id, at=instant, state=application.state, text=event))
        request.db.flush()
        self.notify(application, message, files)
        if author != INSTRUCTORS:
            request.find_service(IAssignments).applicant_wrote(application, text)  # the instructors who follow it
        request.find_service(IAuditLog).record(
            "aids:message:send", f"Message sur la demande {application.receipt} ({MESSAGE_AUTHORS[author].lower()}).",
            module="aids", object_type="aids_message", object_id=str(message.id),
            changes={"after": {"application": application.receipt, "author": author, "files": len(uploads)}},
        )  # fmt: skip
        return message

    def notify(self, application: Application, message: ApplicationMessage, files: str) -> None:
        """The other side is told, with the text: the applicant reads the files on their page, where they sign in
        (or follow their link); the instructors on the application's page."""
        procedure = application.version.procedure
        if message.author == INSTRUCTORS:
            to, subject = application.email, f"Un message du service instructeur : {application.receipt}"
            where = "Retrouvez-le, et répondez, sur la page de votre demande (Mes démarches, ou votre lien personnel)."
        else:
            to, subject = procedure.contact_email, f"Réponse du demandeur : {application.receipt}"
            where = "Retrouvez-le sur la page de la demande, dans l'intranet (Démarches)."
        if not to:  # a procedure without a contact address: the instructors read it on the intranet
            return
        body = (f"Bonjour,\n\n{MESSAGE_AUTHORS[message.author]} a écrit au sujet de la demande {application.receipt} "
                f"« {procedure.title} »{files} :\n\n{message.text}\n\n{where}\n\nLa province Sud")  # fmt: skip
        self.request.find_service(IMailer).send(to, subject, body)
