"""What happens to a ticket: every change goes through here, checked, audited and notified.

Views, the JSON API, the inbound mail listener and the scheduled jobs all ask
for ``request.find_service(ITickets)``, so that a rule (a closed ticket takes
no reply, a technician acts only on their groups' tickets, an internal note is
never mailed) lives in one place. Methods raise :class:`Invalid` (field errors,
400) or :class:`Refused` (a French message and an HTTP status) and change
nothing when they do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from email.utils import make_msgid
from typing import Any, cast

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from cagou.kit import (
    Account,
    FormErrors,
    IAuditLog,
    IFileStorage,
    IJobQueue,
    IMailer,
    Invalid,
    Refused,
    Upload,
    check_address,
    check_text,
    sender_domain,
)
from cagou_helpdesk import mails, reference
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.checks import (
    MAX_FILENAME,
    MAX_TEXT,
    MAX_TITLE,
    PHONE_NUMBER,
    TicketInput,
    check_choice,
    check_uploads,
)
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import (
    ASSIGNED,
    CLOSED,
    IMPACTS,
    IN_PROGRESS,
    NEW,
    NOTE,
    OPEN_STATUSES,
    PRIORITIES,
    REPLY,
    RESOLVED,
    STATUSES,
    URGENCIES,
    WAITING,
    WAITING_FOR,
    WEB,
    Attachment,
    Group,
    MailLink,
    Message,
    Ticket,
)
from cagou_helpdesk.permissions import actor_of, check_may_work_on, groups_of, may_work_on
from cagou_helpdesk.rules import (
    ACKNOWLEDGE_JOB,
    MODULE,
    NO_GROUP,
    TRANSITIONS,
    can_still_reopen,
    now,
    service_level_dates,
    set_service_levels,
    shift_due_dates,
)

log = logging.getLogger(__name__)


@implementer(ITickets)
class TicketService:
    """The tickets of the request's database, changed in the request's transaction."""

    def __init__(self, request: Request) -> None:
        self.request = request

    # -----------------------------------------------------------------------
    # Opening a ticket, messages
    # -----------------------------------------------------------------------

    def open(
        self, data: TicketInput, requester: Account, opened_by: Account | None = None, source: str = WEB
    ) -> Ticket:
        """Open a ticket for ``requester`` (by ``opened_by``, a technician taking a phone call, when given).

        Categories, groups, the matrix and the service levels come from the
        process's snapshot (:mod:`cagou_helpdesk.reference`): the ticket is one
        row written, with its audit entry and the job of its acknowledgement.
        """
        request = self.request
        known = reference.current(request)
        errors = FormErrors()
        title = check_text(errors, "title", data.title, "Le titre", MAX_TITLE)
        description = check_text(errors, "description", data.description, "La description", MAX_TEXT)
        category = known.category(data.category) if data.category.strip() else None
        if data.category.strip() and category is None:
            errors.add(
                "category", f"Catégorie inconnue : « {data.category.strip()[:100]} ». Choisissez-en une dans la liste."
            )
        elif category is None:
            errors.add("category", "La catégorie est obligatoire : tapez quelques lettres et choisissez dans la liste.")
        urgency = check_choice(errors, "urgency", data.urgency, URGENCIES, "L'urgence")
        impact = check_choice(errors, "impact", data.impact, IMPACTS, "Les personnes concernées")
        phone = data.contact_phone.strip()
        if phone and not PHONE_NUMBER.match(phone):
            errors.add(
                "contact_phone", "Numéro de téléphone invalide : des chiffres, espaces et « + » seulement (6 à 20)."
            )
        uploads = check_uploads(request, errors, data.uploads)
        if not requester.active or not requester.is_staff:
            errors.add("requester", "Le demandeur doit être un agent actif.")
        if errors or category is None:
            raise Invalid(errors)
        if category.group_id is None:
            raise Refused(NO_GROUP, 503)
        instant = now(request)
        priority = known.matrix[(urgency, impact)]
        first_response_due, resolution_due = service_level_dates(request, priority, instant)
        values = {
            "title": title, "description": description, "category_id": category.id, "urgency": urgency,
            "impact": impact, "priority": priority, "status": NEW, "source": source, "requester_id": requester.id,
            "opened_by_id": (opened_by or requester).id, "contact_phone": phone or None,
            "group_id": category.group_id, "created_at": instant, "updated_at": instant,
            "first_response_due": first_response_due, "resolution_due": resolution_due, "reopened": 0,
        }  # fmt: skip
        # One INSERT … RETURNING that gives back the ticket as a persistent object, without the unit of
        # work's flush of the session (every request opening a ticket pays for it otherwise).
        ticket: Ticket = request.db.scalars(sa.insert(Ticket).returning(Ticket), [values]).one()
        self.store_uploads(ticket, None, uploads, opened_by or requester)
        on_behalf = f" pour {requester.display_name}" if opened_by is not None and opened_by.id != requester.id else ""
        group = known.groups[category.group_id]
        after = {
            "title": title, "status": NEW, "priority": ticket.priority, "group": group.code,
            "requester": requester.login, "category": category.path,
        }  # fmt: skip
        self.record(ticket, "create", f"Ticket {ticket.reference} ouvert{on_behalf} : « {title} ».", after=after)
        # The acknowledgement is composed by the worker (jobs.acknowledge), whose job is queued in this
        # transaction: a request that fails sends nothing. The job writes it once whatever the number of
        # runs (the outbox's idempotency key), and the sweep runs it again for a ticket whose job was lost
        # (a worker killed while holding it, a database outage while it ran).
        request.find_service(IJobQueue).enqueue(ACKNOWLEDGE_JOB, ticket_id=ticket.id)
        return ticket

    def acknowledge(self, ticket: Ticket) -> int | None:
        """The worker's part of opening a ticket: the requester's acknowledgement, written once.

        Returns the outbox row's id, or None when nothing was written: the
        acknowledgement was already there (a second run of the job), or the
        requester's address is unusable. Either way the ticket is acknowledged.
        """
        if ticket.acknowledged_at is not None:
            return None
        body = mails.acknowledgement(self.request, ticket, ticket.group.name)
        key = f"helpdesk.ticket.{ticket.id}.acknowledgement"
        mail_id = self.notify(ticket, f"Demande enregistrée : {ticket.title}", body, key=key)
        ticket.acknowledged_at = now(self.request)
        return mail_id

    def store_uploads(
        self, ticket: Ticket, message: Message | None, uploads: Sequence[tuple[Upload, str]], author: Account
    ) -> list[Attachment]:
        request = self.request
        storage = request.find_service(IFileStorage)
        attachments = []
        for upload, content_type in uploads:
            key = storage.store(upload.data, upload.filename, content_type)
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:MAX_FILENAME] or "piece-jointe"
            attachment = Attachment(
                ticket=ticket, message=message, filename=name, content_type=content_type, size=len(upload.data),
                file_key=key, uploaded_by_id=author.id, created_at=now(request),
            )  # fmt: skip
            request.db.add(attachment)
            attachments.append(attachment)
        return attachments

    def add_message(
        self,
        ticket: Ticket,
        author: Account,
        body: str,
        kind: str = REPLY,
        uploads: Sequence[Upload] = (),
        source: str = WEB,
    ) -> Message:
        """A reply or an internal note. The requester's reply wakes a ticket that waited for them."""
        request = self.request
        errors = FormErrors()
        body = check_text(errors, "body", body, "Le message", MAX_TEXT)
        checked = check_uploads(request, errors, uploads)
        if errors:
            raise Invalid(errors)
        is_requester = author.id == ticket.requester_id
        if not is_requester:
            check_may_work_on(request, ticket, author)
        if kind == NOTE and is_requester and not may_work_on(request, ticket, author):
            raise Refused("Seuls les techniciens écrivent des notes internes.", 403)
        if ticket.status == CLOSED:
            raise Refused(
                f"Le ticket {ticket.reference} est clos : il ne reçoit plus de réponse. "
                "Ouvrez une nouvelle demande en citant sa référence.",
                409,
            )
        instant = now(request)
        message = Message(ticket=ticket, author=author, kind=kind, body=body, source=source, created_at=instant)
        request.db.add(message)
        request.db.flush()
        self.store_uploads(ticket, message, checked, author)
        ticket.updated_at = instant
        if kind == NOTE:
            self.record(ticket, "note", f"Note interne ajoutée au ticket {ticket.reference}.")
            return message
        if is_requester:
            self.record(ticket, "reply", f"Réponse du demandeur au ticket {ticket.reference}.")
            if ticket.status == WAITING:
                self.set_status(ticket, IN_PROGRESS if ticket.assignee_id else NEW)
            elif ticket.status == RESOLVED:
                self.reopen(ticket, author)
            return message
        if ticket.first_response_at is None:
            ticket.first_response_at = instant
        self.record(ticket, "reply", f"Réponse publique au ticket {ticket.reference}.")
        self.notify(ticket, f"Réponse à votre demande : {ticket.title}", mails.reply_mail(request, ticket, message))
        return message

    # -----------------------------------------------------------------------
    # Assignment
    # -----------------------------------------------------------------------

    def take(self, ticket: Ticket, technician: Account) -> None:
        """Take an unassigned ticket; two technicians clicking at once never both get it."""
        request = self.request
        check_may_work_on(request, ticket, technician)
        if not ticket.is_open:
            raise Refused(
                f"Le ticket {ticket.reference} est {ticket.status_label.lower()} : il n'y a plus rien à prendre."
            )
        claimed = self.claim(ticket.id, technician)
        if not claimed:
            request.db.refresh(ticket)
            holder = ticket.assignee.display_name if ticket.assignee else "un autre technicien"
            raise Refused(f"Le ticket {ticket.reference} vient d'être pris par {holder}.")
        request.db.refresh(ticket)
        self.record(
            ticket,
            "take",
            f"Ticket {ticket.reference} pris par {technician.display_name}.",
            after={"assignee": technician.login},
        )

    def claim(self, ticket_id: int, technician: Account) -> bool:
        """Assign the ticket to ``technician`` if nobody holds it: one conditional UPDATE, race-free everywhere."""
        request = self.request
        instant = now(request)
        result = request.db.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATUSES))
            .values(
                assignee_id=technician.id,
                status=sa.case((Ticket.status == NEW, ASSIGNED), else_=Ticket.status),
                updated_at=instant,
            )
            .execution_options(synchronize_session=False)
        )
        mark_changed(request.db)
        return bool(result.rowcount)

    def take_next(self, technician: Account) -> Ticket | None:
        """The most urgent unassigned ticket of the technician's groups, taken for them; None when the queues are empty.

        On PostgreSQL the candidate is read with ``FOR UPDATE SKIP LOCKED``, so
        technicians clicking together each get a different ticket without waiting;
        the conditional UPDATE of :meth:`claim` is what guarantees it everywhere.
        """
        request = self.request
        group_ids = [group.id for group in groups_of(request, technician)]
        if not group_ids:
            raise Refused(
                "Vous n'êtes membre d'aucun groupe de techniciens : demandez à l'administrateur de l'assistance.", 403
            )
        query = (
            sa.select(Ticket.id)
            .where(
                Ticket.group_id.in_(group_ids),
                Ticket.assignee_id.is_(None),
                Ticket.status == NEW,
                Ticket.parent_id.is_(None),
            )
            .order_by(Ticket.priority, Ticket.resolution_due, Ticket.id)
            .limit(1)
        )
        for _ in range(20):
            ticket_id = request.db.scalar(query.with_for_update(skip_locked=True))
            if ticket_id is None:
                return None
            if self.claim(ticket_id, technician):
                ticket: Ticket = request.db.get_one(Ticket, ticket_id)
                request.db.refresh(ticket)
                summary = f"Ticket {ticket.reference} pris par {technician.display_name} (suivant de la file)."
                self.record(ticket, "take", summary, after={"assignee": technician.login})
                return ticket
        return None

    def assign(self, ticket: Ticket, group: Group, assignee: Account | None, actor: Account | None = None) -> None:
        """Put the ticket in ``group``'s queue, with a member of that group or nobody."""
        check_may_work_on(self.request, ticket, actor)
        if not ticket.is_open:
            raise Refused(
                f"Le ticket {ticket.reference} est {ticket.status_label.lower()} : rouvrez-le avant de l'attribuer."
            )
        if (
            assignee is not None
            and assignee.id not in {member.id for member in group.members}
            and group.manager_id != assignee.id
        ):
            raise Refused(f"{assignee.display_name} n'est pas membre du groupe « {group.name} ».", 400)
        if assignee is not None and not assignee.active:
            raise Refused(f"Le compte de {assignee.display_name} est désactivé.", 400)
        before = {"group": ticket.group.code, "assignee": ticket.assignee.login if ticket.assignee else None}
        ticket.group, ticket.assignee = group, assignee
        if assignee is None and ticket.status in (ASSIGNED, IN_PROGRESS):
            ticket.status = NEW
        elif assignee is not None and ticket.status == NEW:
            ticket.status = ASSIGNED
        ticket.updated_at = now(self.request)
        after = {"group": group.code, "assignee": assignee.login if assignee else None}
        who = assignee.display_name if assignee else "personne"
        self.record(
            ticket,
            "assign",
            f"Ticket {ticket.reference} attribué au groupe « {group.name} », à {who}.",
            before,
            after,
        )

    def release_assigned(self, account: Account) -> int:
        """Give the open tickets of a departing technician back to their groups' queues."""
        query = sa.select(Ticket).where(Ticket.assignee_id == account.id, Ticket.status.in_(OPEN_STATUSES))
        tickets = list(self.request.db.scalars(query))
        for ticket in tickets:
            why = f"le compte de {account.display_name} est désactivé"
            self.release(ticket, account, f"Ticket {ticket.reference} rendu à la file « {ticket.group.name} » : {why}.")
        return len(tickets)

    def release_in_group(self, group: Group, account: Account) -> int:
        """Give ``account``'s open tickets of ``group`` back to its queue: they left the group."""
        query = sa.select(Ticket).where(
            Ticket.group_id == group.id, Ticket.assignee_id == account.id, Ticket.status.in_(OPEN_STATUSES)
        )
        tickets = list(self.request.db.scalars(query))
        for ticket in tickets:
            why = f"{account.display_name} a quitté le groupe"
            self.release(ticket, account, f"Ticket {ticket.reference} rendu à la file « {group.name} » : {why}.")
        return len(tickets)

    def release(self, ticket: Ticket, account: Account, summary: str) -> None:
        ticket.assignee = None
        if ticket.status in (ASSIGNED, IN_PROGRESS):
            ticket.status = NEW
        ticket.updated_at = now(self.request)
        self.record(ticket, "release", summary, {"assignee": account.login}, {"assignee": None})

    # -----------------------------------------------------------------------
    # Status
    # -----------------------------------------------------------------------

    def change_status(
        self, ticket: Ticket, status: str, waiting_for: str | None = None, technician: Account | None = None
    ) -> None:
        """A technician moves the ticket along its lifecycle (``technician``: who acts, else the signed-in person)."""
        technician = actor_of(self.request, technician)
        check_may_work_on(self.request, ticket, technician)
        if status not in STATUSES:
            raise Refused(f"Statut inconnu : « {status[:40]} ».", 400)
        if status not in TRANSITIONS[ticket.status]:
            raise Refused(
                f"Un ticket {ticket.status_label.lower()} ne peut pas passer à « {STATUSES[status].lower()} »."
            )
        if status == WAITING and waiting_for not in WAITING_FOR:
            raise Refused("Dites qui le ticket attend : le demandeur ou un tiers.", 400)
        if status in (IN_PROGRESS, RESOLVED) and ticket.assignee_id is None:
            ticket.assignee = technician  # whoever works on or resolves an unassigned ticket holds it
        self.set_status(ticket, status, waiting_for)

    def set_status(self, ticket: Ticket, status: str, waiting_for: str | None = None) -> None:
        """Move the ticket (rules already checked), pausing or resuming the service-level clock."""
        request = self.request
        before = {"status": ticket.status}
        instant = now(request)
        if ticket.status == WAITING and status != WAITING:
            shift_due_dates(request, ticket, instant)
        if status == WAITING:
            ticket.paused_since = instant
        ticket.status, ticket.waiting_for = status, (waiting_for if status == WAITING else None)
        ticket.updated_at = instant
        if status == RESOLVED:
            ticket.resolved_at = instant
        elif status == CLOSED:
            ticket.closed_at = instant
        elif status in OPEN_STATUSES:
            ticket.resolved_at = None
        label = STATUSES[status].lower() + (
            f" (attend {WAITING_FOR[waiting_for]})" if status == WAITING and waiting_for else ""
        )
        self.record(ticket, "status", f"Ticket {ticket.reference} : {label}.", before, {"status": status})
        if status == RESOLVED:
            self.notify(ticket, f"Demande résolue : {ticket.title}", mails.resolved_mail(request, ticket))
            for child in ticket.children:
                if child.is_open:
                    self.set_status(child, RESOLVED)

    def reopen(self, ticket: Ticket, author: Account) -> None:
        """The requester says the problem persists, within the reopening delay."""
        if ticket.status != RESOLVED:
            raise Refused(f"Seul un ticket résolu peut être rouvert ; celui-ci est {ticket.status_label.lower()}.")
        if not can_still_reopen(self.request, ticket):
            raise Refused(
                "Le délai pour rouvrir ce ticket est passé : ouvrez une nouvelle demande en citant sa référence."
            )
        ticket.reopened += 1
        ticket.rating = ticket.rating_comment = None
        self.set_status(ticket, IN_PROGRESS if ticket.assignee_id else NEW)
        self.record(ticket, "reopen", f"Ticket {ticket.reference} rouvert par {author.display_name}.")

    def rate(self, ticket: Ticket, rating: str, comment: str) -> None:
        errors = FormErrors()
        value = check_choice(errors, "rating", rating, {n: str(n) for n in range(1, 6)}, "La note")
        comment = check_text(errors, "comment", comment, "Le commentaire", 2000, required=False)
        if errors:
            raise Invalid(errors)
        if ticket.status not in (RESOLVED, CLOSED):
            raise Refused("Vous pourrez noter la réponse quand le ticket sera résolu.")
        ticket.rating, ticket.rating_comment = value, comment or None
        summary = f"Réponse au ticket {ticket.reference} notée {value}/5."
        self.record(ticket, "rate", summary, after={"rating": value})

    def override_priority(self, ticket: Ticket, priority: str, reason: str, actor: Account | None = None) -> None:
        check_may_work_on(self.request, ticket, actor)
        errors = FormErrors()
        value = check_choice(errors, "priority", priority, PRIORITIES, "La priorité")
        reason = check_text(errors, "reason", reason, "La raison du changement de priorité", 500)
        if errors:
            raise Invalid(errors)
        before = {"priority": ticket.priority}
        ticket.priority, ticket.priority_reason = value, reason
        set_service_levels(self.request, ticket, ticket.created_at)
        ticket.updated_at = now(self.request)
        self.record(
            ticket,
            "priority",
            f"Priorité du ticket {ticket.reference} : {PRIORITIES[value]} ({reason}).",
            before,
            {"priority": value},
        )

    def mark_breached(self, ticket: Ticket, which: str) -> None:
        """Once per ticket: the breach job tells the manager, and this keeps it from telling twice."""
        ticket.breach_notified_at = now(self.request)
        self.record(ticket, "breach", f"Ticket {ticket.reference} hors délai ({which}).")

    # -----------------------------------------------------------------------
    # Major incidents
    # -----------------------------------------------------------------------

    def link_to_incident(self, child: Ticket, parent: Ticket, actor: Account | None = None) -> None:
        """``child`` duplicates the major incident ``parent``: it will be resolved with it."""
        check_may_work_on(self.request, child, actor)
        if child.id == parent.id:
            raise Refused("Un ticket ne peut pas être son propre incident parent.", 400)
        if parent.parent_id is not None:
            raise Refused(
                f"{parent.reference} est lui-même rattaché à un autre incident : choisissez l'incident principal.",
                400,
            )
        if child.children:
            raise Refused(
                f"{child.reference} regroupe déjà d'autres tickets : il ne peut pas être rattaché à un autre.", 400
            )
        if not child.is_open or not parent.is_open:
            raise Refused("Seuls des tickets ouverts se rattachent à un incident ouvert.")
        before = {"parent": child.parent.reference if child.parent else None}
        child.parent = parent
        child.updated_at = now(self.request)
        self.record(
            child,
            "link",
            f"Ticket {child.reference} rattaché à l'incident {parent.reference}.",
            before,
            {"parent": parent.reference},
        )

    # -----------------------------------------------------------------------
    # Audit and mail
    # -----------------------------------------------------------------------

    def remember_incoming(self, message_id: str, ticket_id: int) -> None:
        """The mail was versed into the ticket: a second delivery of it is recognised, and refused here."""
        link = MailLink(message_id=message_id, ticket_id=ticket_id, incoming=True, created_at=now(self.request))
        self.request.db.add(link)
        self.request.db.flush()  # the primary key refuses a concurrent delivery of the same message now

    def record(
        self,
        ticket: Ticket,
        action: str,
        summary: str,
        before: Mapping[str, object] | None = None,
        after: Mapping[str, object] | None = None,
    ) -> None:
        changes = None if before is None and after is None else {"before": before, "after": after}
        self.request.find_service(IAuditLog).record(
            f"helpdesk:ticket:{action}",
            summary,
            module=MODULE,
            object_type="ticket",
            object_id=str(ticket.id),
            changes=changes,
        )

    def notify(self, ticket: Ticket, subject: str, body: str, key: str | None = None) -> int | None:
        """Mail the requester, with a Message-ID the helpdesk remembers so that their reply finds the ticket.

        Returns the outbox row's id, or None when the requester's address is
        unusable or the mail of ``key`` (``IMailer.send``) is already written.
        """
        request = self.request
        try:
            address = check_address(ticket.requester.email or "")
        except ValueError:
            log.warning("No notification for %s: unusable address %r", ticket.reference, ticket.requester.email)
            return None
        message_id = make_msgid(idstring=f"helpdesk.{ticket.id}", domain=sender_domain(request.registry))
        mail_id: int | None = request.find_service(IMailer).send(
            address,
            f"[{ticket.reference}] {subject}",
            body,
            reply_to=helpdesk_settings.get(request.registry).address,
            message_id=message_id,
            key=key,
        )
        if mail_id is None:
            return None  # written by an earlier run, with its link
        # Without the ORM's unit of work, like the outbox row it goes with: every ticket opened writes one.
        link = {"message_id": message_id, "ticket_id": ticket.id, "incoming": False, "created_at": now(request)}
        request.db.connection().execute(sa.insert(cast(sa.Table, MailLink.__table__)), link)
        mark_changed(request.db)
        return mail_id


def ticket_service_factory(context: Any, request: Request) -> TicketService:
    return TicketService(request)
