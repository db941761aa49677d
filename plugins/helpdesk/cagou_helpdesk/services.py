"""What happens to a ticket: every change goes through here, checked, audited and notified.

Views, the JSON API, the inbound mail listener and the scheduled jobs all call
these functions, so that a rule (a closed ticket takes no reply, a technician
acts only on their groups' tickets, an internal note is never mailed) lives in
one place. Functions raise :class:`Invalid` (field errors, 400) or
:class:`Refused` (a French message and an HTTP status) and change nothing
when they do.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import cast

import filetype
import sqlalchemy as sa
from pyramid.authorization import ACLHelper
from pyramid.request import Request
from zope.sqlalchemy import mark_changed

from cagou.kit import (
    Account,
    FormErrors,
    IAuditLog,
    IClock,
    IFileStorage,
    IMailer,
    Invalid,
    Refused,
    Root,
    check_address,
    check_text,
    principals_of,
    sender_domain,
)
from cagou_helpdesk import reference
from cagou_helpdesk import settings as helpdesk_settings
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
    Category,
    Group,
    MailLink,
    Member,
    Message,
    Ticket,
)
from cagou_helpdesk.reference import DEFAULT_MATRIX as DEFAULT_MATRIX  # the defaults, read here by many
from cagou_helpdesk.reference import DEFAULT_SERVICE_LEVELS as DEFAULT_SERVICE_LEVELS

log = logging.getLogger(__name__)

MODULE = "helpdesk"
MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_FILENAME = 255
PHONE_NUMBER = re.compile(r"^[+0-9 .()-]{6,20}$")
NO_GROUP = "Aucun groupe de techniciens n'est configuré : prévenez l'administrateur de l'assistance."


#: Content types accepted as attachments, recognised from the bytes, not the name.
ACCEPTED_TYPES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
    "text/plain": "texte",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.oasis.opendocument.text": "texte OpenDocument",
    "application/vnd.oasis.opendocument.spreadsheet": "tableur OpenDocument",
}


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass
class TicketInput:
    title: str = ""
    description: str = ""
    category: str = ""
    urgency: str = "2"
    impact: str = "1"
    contact_phone: str = ""
    uploads: list[Upload] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Reading the configuration
# ---------------------------------------------------------------------------


def now(request: Request) -> datetime.datetime:
    instant: datetime.datetime = request.find_service(IClock).now()
    return instant


def priority_matrix(request: Request) -> dict[tuple[int, int], int]:
    return dict(reference.current(request).matrix)


def service_levels(request: Request) -> dict[int, tuple[int, int]]:
    return dict(reference.current(request).levels)


def find_category(request: Request, text: str) -> Category | None:
    """The active category a form names by id or by its full path."""
    text = text.strip()
    query = sa.select(Category).where(Category.active.is_(True))
    if text.isdigit():
        query = query.where(Category.id == int(text))
    else:
        query = query.where(sa.func.lower(Category.path) == text.lower())
    found: Category | None = request.db.scalars(query).first()
    return found


def group_for(request: Request, category: Category | None) -> Group:
    """The queue a new ticket lands in: its category's group (or its parent's), else the default group."""
    known = reference.current(request)
    group_id = known.categories[category.id].group_id if category is not None else known.default_group_id
    group: Group | None = request.db.get(Group, group_id) if group_id is not None else None
    if group is None:
        raise Refused(NO_GROUP, 503)
    return group


def groups_of(request: Request, account: Account) -> list[Group]:
    """The groups whose queue ``account`` works on: as a member or as its manager."""
    query = (
        sa.select(Group)
        .where(
            sa.or_(
                Group.id.in_(sa.select(Member.group_id).where(Member.account_id == account.id)),
                Group.manager_id == account.id,
            )
        )
        .order_by(Group.name)
    )
    return list(request.db.scalars(query))


def account_can(request: Request, account: Account | None, permission: str) -> bool:
    """May ``account`` do this on the platform: the signed-in person, or anyone a job or the mail listener acts for."""
    if account is None:
        return False
    identity = request.identity
    if identity is not None and identity.id == account.id:
        return bool(request.can(permission))
    principals = principals_of(account, strong=True, strong_roles=request.registry["cagou.strong_roles"])
    return bool(ACLHelper().permits(Root(request), principals, permission))


def actor_of(request: Request, actor: Account | None) -> Account:
    """Who acts: the account given, else the signed-in person."""
    found = actor or request.identity
    if found is None:
        raise Refused("Connectez-vous pour agir sur un ticket.", 401)
    return found


def is_admin(request: Request, actor: Account | None = None) -> bool:
    return account_can(request, actor or request.identity, "helpdesk:settings:manage")


def may_work_on(request: Request, ticket: Ticket, actor: Account | None = None) -> bool:
    """May the technician act on this ticket: it is in the queue of one of their groups."""
    actor = actor or request.identity
    if actor is None or not account_can(request, actor, "helpdesk:ticket:work"):
        return False
    return is_admin(request, actor) or ticket.group_id in {group.id for group in groups_of(request, actor)}


def check_may_work_on(request: Request, ticket: Ticket, actor: Account | None = None) -> None:
    if not may_work_on(request, ticket, actor):
        raise Refused(
            f"Le ticket {ticket.reference} est dans la file du groupe « {ticket.group.name} », "
            "dont vous n'êtes pas membre : demandez à un technicien de ce groupe.",
            403,
        )


def may_read(request: Request, ticket: Ticket, actor: Account | None = None) -> bool:
    actor = actor or request.identity
    return actor is not None and (ticket.requester_id == actor.id or may_work_on(request, ticket, actor))


# ---------------------------------------------------------------------------
# Checking what people send
# ---------------------------------------------------------------------------


def check_choice(errors: FormErrors, name: str, value: str, choices: dict[int, str], label: str) -> int:
    if value.strip().isdigit() and int(value) in choices:
        return int(value)
    errors.add(name, f"{label} : choisissez une valeur de la liste.")
    return min(choices)


def content_type_of(data: bytes) -> str | None:
    """The accepted content type the bytes really are, or None."""
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime if kind.mime in ACCEPTED_TYPES else None
    # Logs and plain text carry no signature: readable text without NUL bytes.
    if b"\x00" in data[:8192]:
        return None
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        try:
            data[:65536].decode("cp1252")
        except UnicodeDecodeError:
            return None
    return "text/plain"


def check_uploads(
    request: Request, errors: FormErrors, uploads: Iterable[Upload], name: str = "attachments"
) -> list[tuple[Upload, str]]:
    limit = helpdesk_settings.get(request.registry).max_attachment_bytes
    checked = []
    for upload in uploads:
        if not upload.data and not upload.filename:
            continue
        if len(upload.data) > limit:
            size = f"{len(upload.data) / 1024 / 1024:.1f}".replace(".", ",")
            maximum = f"{limit / 1024 / 1024:g}".replace(".", ",")
            errors.add(name, f"« {upload.filename} » pèse {size} Mo : la limite est de {maximum} Mo par fichier.")
            continue
        if not upload.data:
            errors.add(name, f"« {upload.filename} » est vide.")
            continue
        content_type = content_type_of(upload.data)
        if content_type is None:
            kinds = ", ".join(sorted(set(ACCEPTED_TYPES.values())))
            errors.add(name, f"« {upload.filename} » n'est pas d'un type accepté (d'après son contenu) : {kinds}.")
            continue
        checked.append((upload, content_type))
    return checked


def store_uploads(
    request: Request, ticket: Ticket, message: Message | None, uploads: Sequence[tuple[Upload, str]], author: Account
) -> list[Attachment]:
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


# ---------------------------------------------------------------------------
# Opening a ticket
# ---------------------------------------------------------------------------


def set_service_levels(request: Request, ticket: Ticket, start: datetime.datetime) -> None:
    first_response, resolution = reference.current(request).levels[ticket.priority]
    calendar = helpdesk_settings.get(request.registry).calendar
    ticket.first_response_due = calendar.add(start, datetime.timedelta(minutes=first_response))
    ticket.resolution_due = calendar.add(start, datetime.timedelta(minutes=resolution))


def open_ticket(
    request: Request, data: TicketInput, requester: Account, opened_by: Account | None = None, source: str = WEB
) -> Ticket:
    """Open a ticket for ``requester`` (by ``opened_by``, a technician taking a phone call, when given).

    Categories, groups, the matrix and the service levels come from the
    process's snapshot (:mod:`cagou_helpdesk.reference`): the ticket is one
    row written, with its audit entry and its acknowledgement.
    """
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
        errors.add("contact_phone", "Numéro de téléphone invalide : des chiffres, espaces et « + » seulement (6 à 20).")
    uploads = check_uploads(request, errors, data.uploads)
    if not requester.active or not requester.is_staff:
        errors.add("requester", "Le demandeur doit être un agent actif.")
    if errors or category is None:
        raise Invalid(errors)
    if category.group_id is None:
        raise Refused(NO_GROUP, 503)
    instant = now(request)
    ticket = Ticket(
        title=title, description=description, category_id=category.id, urgency=urgency, impact=impact,
        priority=known.matrix[(urgency, impact)], status=NEW, source=source, requester=requester,
        opened_by=opened_by or requester, contact_phone=phone or None, group_id=category.group_id,
        created_at=instant, updated_at=instant,
    )  # fmt: skip
    set_service_levels(request, ticket, instant)
    request.db.add(ticket)
    request.db.flush()
    store_uploads(request, ticket, None, uploads, opened_by or requester)
    on_behalf = f" pour {requester.display_name}" if opened_by is not None and opened_by.id != requester.id else ""
    group = known.groups[category.group_id]
    after = {
        "title": title, "status": NEW, "priority": ticket.priority, "group": group.code, "requester": requester.login,
        "category": category.path,
    }  # fmt: skip
    audit(request, ticket, "create", f"Ticket {ticket.reference} ouvert{on_behalf} : « {title} ».", after=after)
    # Written in the request's transaction, with the ticket: a request that fails sends nothing, and a
    # ticket is never stored without its acknowledgement (a job composing it was lost in a database
    # outage, and its immediate delivery raced the delivery job of a second worker).
    notify(request, ticket, f"Demande enregistrée : {ticket.title}", acknowledgement(request, ticket, group.name))
    return ticket


def acknowledgement(request: Request, ticket: Ticket, group_name: str) -> str:
    return (
        f"Bonjour,\n\nVotre demande d'intervention est enregistrée sous la référence {ticket.reference}.\n"
        f"Elle est dans la file du groupe « {group_name} » avec la priorité {ticket.priority_label}.\n\n"
        f"Pour la suivre : {ticket_url(request, ticket)}\n"
        "Vous pouvez aussi répondre à ce courriel : votre réponse sera ajoutée au ticket.\n"
    )


def ticket_url(request: Request, ticket: Ticket) -> str:
    url: str = request.route_url("helpdesk.ticket", id=ticket.id)
    return url


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------


def add_message(
    request: Request,
    ticket: Ticket,
    author: Account,
    body: str,
    kind: str = REPLY,
    uploads: Sequence[Upload] = (),
    source: str = WEB,
) -> Message:
    """A reply or an internal note. The requester's reply wakes a ticket that waited for them."""
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
    store_uploads(request, ticket, message, checked, author)
    ticket.updated_at = instant
    if kind == NOTE:
        audit(request, ticket, "note", f"Note interne ajoutée au ticket {ticket.reference}.")
        return message
    if is_requester:
        audit(request, ticket, "reply", f"Réponse du demandeur au ticket {ticket.reference}.")
        if ticket.status == WAITING:
            set_status(request, ticket, IN_PROGRESS if ticket.assignee_id else NEW)
        elif ticket.status == RESOLVED:
            reopen(request, ticket, author)
        return message
    if ticket.first_response_at is None:
        ticket.first_response_at = instant
    audit(request, ticket, "reply", f"Réponse publique au ticket {ticket.reference}.")
    notify(request, ticket, f"Réponse à votre demande : {ticket.title}", reply_mail(request, ticket, message))
    return message


