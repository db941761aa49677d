"""The helpdesk's tables, all prefixed with ``helpdesk_``.

A ticket belongs to a requester (the agent who needs help), sits in the queue
of one group of technicians, and may be assigned to one of them. Its messages
are public replies (mailed to the requester) or internal notes (never shown to
them). Service-level due dates are stored on the ticket, computed in business
hours when the ticket opens and pushed back while it waits.
"""

from __future__ import annotations

import datetime
import re

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cagou.kit import Account, Base, UTCDateTime

# Ticket statuses, in the order of the lifecycle.
NEW = "new"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
WAITING = "waiting"
RESOLVED = "resolved"
CLOSED = "closed"
STATUSES: dict[str, str] = {
    NEW: "Nouveau",
    ASSIGNED: "Attribué",
    IN_PROGRESS: "En cours",
    WAITING: "En attente",
    RESOLVED: "Résolu",
    CLOSED: "Clos",
}
OPEN_STATUSES = (NEW, ASSIGNED, IN_PROGRESS, WAITING)

# Who a waiting ticket waits for.
WAITING_FOR_REQUESTER = "requester"
WAITING_FOR_THIRD_PARTY = "third_party"
WAITING_FOR: dict[str, str] = {
    WAITING_FOR_REQUESTER: "le demandeur",
    WAITING_FOR_THIRD_PARTY: "un tiers (fournisseur, autre service)",
}

URGENCIES: dict[int, str] = {1: "Basse", 2: "Normale", 3: "Haute"}
IMPACTS: dict[int, str] = {1: "Une personne", 2: "Un service", 3: "Toute une direction ou plus"}
PRIORITIES: dict[int, str] = {1: "P1 — critique", 2: "P2 — haute", 3: "P3 — normale", 4: "P4 — basse"}

# Message kinds.
REPLY = "reply"
NOTE = "note"

# Where a ticket or a message came from.
WEB = "web"
PHONE = "phone"
MAIL = "mail"
API = "api"
SOURCES: dict[str, str] = {WEB: "Formulaire", PHONE: "Téléphone", MAIL: "Courriel", API: "API"}


REFERENCE = re.compile(r"\bHD-(\d{6,})\b")


def reference_of(ticket_id: int) -> str:
    return f"HD-{ticket_id:06d}"


#: Ticket ids are 32-bit integers: a larger number names no ticket (and SQLite would overflow).
MAX_ID = 2**31 - 1


def id_of_reference(text: str) -> int | None:
    """The ticket id a reference (``HD-000123``) found in ``text`` names, or None."""
    found = REFERENCE.search(text)
    return as_id(found.group(1)) if found else None


def as_id(digits: str) -> int | None:
    """``digits`` as a ticket id, or None when it cannot be one."""
    if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
        return None
    value = int(digits)
    return value if 0 < value <= MAX_ID else None


class Category(Base):
    """A node of the category tree an IT administrator maintains (Matériel > Ordinateur portable)."""

    __tablename__ = "helpdesk_category"
    __table_args__ = (sa.UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helpdesk_category.id"))
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The names from the root, joined by " > ": what people type and read.
    path: Mapped[str] = mapped_column(sa.String(500), index=True)
    default_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helpdesk_group.id"))
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id])
    default_group: Mapped[Group | None] = relationship()


# One path names one category, whatever its case: the unique constraint above never fires at the root (two NULL
# parent_ids are never equal), so two administrators adding « Imprimantes » at the same instant both succeeded.
# admin.py's check (case and accents ignored) stays the friendly answer; this index is what a lost race hits.
# lower() folds ASCII only on SQLite, and what the database's locale says on PostgreSQL: never more than that check.
sa.Index("ix_helpdesk_category_lower_path", sa.func.lower(Category.path), unique=True)


class Group(Base):
    """A group of technicians with its queue: the user-assistance bureau, the infrastructure bureau."""

    __tablename__ = "helpdesk_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    manager: Mapped[Account | None] = relationship()
    members: Mapped[list[Account]] = relationship(secondary="helpdesk_member", order_by="Account.display_name")


