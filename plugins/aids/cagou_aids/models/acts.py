"""The budget envelope of a procedure, and the administrative acts ("arrêtés") that attribute its aids.

An **envelope** is the most a procedure may grant (F CFP): the validations
sum under the procedure's row lock and never exceed it
(:mod:`cagou_aids.services.envelopes`). An **act** lists validated
applications (its **lines**, each with the amount it grants), is numbered
without gaps per kind and year under its **counter**'s row lock, is signed
once (its PDF then frozen: stored bytes and their SHA-256) and never changes
afterwards; a correction is a new act of kind "rectificatif" referring to it.
A partial unique index keeps an application in one act not withdrawn at most,
whatever the service does. Each procedure's **act template** holds the texts
its designer writes (visas, considérants, articles, imputation, signatory).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cagou.kit import Base, UTCDateTime

if TYPE_CHECKING:  # the tables of cagou_aids.models, which imports this module at its end
    from cagou_aids.models import Application, Procedure

#: An act's kinds: the attribution of aids, and the correction of a signed act.
ATTRIBUTION, RECTIFICATION = "attribution", "rectificatif"
ACT_KINDS = {ATTRIBUTION: "Arrêté attribuant l'aide", RECTIFICATION: "Arrêté rectificatif"}
#: An act's states: being prepared, signed (frozen), withdrawn before signature.
UNSIGNED, SIGNED, WITHDRAWN_ACT = "brouillon", "signe", "retire"
ACT_STATES = {UNSIGNED: "En préparation", SIGNED: "Signé", WITHDRAWN_ACT: "Retiré"}
MAX_ACT_TITLE = 300
MAX_IMPUTATION = 200
MAX_SIGNATORY = 300
MAX_ACT_TEXT = 20_000

__all__ = ["Act", "ActCounter", "ActLine", "ActTemplate", "Envelope"]


class Envelope(Base):
    """The most a procedure may grant, in F CFP (whole francs); no row: no ceiling set yet."""

    __tablename__ = "aids_envelope"

    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class ActTemplate(Base):
    """What a procedure's acts say besides their table of beneficiaries, as its designer writes it."""

    __tablename__ = "aids_act_template"

    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_ACT_TITLE))
    visas: Mapped[str] = mapped_column(sa.Text)
    considerants: Mapped[str] = mapped_column(sa.Text)
    #: The articles after the first (which is the table of beneficiaries), one paragraph each.
    articles: Mapped[str] = mapped_column(sa.Text)
    imputation: Mapped[str] = mapped_column(sa.String(MAX_IMPUTATION))
    #: The signature block's title ("Le président de l'assemblée de la province Sud").
    signatory: Mapped[str] = mapped_column(sa.String(MAX_SIGNATORY))
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class Act(Base):
    __tablename__ = "aids_act"
    __table_args__ = (
        sa.UniqueConstraint("kind", "year", "number"),
        sa.Index("ix_aids_act_procedure", "procedure_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    year: Mapped[int]
    #: Without gaps within its kind and year (:class:`ActCounter`).
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(MAX_ACT_TITLE))
    state: Mapped[str] = mapped_column(sa.String(16), default=UNSIGNED)
    visas: Mapped[str] = mapped_column(sa.Text)
    considerants: Mapped[str] = mapped_column(sa.Text)
    articles: Mapped[str] = mapped_column(sa.Text)
    imputation: Mapped[str] = mapped_column(sa.String(MAX_IMPUTATION))
    signatory: Mapped[str] = mapped_column(sa.String(MAX_SIGNATORY))
    #: The act a rectificatif corrects.
    refers_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_act.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: The signed PDF: where ``IFileStorage`` keeps its bytes, and their SHA-256 (also in the audit entry).
    pdf_key: Mapped[str] = mapped_column(sa.String(255), default="")
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    signed_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)

    procedure: Mapped[Procedure] = relationship()
    refers_to: Mapped[Act | None] = relationship(remote_side=[id])
    lines: Mapped[list[ActLine]] = relationship(back_populates="act", order_by="ActLine.id")

    @property
    def reference(self) -> str:
        """The act's number as written on it: ``2026-0007``, a rectificatif's ``2026-R0002``."""
        return f"{self.year}-{'R' if self.kind == RECTIFICATION else ''}{self.number:04d}"

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


class ActLine(Base):
    """One beneficiary of an act: the application, and the amount the act grants it."""

    __tablename__ = "aids_act_line"
    __table_args__ = (
        sa.Index("ix_aids_act_line_act", "act_id", "id"),
        # An application sits in one act not withdrawn at most: the database refuses a second (withdrawing an act
        # clears its lines' ``active``).
        sa.Index(
            "uq_aids_act_line_active",
            "application_id",
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_act.id"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    act: Mapped[Act] = relationship(back_populates="lines")
    application: Mapped[Application] = relationship()


class ActCounter(Base):
    __tablename__ = "aids_act_counter"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