def reply_mail(request: Request, ticket: Ticket, message: Message) -> str:
    return (
        f"Bonjour,\n\n{message.author.display_name} a répondu à votre demande {ticket.reference} :\n\n"
        f"{message.body}\n\n"
        f"Pour répondre, répondez simplement à ce courriel ou ouvrez : {ticket_url(request, ticket)}\n"
    )


# ---------------------------------------------------------------------------
# Assignment
# ---------------------------------------------------------------------------


def take(request: Request, ticket: Ticket, technician: Account) -> None:
    """Take an unassigned ticket; two technicians clicking at once never both get it."""
    check_may_work_on(request, ticket, technician)
    if not ticket.is_open:
        raise Refused(f"Le ticket {ticket.reference} est {ticket.status_label.lower()} : il n'y a plus rien à prendre.")
    claimed = claim(request, ticket.id, technician)
    if not claimed:
        request.db.refresh(ticket)
        holder = ticket.assignee.display_name if ticket.assignee else "un autre technicien"
        raise Refused(f"Le ticket {ticket.reference} vient d'être pris par {holder}.")
    request.db.refresh(ticket)
    audit(
        request,
        ticket,
        "take",
        f"Ticket {ticket.reference} pris par {technician.display_name}.",
        after={"assignee": technician.login},
    )