class Member(Base):
    """A technician's membership of a group: they work on that group's tickets."""

    __tablename__ = "helpdesk_member"

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("helpdesk_group.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), primary_key=True, index=True)


#: The tickets of the open queue's partial index: queries.queue's condition, word for word.
OPEN_QUEUE_WHERE = sa.column("status").in_(OPEN_STATUSES)
#: The tickets "take the next one" hands out (ITickets.take_next's condition), in their partial index.
NEXT_WHERE = sa.and_(sa.column("status") == NEW, sa.column("assignee_id").is_(None), sa.column("parent_id").is_(None))
#: The tickets whose acknowledgement the worker has not written yet (the acknowledgement sweep's).
UNACKNOWLEDGED_WHERE = sa.column("acknowledged_at").is_(None)


class Ticket(Base):
    __tablename__ = "helpdesk_ticket"
    __table_args__ = (
        sa.Index("ix_helpdesk_ticket_queue", "group_id", "status", "priority", "id"),
        sa.Index("ix_helpdesk_ticket_assignee", "assignee_id", "status"),
        sa.Index("ix_helpdesk_ticket_requester", "requester_id", "id"),
        sa.Index("ix_helpdesk_ticket_created", "created_at"),
        # Partial indexes, each WHERE written exactly as its query's (SQLite only uses a partial index whose
        # every term appears in the query's WHERE; PostgreSQL must prove it from the query's values).
        # The open queue of a group in its default order (queries.queue: priority, then id): a page reads
        # its 51 rows in order instead of sorting every open ticket of the group.
        sa.Index(
            "ix_helpdesk_ticket_open_queue",
            "group_id",
            "priority",
            "id",
            postgresql_where=OPEN_QUEUE_WHERE,
            sqlite_where=OPEN_QUEUE_WHERE,
        ),
        # "Take the next one" (ITickets.take_next): the first unassigned new ticket of a group, in its order.
        sa.Index(
            "ix_helpdesk_ticket_next",
            "group_id",
            "priority",
            "resolution_due",
            "id",
            postgresql_where=NEXT_WHERE,
            sqlite_where=NEXT_WHERE,
        ),
        # The acknowledgement sweep (jobs.acknowledge_forgotten): the few tickets whose acknowledgement is not written.
        sa.Index(
            "ix_helpdesk_ticket_unacknowledged",
            "created_at",
            postgresql_where=UNACKNOWLEDGED_WHERE,
            sqlite_where=UNACKNOWLEDGED_WHERE,
        ),
        sa.CheckConstraint("urgency BETWEEN 1 AND 3", name="urgency"),
        sa.CheckConstraint("impact BETWEEN 1 AND 3", name="impact"),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name="priority"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helpdesk_category.id"))
    urgency: Mapped[int] = mapped_column(default=2)
    impact: Mapped[int] = mapped_column(default=1)
    priority: Mapped[int] = mapped_column(default=3)
    priority_reason: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default=NEW)
    waiting_for: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(16), default=WEB)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("helpdesk_group.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    #: The major incident this ticket duplicates: resolving the parent resolves it.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helpdesk_ticket.id"), index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    first_response_due: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: Since when the service-level clock is paused (the ticket waits), or None.
    paused_since: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: When the group's manager was told of a breach (once per ticket).
    breach_notified_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: When the worker wrote the requester's acknowledgement (job ``helpdesk.acknowledge``), or None until then.
    acknowledged_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    reopened: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(sa.Text)

    category: Mapped[Category | None] = relationship()
    group: Mapped[Group] = relationship()
    requester: Mapped[Account] = relationship(foreign_keys=[requester_id])
    opened_by: Mapped[Account] = relationship(foreign_keys=[opened_by_id])
    assignee: Mapped[Account | None] = relationship(foreign_keys=[assignee_id])
    parent: Mapped[Ticket | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Ticket]] = relationship(back_populates="parent", order_by="Ticket.id")
    messages: Mapped[list[Message]] = relationship(back_populates="ticket", order_by="Message.id")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="ticket", order_by="Attachment.id")

    @property
    def reference(self) -> str:
        """What people quote on the phone and in mail subjects: ``HD-000123``.

        Derived from the id rather than drawn from a counter, so that agents
        opening tickets at the same moment never wait on each other.
        """
        return reference_of(self.id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def priority_label(self) -> str:
        return PRIORITIES[self.priority]


class Message(Base):
    """A public reply (the requester sees it and receives it by mail) or an internal note."""

    __tablename__ = "helpdesk_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("helpdesk_ticket.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    kind: Mapped[str] = mapped_column(sa.String(16), default=REPLY)
    body: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(16), default=WEB)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[Account] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message", order_by="Attachment.id")

    @property
    def is_note(self) -> bool:
        return self.kind == NOTE


class Attachment(Base):
    """A file joined to a ticket (a screenshot, a log), kept by the platform's file storage."""

    __tablename__ = "helpdesk_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("helpdesk_ticket.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helpdesk_message.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    file_key: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    message: Mapped[Message | None] = relationship(back_populates="attachments")


class MailLink(Base):
    """A mail message known to the helpdesk, by its Message-ID: what threads replies and stops duplicates.

    Outgoing notifications are recorded so that a reply's ``In-Reply-To``
    finds its ticket; incoming mail is recorded so that the same message
    delivered twice is handled once.
    """

    __tablename__ = "helpdesk_mail_link"

    message_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("helpdesk_ticket.id"), index=True)
    incoming: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class Article(Base):
    """A knowledge-base article, written by technicians and published to agents."""

    __tablename__ = "helpdesk_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("helpdesk_category.id"))
    published: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)

    category: Mapped[Category | None] = relationship()
    author: Mapped[Account] = relationship()


class CannedAnswer(Base):
    """A ready-made reply a technician inserts and adapts."""

    __tablename__ = "helpdesk_canned_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)
    body: Mapped[str] = mapped_column(sa.Text)


class PriorityRule(Base):
    """One cell of the urgency × impact matrix an administrator configures."""

    __tablename__ = "helpdesk_priority_rule"

    urgency: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    impact: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    priority: Mapped[int]


class ServiceLevel(Base):
    """The service levels of one priority, in business minutes."""

    __tablename__ = "helpdesk_service_level"

    priority: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
