"""Expert opinions ("avis"): an instructor asks, another directorate's agents or an outside expert answer.

An opinion asked of an outside address is answered through a one-time link
mailed to it: its token is random, only its SHA-256 is stored, and the link
stops working once the opinion is answered, at its deadline, or when a
reminder replaces it with a new one. Every step is audited
(``aids:opinion:ask``, ``aids:opinion:answer``, ``aids:opinion:remind``) but
written in no history line: nothing of an opinion is shown to the applicant.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import (
    Account,
    FormErrors,
    IAccounts,
    IAuditLog,
    IClock,
    IFileStorage,
    IMailer,
    Invalid,
    Refused,
    Upload,
    check_address,
    check_text,
    check_upload,
    local,
    read_date,
    transaction_scope,
)  # fmt: skip
from cagou_aids.definition import FILE_TYPES
from cagou_aids.interfaces import IOpinions
from cagou_aids.models import Application, StoredFile
from cagou_aids.models.opinions import MAX_ANSWER, MAX_QUESTION, VISIBILITIES, Opinion, OpinionFile
from cagou_aids.opinion_rules import (
    answering_directorates,
    deadline_instant,
    may_answer,
    may_ask,
    token_hash,
)  # fmt: skip
from cagou_aids.queries import files_sent
from cagou_aids.services.messages import MAX_MESSAGE_FILE, MAX_MESSAGE_FILES  # an answer's files are a message's

#: The longest deadline an instructor may give, and the reminders' rhythm and count.
MAX_DAYS = 90
REMINDER_DAYS = 3
MAX_REMINDERS = 2
#: Where the form says whom it asks.
TO_DIRECTORATE, TO_EXPERT = "direction", "expert"
DIRECTORATE_NAME = "la direction instructrice"


@dataclass
class OpinionAsked:
    """What the form "Demander un avis" sent, as typed: the service reads and checks each part."""

    question: str
    recipient: str
    directorate: str = ""
    email: str = ""
    visibility: str = ""
    deadline: str = ""
    files: list[str] = field(default_factory=list)


def fmt_day(request: Request, instant: datetime.datetime) -> str:
    return local(request.registry, instant).strftime("%d/%m/%Y")


@implementer(IOpinions)
class OpinionService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def ask(self, application: Application, asked: OpinionAsked) -> tuple[Opinion, str | None]:
        request = self.request
        procedure = application.version.procedure
        if not may_ask(request, procedure):
            raise Refused("Demander un avis revient à un instructeur de la direction de cette démarche.", 403)
        if application.anonymised_at is not None:
            raise Refused("Cette demande est anonymisée : on n'y demande plus d'avis.", 409)
        now = request.find_service(IClock).now()
        errors = FormErrors()
        question = check_text(errors, "question", asked.question, "La question", MAX_QUESTION)
        if asked.visibility not in VISIBILITIES:
            errors.add("visibilite", "Choisissez qui lira l'avis : confidentiel ou partagé.")
        directorate_id, email = self.recipient(errors, asked, procedure.directorate_id)
        deadline = self.deadline(errors, asked.deadline, now)
        shared = self.shared_files(errors, application, asked.files)
        if errors:
            raise Invalid(errors)
        assert deadline is not None  # checked above
        token = secrets.token_urlsafe(32) if email else None
        opinion = Opinion(
            application_id=application.id, asked_at=now, asked_by_id=request.identity.id, question=question,
            visibility=asked.visibility, directorate_id=directorate_id, expert_email=email,
            token_hash=token_hash(token) if token else None, deadline=deadline, answer="", reminders=0,
        )  # fmt: skip
        opinion.shared_files = shared
        request.db.add(opinion)
        request.db.flush()
        if token is not None:
            self.mail_expert(opinion, token, reminder=False)
        recipient = email or (opinion.directorate.name if opinion.directorate else "")
        request.find_service(IAuditLog).record(
            "aids:opinion:ask", f"Avis demandé sur la demande {application.receipt} à {recipient}.", module="aids",
            object_type="aids_application", object_id=str(application.id),
            changes={"after": {"opinion": opinion.id, "directorate": directorate_id, "email": email,
                               "visibility": opinion.visibility, "files": [stored.id for stored in shared],
                               "deadline": deadline.isoformat()}},
        )  # fmt: skip
        return opinion, token

    def recipient(self, errors: FormErrors, asked: OpinionAsked, own: int | None) -> tuple[int | None, str]:
        """The directorate asked (not the procedure's own) or the outside address."""
        if asked.recipient == TO_EXPERT:
            try:
                return None, check_address(asked.email)
            except ValueError as error:
                errors.add("courriel", str(error) if asked.email.strip() else "L'adresse de l'expert est obligatoire.")
                return None, ""
        if asked.recipient != TO_DIRECTORATE:
            errors.add("destinataire", "Choisissez à qui demander l'avis : une direction ou un expert extérieur.")
            return None, ""
        known = {str(directorate.id): directorate.id for directorate in answering_directorates(self.request)}
        chosen = known.get(asked.directorate)
        if chosen is None or chosen == own:
            errors.add("direction", "Choisissez une autre direction que celle qui instruit la démarche.")
        return chosen, ""

    def deadline(self, errors: FormErrors, text: str, now: datetime.datetime) -> datetime.datetime | None:
        day = read_date(errors, "echeance", text)
        if "echeance" in errors:
            return None
        today = local(self.request.registry, now).date()
        if day is None:
            errors.add("echeance", "La date limite de l'avis est obligatoire.")
        elif not today <= day <= today + datetime.timedelta(days=MAX_DAYS):
            errors.add("echeance", f"La date limite va d'aujourd'hui à {MAX_DAYS} jours au plus.")
        else:
            return deadline_instant(self.request, day)
        return None

    def shared_files(self, errors: FormErrors, application: Application, chosen: list[str]) -> list[StoredFile]:
        available = {str(stored.id): stored for stored in files_sent(self.request.db, application)}
        unknown = [value for value in chosen if value not in available]
        if unknown:
            errors.add("fichiers", "Cochez des fichiers de cette demande.")
        return [available[value] for value in dict.fromkeys(chosen) if value in available]

    def mail_expert(self, opinion: Opinion, token: str, reminder: bool) -> None:
        request = self.request
        procedure = opinion.application.version.procedure
        link = request.route_url("aids.opinion_answer", token=token)
        directorate = procedure.directorate.name if procedure.directorate else DIRECTORATE_NAME
        again = ("Rappel : nous n'avons pas encore reçu votre avis. Ce lien remplace celui du courriel précédent, "
                 "qui ne fonctionne plus.\n\n") if reminder else ""  # fmt: skip
        request.find_service(IMailer).send(
            opinion.expert_email, ("Rappel : " if reminder else "") + "Votre avis est demandé par la province Sud",
            f"Bonjour,\n\n{again}{directorate} (province Sud) vous demande votre avis :\n\n{opinion.question}\n\n"
            f"Répondez, jusqu'au {fmt_day(request, opinion.deadline)} inclus, depuis ce lien personnel, "
            f"qui ne sert qu'une fois :\n{link}\n\nLa province Sud",
        )  # fmt: skip

    def answer(
        self, opinion: Opinion, favourable: bool | None, text: str, uploads: list[Upload], account: Account | None
    ) -> Opinion:
        request = self.request
        if account is not None and not may_answer(request, opinion):
            raise Refused("Cet avis est demandé à une autre direction que la vôtre.", 403)
        errors = FormErrors()
        if favourable is None:
            errors.add("avis", "Choisissez votre avis : favorable ou défavorable.")
        text = check_text(errors, "texte", text, "Votre avis motivé", MAX_ANSWER)
        if len(uploads) > MAX_MESSAGE_FILES:
            errors.add("pieces", f"Un avis porte {MAX_MESSAGE_FILES} fichiers au plus.")
        kinds = [check_upload(errors, "pieces", upload, FILE_TYPES, MAX_MESSAGE_FILE) for upload in uploads]
        if errors:
            raise Invalid(errors)
        # Two answers at once (a double click, two agents of the directorate): the second finds it answered.
        request.db.refresh(opinion, with_for_update=True)
        now = request.find_service(IClock).now()
        if opinion.answered_at is not None:
            raise Refused("Cet avis a déjà été rendu.", 409)
        if opinion.deadline <= now:
            raise Refused("La date limite de cet avis est passée : il ne peut plus être rendu.", 410)
        storage = request.find_service(IFileStorage)
        for upload, kind in zip(uploads, kinds, strict=True):
            assert kind is not None  # refused files raised above
            opinion.files.append(OpinionFile(
                filename=upload.filename, sha256=upload.sha256, size=len(upload.data), content_type=kind,
                storage_key=storage.store(upload.data, upload.filename, kind), created_at=now,
            ))  # fmt: skip
        opinion.answered_at, opinion.favourable, opinion.answer = now, favourable, text
        opinion.answered_by_id = account.id if account is not None else None
        request.db.flush()
        self.tell_asker(opinion, favourable)
        receipt, verdict = opinion.application.receipt, "favorable" if favourable else "défavorable"
        request.find_service(IAuditLog).record(
            "aids:opinion:answer", f"Avis rendu sur la demande {receipt} ({verdict}).",
            module="aids", object_type="aids_application", object_id=str(opinion.application_id),
            changes={"after": {"opinion": opinion.id, "favourable": favourable, "files": len(uploads),
                               "outside": account is None}},
        )  # fmt: skip
        return opinion

    def tell_asker(self, opinion: Opinion, favourable: bool | None) -> None:
        asker = self.request.find_service(IAccounts).by_id(opinion.asked_by_id)
        if asker is None or not asker.email:
            return
        application = opinion.application
        self.request.find_service(IMailer).send(
            asker.email, f"Avis rendu : {application.receipt}",
            f"Bonjour,\n\nL'avis que vous avez demandé sur la demande {application.receipt} "
            f"« {application.version.procedure.title} » est rendu ({'favorable' if favourable else 'défavorable'}). "
            "Lisez-le sur la page de la demande, dans l'intranet (Démarches).\n\nLa province Sud",
        )  # fmt: skip

    def by_token(self, token: str) -> Opinion:
        opinion: Opinion | None = self.request.db.scalar(
            sa.select(Opinion).where(Opinion.token_hash == token_hash(token))
        )
        if opinion is None:
            raise Refused("Ce lien n'existe pas, ou a été remplacé par celui d'un courriel plus récent.", 404)
        if opinion.answered_at is not None or opinion.deadline <= self.request.find_service(IClock).now():
            raise Refused("Ce lien a expiré : l'avis a été rendu, ou sa date limite est passée.", 410)
        return opinion

    def remind_due(self) -> int:
        request = self.request
        now = request.find_service(IClock).now()
        days = int(request.registry.settings.get("aids.opinion_reminder_days", REMINDER_DAYS))
        last = sa.func.coalesce(Opinion.reminded_at, Opinion.asked_at)
        due = list(request.db.scalars(
            sa.select(Opinion)
            .where(Opinion.expert_email != "", Opinion.answered_at.is_(None), Opinion.deadline > now,
                   Opinion.reminders < MAX_REMINDERS, last <= now - datetime.timedelta(days=days))
            .order_by(Opinion.id)
            .with_for_update(skip_locked=True)
        ))  # fmt: skip
        for opinion in due:
            token = secrets.token_urlsafe(32)
            opinion.token_hash, opinion.reminded_at, opinion.reminders = token_hash(token), now, opinion.reminders + 1
            self.mail_expert(opinion, token, reminder=True)
            request.find_service(IAuditLog).record(
                "aids:opinion:remind", f"Rappel {opinion.reminders} à l'expert sur la demande "
                f"{opinion.application.receipt}.", module="aids", object_type="aids_application",
                object_id=str(opinion.application_id), changes={"after": {"opinion": opinion.id,
                                                                          "reminders": opinion.reminders}},
            )  # fmt: skip
        request.db.flush()
        return len(due)


def remind_experts(registry: Registry) -> None:
    """The scheduled job ``aids.opinions.remind``: the outside experts who have not answered are mailed again."""
    with transaction_scope(registry) as request:
        request.find_service(IOpinions).remind_due()