def claim(request: Request, ticket_id: int, technician: Account) -> bool:
    """Assign the ticket to ``technician`` if nobody holds it: one conditional UPDATE, race-free on both databases."""
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


def take_next(request: Request, technician: Account) -> Ticket | None:
    """The most urgent unassigned ticket of the technician's groups, taken for them; None when the queues are empty.

    On PostgreSQL the candidate is read with ``FOR UPDATE SKIP LOCKED``, so
    technicians clicking together each get a different ticket without waiting;
    the conditional UPDATE of :func:`claim` is what guarantees it everywhere.
    """
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
        if claim(request, ticket_id, technician):
            ticket: Ticket = request.db.get_one(Ticket, ticket_id)
            request.db.refresh(ticket)
            summary = f"Ticket {ticket.reference} pris par {technician.display_name} (suivant de la file)."
            audit(request, ticket, "take", summary, after={"assignee": technician.login})
            return ticket
    return None


def assign(
    request: Request, ticket: Ticket, group: Group, assignee: Account | None, actor: Account | None = None
) -> None:
    """Put the ticket in ``group``'s queue, with a member of that group or nobody."""
    check_may_work_on(request, ticket, actor)
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
    ticket.updated_at = now(request)
    after = {"group": group.code, "assignee": assignee.login if assignee else None}
    who = assignee.display_name if assignee else "personne"
    audit(
        request,
        ticket,
        "assign",
        f"Ticket {ticket.reference} attribué au groupe « {group.name} », à {who}.",
        before,
        after,
    )


