"""Expert opinions ("avis"): an instructor asks another directorate or an outside expert about an application.

An opinion is asked either of a **directorate** (its agents holding
``aids:instructor`` or ``aids:expert`` there answer on the intranet) or of an
**outside address**, which receives a one-time link: only the SHA-256 of its
token is kept, the link works until the opinion is answered or its deadline
passes. The instructor chooses the application's files the expert may read
(``aids_opinion_shared_file``); the expert's own files are kept apart from the
application's (``aids_opinion_file``), so that nothing of an opinion ever
reaches the applicant's pages, receipt or ZIP.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cagou.kit import Base, Directorate, UTCDateTime

if TYPE_CHECKING:
    from cagou_aids.models import Application, StoredFile

#: Who reads an opinion: the asker and the directorate's validators only, or every instructor of the procedure.
CONFIDENTIAL, SHARED = "confidentiel", "partage"
VISIBILITIES = {CONFIDENTIAL: "Confidentiel", SHARED: "Partagé"}
MAX_QUESTION = 5000
MAX_ANSWER = 5000


class Opinion(Base):
    __tablename__ = "aids_opinion"
    __table_args__ = (
        sa.Index("ix_aids_opinion_application", "application_id", "asked_at"),
        # The directorate's list "Avis demandés", and the reminders' sweep.
        sa.Index("ix_aids_opinion_directorate", "directorate_id", "answered_at"),
        sa.Index("ix_aids_opinion_waiting", "answered_at", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    asked_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: The instructor who asked.
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    question: Mapped[str] = mapped_column(sa.Text)
    visibility: Mapped[str] = mapped_column(sa.String(16), default=CONFIDENTIAL)
    #: Asked of a directorate's agents…
    directorate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directorate.id"))
    #: …or of an outside expert, by mail, through a one-time link whose token's SHA-256 only is kept.
    expert_email: Mapped[str] = mapped_column(sa.String(254), default="")
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: After it, the link answers 410 and nobody answers any more.
    deadline: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: How many reminders the outside expert was sent (two at most), and the latest.
    reminders: Mapped[int] = mapped_column(default=0, server_default="0")
    reminded_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: The agent who answered; None for an outside expert.
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    #: The answer: favourable (yes) or not, and why.
    favourable: Mapped[bool | None] = mapped_column()
    answer: Mapped[str] = mapped_column(sa.Text, default="")

    directorate: Mapped[Directorate | None] = relationship()
    application: Mapped[Application] = relationship()
    shared_files: Mapped[list[StoredFile]] = relationship(
        secondary="aids_opinion_shared_file", order_by="StoredFile.id"
    )
    files: Mapped[list[OpinionFile]] = relationship(order_by="OpinionFile.id")


class OpinionSharedFile(Base):
    """An application's file the instructor let the expert read."""

    __tablename__ = "aids_opinion_shared_file"

    opinion_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_opinion.id"), primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_file.id"), primary_key=True)


class OpinionFile(Base):
    """A file the expert attached to their answer (PDF, JPEG or PNG, judged from its bytes)."""

    __tablename__ = "aids_opinion_file"
    __table_args__ = (sa.Index("ix_aids_opinion_file_opinion", "opinion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_opinion.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(sa.String(100))
    #: Where ``IFileStorage`` keeps it.
    storage_key: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
