"""Private annotations, eligibility rules and the triage's weights: what a procedure's designer sets for its
instructors, and what the instructors fill on each application.

A procedure's **instruction rules** are one row (``aids_instruction_rules``)
beside the procedure rather than columns on it: the annotations' definitions,
the eligibility rules and the triage's weights, each a JSON document checked
whole by its parser (:mod:`cagou_aids.annotations`,
:mod:`cagou_aids.eligibility`, :mod:`cagou_aids.triage`). They are not
versioned with the form: an annotation is the instructors' own note, and a
change of its definition applies to every application at once (a value whose
annotation was removed is kept, and no longer shown).

An **annotation value** is one row per application and annotation code,
never read by anything the applicant reaches. A file annotation's value is
the id of its ``aids_file`` row, whose ``field`` is ``annotation:<code>``
(:data:`cagou_aids.annotations.FILE_FIELD_PREFIX`), which keeps it out of the
lists of the files the applicant sent.

An **eligibility snapshot** keeps, with the proposal it goes with (a row of
``aids_application_transition``), the suggestion the rules made at that
moment: the rules and the answers may change later, the decision's context
does not.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.kit import Base, UTCDateTime

MAX_CODE = 24


class InstructionRules(Base):
    __tablename__ = "aids_instruction_rules"

    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"), primary_key=True)
    #: The private annotations, as :func:`cagou_aids.annotations.annotations_data` writes them.
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    #: The eligibility rules (:func:`cagou_aids.eligibility.rules_data`), or {} for none.
    eligibility: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: The triage's weights (:func:`cagou_aids.triage.weights_data`), or {} for none.
    triage: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class AnnotationValue(Base):
    __tablename__ = "aids_annotation_value"
    __table_args__ = (sa.UniqueConstraint("application_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    code: Mapped[str] = mapped_column(sa.String(MAX_CODE))
    #: Typed by its kind: a text, a whole number of F CFP, true/false, an option, a file's id.
    value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    #: The instructor who set it last.
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class EligibilitySnapshot(Base):
    __tablename__ = "aids_eligibility_snapshot"
    __table_args__ = (sa.Index("ix_aids_eligibility_snapshot_application", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    transition_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application_transition.id"), unique=True)
    eligible: Mapped[bool | None]
    #: The suggestion as the page said it ("Éligible : perte de CA 62 % ≥ 50 %, …").
    text: Mapped[str] = mapped_column(sa.String(500))
    amount: Mapped[int | None]
    at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