def release_assigned(request: Request, account: Account) -> int:
    """Give the open tickets of a departing technician back to their groups' queues."""
    tickets = list(
        request.db.scalars(sa.select(Ticket).where(Ticket.assignee_id == account.id, Ticket.status.in_(OPEN_STATUSES)))
    )
    for ticket in tickets:
        ticket.assignee = None
        if ticket.status in (ASSIGNED, IN_PROGRESS):
            ticket.status = NEW
        ticket.updated_at = now(request)
        summary = (
            f"Ticket {ticket.reference} rendu à la file « {ticket.group.name} » : "
            f"le compte de {account.display_name} est désactivé."
        )
        audit(request, ticket, "release", summary, {"assignee": account.login}, {"assignee": None})
    return len(tickets)


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------

#: What a technician may move a ticket to, from each status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (IN_PROGRESS, WAITING, RESOLVED),
    ASSIGNED: (IN_PROGRESS, WAITING, RESOLVED),
    IN_PROGRESS: (WAITING, RESOLVED),
    WAITING: (IN_PROGRESS, RESOLVED),
    RESOLVED: (IN_PROGRESS, CLOSED),
    CLOSED: (),
}


def change_status(
    request: Request, ticket: Ticket, status: str, waiting_for: str | None = None, technician: Account | None = None
) -> None:
    """A technician moves the ticket along its lifecycle (``technician``: who acts, else the signed-in person)."""
    technician = actor_of(request, technician)
    check_may_work_on(request, ticket, technician)
    if status not in STATUSES:
        raise Refused(f"Statut inconnu : « {status[:40]} ».", 400)
    if status not in TRANSITIONS[ticket.status]:
        raise Refused(f"Un ticket {ticket.status_label.lower()} ne peut pas passer à « {STATUSES[status].lower()} ».")
    if status == WAITING and waiting_for not in WAITING_FOR:
        raise Refused("Dites qui le ticket attend : le demandeur ou un tiers.", 400)
    if status in (IN_PROGRESS, RESOLVED) and ticket.assignee_id is None:
        ticket.assignee = technician  # whoever works on or resolves an unassigned ticket holds it
    set_status(request, ticket, status, waiting_for)


