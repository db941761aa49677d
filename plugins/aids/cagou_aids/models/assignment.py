"""Who works on an application: groups of instructors per procedure, the assignment, the followers, what each
agent last saw.

A procedure's designer defines its **groups of instructors** ("groupes instructeurs"): each names its members
(agents of the directorate) and a routing rule, a field of the form and the answers that send an application
to it; one group may be the default, for every answer no rule names. The submission puts the application in
its group (``aids_application_assignment.group_id``), once: moving the rules later does not move the files.
The same row holds the agent the application is assigned to. Followers are mailed what happens to it, and
``aids_application_seen`` says when each agent last opened it, for the badges on what changed since.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cagou.kit import Base, UTCDateTime

__all__ = ["Assignment", "Follower", "GroupMember", "InstructorGroup", "Seen"]

MAX_GROUP_NAME = 100
MAX_ROUTING_VALUE = 200


class InstructorGroup(Base):
    """A group of instructors of a procedure, with the answers that route an application to it."""

    __tablename__ = "aids_instructor_group"
    __table_args__ = (sa.UniqueConstraint("procedure_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"))
    name: Mapped[str] = mapped_column(sa.String(MAX_GROUP_NAME))
    #: The form's field whose answer routes ("" for the default group, which takes what no rule names).
    field: Mapped[str] = mapped_column(sa.String(40), default="")
    #: The answers of ``field`` that send an application here, as the form stores them.
    routing_values: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)

    members: Mapped[list[GroupMember]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def member_ids(self) -> set[int]:
        return {member.account_id for member in self.members}


class GroupMember(Base):
    __tablename__ = "aids_instructor_group_member"
    __table_args__ = (sa.Index("ix_aids_instructor_group_member_account", "account_id"),)

    group_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_instructor_group.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), primary_key=True)


class Assignment(Base):
    """An application's group (set at its submission) and the agent it is assigned to: one row per application."""

    __tablename__ = "aids_application_assignment"
    __table_args__ = (
        sa.Index("ix_aids_application_assignment_group", "group_id"),
        sa.Index("ix_aids_application_assignment_assignee", "assignee_id"),
    )

    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"), primary_key=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_instructor_group.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    assigned_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: Who assigned it (the assignee themself for "Me l'attribuer").
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    group: Mapped[InstructorGroup | None] = relationship()


class Follower(Base):
    """An agent who follows an application: mailed the applicant's messages and the transitions others take."""

    __tablename__ = "aids_application_follower"
    __table_args__ = (sa.Index("ix_aids_application_follower_account", "account_id"),)

    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), primary_key=True)
    since: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class Seen(Base):
    """When an agent last opened an application's page: what changed after it is their badge."""

    __tablename__ = "aids_application_seen"

    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