def set_status(request: Request, ticket: Ticket, status: str, waiting_for: str | None = None) -> None:
    """Move the ticket (rules already checked), pausing or resuming the service-level clock."""
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
    audit(request, ticket, "status", f"Ticket {ticket.reference} : {label}.", before, {"status": status})
    if status == RESOLVED:
        notify(request, ticket, f"Demande résolue : {ticket.title}", resolved_mail(request, ticket))
        for child in ticket.children:
            if child.is_open:
                set_status(request, child, RESOLVED)


def shift_due_dates(request: Request, ticket: Ticket, instant: datetime.datetime) -> None:
    """The time spent waiting does not count: push the due dates back by the business time it lasted."""
    if ticket.paused_since is None:
        return
    calendar = helpdesk_settings.get(request.registry).calendar
    paused = calendar.between(ticket.paused_since, instant)
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        ticket.first_response_due = calendar.add(ticket.first_response_due, paused)
    if ticket.resolution_due is not None:
        ticket.resolution_due = calendar.add(ticket.resolution_due, paused)
    ticket.paused_since = None


def resolved_mail(request: Request, ticket: Ticket) -> str:
    days = helpdesk_settings.get(request.registry).reopen_days
    return (
        f"Bonjour,\n\nVotre demande {ticket.reference} « {ticket.title} » est résolue.\n\n"
        f"Dites-nous ce que vous pensez de la réponse (de 1 à 5) : {ticket_url(request, ticket)}\n"
        f"Si le problème persiste, rouvrez-la dans les {days} jours, "
        "depuis la même page ou en répondant à ce courriel.\n"
    )


def reopen_deadline(request: Request, ticket: Ticket) -> datetime.datetime | None:
    if ticket.resolved_at is None:
        return None
    return ticket.resolved_at + datetime.timedelta(days=helpdesk_settings.get(request.registry).reopen_days)


def can_still_reopen(request: Request, ticket: Ticket) -> bool:
    deadline = reopen_deadline(request, ticket)
    return ticket.status == RESOLVED and (deadline is None or now(request) <= deadline)


def takes_replies(request: Request, ticket: Ticket) -> bool:
    """Would a requester's reply be taken: not closed; resolved, but within its reopening delay."""
    return ticket.status != CLOSED and (ticket.status != RESOLVED or can_still_reopen(request, ticket))


def reopen(request: Request, ticket: Ticket, author: Account) -> None:
    """The requester says the problem persists, within the reopening delay."""
    if ticket.status != RESOLVED:
        raise Refused(f"Seul un ticket résolu peut être rouvert ; celui-ci est {ticket.status_label.lower()}.")
    if not can_still_reopen(request, ticket):
        raise Refused("Le délai pour rouvrir ce ticket est passé : ouvrez une nouvelle demande en citant sa référence.")
    ticket.reopened += 1
    ticket.rating = ticket.rating_comment = None
    set_status(request, ticket, IN_PROGRESS if ticket.assignee_id else NEW)
    audit(request, ticket, "reopen", f"Ticket {ticket.reference} rouvert par {author.display_name}.")


def rate(request: Request, ticket: Ticket, rating: str, comment: str) -> None:
    errors = FormErrors()
    value = check_choice(errors, "rating", rating, {n: str(n) for n in range(1, 6)}, "La note")
    comment = check_text(errors, "comment", comment, "Le commentaire", 2000, required=False)
    if errors:
        raise Invalid(errors)
    if ticket.status not in (RESOLVED, CLOSED):
        raise Refused("Vous pourrez noter la réponse quand le ticket sera résolu.")
    ticket.rating, ticket.rating_comment = value, comment or None
    audit(request, ticket, "rate", f"Réponse au ticket {ticket.reference} notée {value}/5.", after={"rating": value})


def override_priority(
    request: Request, ticket: Ticket, priority: str, reason: str, actor: Account | None = None
) -> None:
    check_may_work_on(request, ticket, actor)
    errors = FormErrors()
    value = check_choice(errors, "priority", priority, PRIORITIES, "La priorité")
    reason = check_text(errors, "reason", reason, "La raison du changement de priorité", 500)
    if errors:
        raise Invalid(errors)
    before = {"priority": ticket.priority}
    ticket.priority, ticket.priority_reason = value, reason
    set_service_levels(request, ticket, ticket.created_at)
    ticket.updated_at = now(request)
    audit(
        request,
        ticket,
        "priority",
        f"Priorité du ticket {ticket.reference} : {PRIORITIES[value]} ({reason}).",
        before,
        {"priority": value},
    )


# ---------------------------------------------------------------------------
# Major incidents
# ---------------------------------------------------------------------------


def link_to_incident(request: Request, child: Ticket, parent: Ticket, actor: Account | None = None) -> None:
    """``child`` duplicates the major incident ``parent``: it will be resolved with it."""
    check_may_work_on(request, child, actor)
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
    child.updated_at = now(request)
    audit(
        request,
        child,
        "link",
        f"Ticket {child.reference} rattaché à l'incident {parent.reference}.",
        before,
        {"parent": parent.reference},
    )


# ---------------------------------------------------------------------------
# Audit and mail
# ---------------------------------------------------------------------------


def audit(
    request: Request,
    ticket: Ticket,
    action: str,
    summary: str,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> None:
    changes = None if before is None and after is None else {"before": before, "after": after}
    request.find_service(IAuditLog).record(
        f"helpdesk:ticket:{action}",
        summary,
        module=MODULE,
        object_type="ticket",
        object_id=str(ticket.id),
        changes=changes,
    )


def notify(request: Request, ticket: Ticket, subject: str, body: str) -> int | None:
    """Mail the requester, with a Message-ID the helpdesk remembers so that their reply finds the ticket.

    Returns the outbox row's id, or None when the requester's address is unusable.
    """
    try:
        address = check_address(ticket.requester.email or "")
    except ValueError:
        log.warning("No notification for %s: unusable address %r", ticket.reference, ticket.requester.email)
        return None
    message_id = make_msgid(idstring=f"helpdesk.{ticket.id}", domain=sender_domain(request.registry))
    mail_id: int = request.find_service(IMailer).send(
        address,
        f"[{ticket.reference}] {subject}",
        body,
        reply_to=helpdesk_settings.get(request.registry).address,
        message_id=message_id,
    )
    # Without the ORM's unit of work, like the outbox row it goes with: every ticket opened writes one.
    link = {"message_id": message_id, "ticket_id": ticket.id, "incoming": False, "created_at": now(request)}
    request.db.connection().execute(sa.insert(cast(sa.Table, MailLink.__table__)), link)
    mark_changed(request.db)
    return mail_id
