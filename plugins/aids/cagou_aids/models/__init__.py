"""The aids module's tables, named aids_… (the core checks it).

A **procedure** ("démarche") is what the public sees in the catalogue: its
settings, its state, and its versions. Each **version** holds the form's
definition as JSON (:mod:`cagou_aids.definition`); a published procedure is
edited as a new version, and every **application** keeps the version it was
filled under, so that it always displays as it was. The **receipt counter**
gives each application its number (``RAP-2026-000042``), one row per prefix
and year, taken under the row's lock: never the same number twice, whatever
the number of processes.

The tables of the processing chain that came later (annotations, acts,
payments, …) each sit in a module of this package named by its concern, which
refers to the tables here by name (``relationship("Application")``) and is
imported at the bottom of this file, so that ``from cagou_aids.models import
…`` finds every table.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cagou.kit import Base, Directorate, UTCDateTime
from cagou_aids.definition import EMAIL, Definition, parse_definition
from cagou_aids.workflow import Workflow as WorkflowSpec
from cagou_aids.workflow import parse_workflow

MAX_TITLE = 200
MAX_SUMMARY = 500
MAX_HELP = 20_000
MAX_CATEGORY = 100
MAX_SLUG = 80
MAX_PREFIX = 12

#: A procedure's states: being built, reachable by its link only for trying, open to the public, closed.
DRAFT, TEST, PUBLISHED, CLOSED = "brouillon", "test", "publiee", "fermee"
PROCEDURE_STATES = {DRAFT: "Brouillon", TEST: "En test", PUBLISHED: "Publiée", CLOSED: "Fermée"}
#: Who may apply.
INDIVIDUALS, COMPANIES, BOTH = "particuliers", "entreprises", "tous"
AUDIENCES = {INDIVIDUALS: "Particuliers", COMPANIES: "Entreprises (RIDET)", BOTH: "Particuliers et entreprises"}
#: An application's states in this part: the next one (instruction) adds the rest.
SUBMITTED, WITHDRAWN, COMPLEMENT = "deposee", "retiree", "complement"
APPLICATION_STATES = {SUBMITTED: "Déposée", WITHDRAWN: "Retirée", COMPLEMENT: "Compléments demandés"}
#: What each state means for the applicant, in plain French.
STATE_EXPLANATIONS = {
    SUBMITTED: "Votre demande est enregistrée. Le service instructeur va l'examiner ; "
    "il vous écrira ici et par courriel s'il lui faut un complément.",
    WITHDRAWN: "Vous avez retiré cette demande : elle ne sera pas instruite. Vous pouvez en déposer une nouvelle.",
    COMPLEMENT: "Le service instructeur vous demande des compléments : lisez sa demande ci-dessous et "
    "envoyez-les depuis cette page.",
}
#: The states in which the applicant may still withdraw: before any decision.
WITHDRAWABLE = (SUBMITTED, COMPLEMENT)


class Procedure(Base):
    __tablename__ = "aids_procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The procedure's address in the catalogue (``/demarches/<slug>``).
    slug: Mapped[str] = mapped_column(sa.String(MAX_SLUG), unique=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE))
    summary: Mapped[str] = mapped_column(sa.String(MAX_SUMMARY), default="")
    #: Markdown, rendered safely.
    help_text: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[str] = mapped_column(sa.String(16))
    category: Mapped[str] = mapped_column(sa.String(MAX_CATEGORY), default="")
    state: Mapped[str] = mapped_column(sa.String(16), default=DRAFT)
    opens_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: The instructing directorate: a foreign key to the core's, never a read of its table.
    directorate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directorate.id"))
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    receipt_prefix: Mapped[str] = mapped_column(sa.String(MAX_PREFIX))
    #: The personal-data notice: legal basis, purpose, retention (months), the DPO's contact.
    data_notice: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: The workflow its applications follow (:mod:`cagou_aids.workflow`); None: submitted, withdrawn, nothing more.
    workflow_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_workflow_version.id"))
    #: How many distinct validators a proposal needs (one to three), when the workflow has a validation.
    validation_levels: Mapped[int] = mapped_column(default=1, server_default="1")

    directorate: Mapped[Directorate | None] = relationship()
    workflow_version: Mapped[WorkflowVersion | None] = relationship(lazy="selectin")
    versions: Mapped[list[ProcedureVersion]] = relationship(
        back_populates="procedure", order_by="ProcedureVersion.number", lazy="selectin"
    )

    @property
    def latest(self) -> ProcedureVersion:
        return self.versions[-1]

    @property
    def public_version(self) -> ProcedureVersion | None:
        """The version the public fills: the published one, or the latest while in test (reached by its link
        only, never listed in the catalogue)."""
        return self.latest if self.state == TEST else self.published

    @property
    def published(self) -> ProcedureVersion | None:
        """The version applicants fill now: the latest one published."""
        return next((version for version in reversed(self.versions) if version.published_at is not None), None)


class ProcedureVersion(Base):
    __tablename__ = "aids_procedure_version"
    __table_args__ = (sa.UniqueConstraint("procedure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"))
    number: Mapped[int]
    #: The form, as :func:`cagou_aids.definition.definition_data` writes it.
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)

    procedure: Mapped[Procedure] = relationship(back_populates="versions")

    @property
    def parsed(self) -> Definition:
        """The definition, parsed once per loaded version and request (a changed definition is a new dict, which
        the ORM needs anyway to see the change, and is parsed again)."""
        cached: tuple[dict[str, Any], Definition] | None = self.__dict__.get("_parsed")
        if cached is None or cached[0] is not self.definition:
            cached = (self.definition, parse_definition(self.definition))
            self.__dict__["_parsed"] = cached
        return cached[1]


class Application(Base):
    __tablename__ = "aids_application"
    __table_args__ = (
        # A double click, the back button or a retry gives one application.
        sa.UniqueConstraint("procedure_id", "idempotency_key"),
        sa.Index("ix_aids_application_list", "procedure_id", "submitted_at", "id"),
        sa.Index("ix_aids_application_identity", "procedure_id", "identity"),
        # The sweep's question every minute: the applications whose confirmation job was lost.
        sa.Index("ix_aids_application_unconfirmed", "confirmed_at", "submitted_at"),
        # The instructors' counts per state and their state filter.
        sa.Index("ix_aids_application_state", "procedure_id", "state"),
        # The rows that point at an application or a version: deleting one reads them through these.
        sa.Index("ix_aids_application_duplicate_of", "duplicate_of_id"),
        sa.Index("ix_aids_application_version", "version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure_version.id"))
    receipt: Mapped[str] = mapped_column(sa.String(32), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=SUBMITTED)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: The public account that applied, or None for a guest (who gave ``email``).
    applicant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    email: Mapped[str] = mapped_column(sa.String(254))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    #: Sent while the procedure was in test: deleted when it is published.
    is_test: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: Who applies, from the answers the definition ``identifies`` (normalised); None when it names none.
    identity: Mapped[str | None] = mapped_column(sa.String(300))
    #: When the retention period ended and the answers, files and address were erased (the number stays).
    anonymised_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: The first application of the same identity on the procedure: a duplicate is flagged, never refused.
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_application.id"))
    #: When the confirmation mail, with its PDF receipt, was written to the outbox (by the job
    #: :func:`cagou_aids.jobs.confirm`); None until then.
    confirmed_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: The amount proposed (F CFP), then validated once the last validation level passes (services/envelopes.py).
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)

    version: Mapped[ProcedureVersion] = relationship()
    duplicate_of: Mapped[Application | None] = relationship(remote_side=[id])


class Draft(Base):
    """What an applicant has typed so far, page by page: kept until submitted, withdrawn or expired."""

    __tablename__ = "aids_draft"
    __table_args__ = (
        sa.Index("ix_aids_draft_applicant", "applicant_id", "updated_at"),
        sa.Index("ix_aids_draft_application", "application_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The draft's address (``/demarches/<slug>/brouillon/<token>/…``): unguessable, a guest's only key.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure_version.id"))
    applicant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    #: The answers of the pages accepted so far, as an application stores them.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: What was typed on each page, accepted or not (page number → field → values): nothing typed is lost.
    typed: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: The submission's key: submitting the draft twice gives one application.
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_application.id"))
    #: A guest (no account) proves their address with a code mailed to it: its SHA-256, and when they did.
    guest_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    confirmed_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: When the applicant was told the draft would expire (once).
    reminded_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)

    procedure: Mapped[Procedure] = relationship()
    version: Mapped[ProcedureVersion] = relationship()
    application: Mapped[Application | None] = relationship()

    @property
    def reply_address(self) -> str:
        """Where the applicant is written to: the account's or the guest's address, else the form's first
        e-mail answer."""
        if self.email:
            return self.email
        emails = (spec.name for spec in self.version.parsed.fields() if spec.type == EMAIL)
        return next((str(self.answers[name]) for name in emails if self.answers.get(name)), "")


class ApplicationEvent(Base):
    """One step of an application's history, as the applicant and the instructors read it."""

    __tablename__ = "aids_application_event"
    __table_args__ = (sa.Index("ix_aids_application_event_application", "application_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: The state the application reached (or kept).
    state: Mapped[str] = mapped_column(sa.String(16))
    #: What happened, in French.
    text: Mapped[str] = mapped_column(sa.String(500))
    #: Whether the applicant reads it: a workflow may keep a line for the instructors (a proposal, a return).
    public: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


#: A file's virus scan (cagou_aids.scanning): without a scanner, not scanned; with one, in quarantine until
#: found clean, or infected (its bytes then removed, and it is never served).
NOT_SCANNED, QUARANTINED, CLEAN, INFECTED = "non-analyse", "quarantaine", "sain", "infecte"
SCAN_STATES = {
    NOT_SCANNED: "Non analysé",
    QUARANTINED: "En quarantaine : analyse antivirus en attente",
    CLEAN: "Analysé : aucun virus",
    INFECTED: "Infecté : supprimé",
}


class StoredFile(Base):
    """A file an applicant sent for a file field: kept with its draft, then with the application it went into."""

    __tablename__ = "aids_file"
    __table_args__ = (
        sa.Index("ix_aids_file_draft", "draft_id"),
        sa.Index("ix_aids_file_application", "application_id"),
        sa.Index("ix_aids_file_scan_state", "scan_state"),
        sa.Index("ix_aids_file_message", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_draft.id"))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_application.id"))
    #: The field of the form it answers.
    field: Mapped[str] = mapped_column(sa.String(40))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    #: As read from the bytes, never from the name.
    content_type: Mapped[str] = mapped_column(sa.String(100))
    #: Where ``IFileStorage`` keeps it.
    storage_key: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: One of SCAN_STATES; served only when not scanned (no scanner configured) or clean.
    scan_state: Mapped[str] = mapped_column(sa.String(16), default=NOT_SCANNED, server_default=NOT_SCANNED)
    #: What the scanner found, when infected.
    scan_signature: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    scanned_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)

    @property
    def servable(self) -> bool:
        return self.scan_state in (NOT_SCANNED, CLEAN)

    #: The message it is attached to (with ``application_id`` its application's, so that retention erases it too);
    #: None for a file that answers the form.
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aids_message.id"))
    #: When a request for documents' answer replaced it: kept with the application, no longer listed.
    replaced_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)


#: Who wrote a message: the instructing service, or the applicant (signed in or through their private link).
INSTRUCTORS, APPLICANT = "instructeurs", "demandeur"
MESSAGE_AUTHORS = {INSTRUCTORS: "Le service instructeur", APPLICANT: "Le demandeur"}
MAX_MESSAGE = 5000


class ApplicationMessage(Base):
    """A message about an application, from the instructors to the applicant or back, with its attached files."""

    __tablename__ = "aids_message"
    __table_args__ = (sa.Index("ix_aids_message_application", "application_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(sa.String(16))
    #: The instructor's or the applicant's account; None for a guest.
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    text: Mapped[str] = mapped_column(sa.Text)


class ReceiptCounter(Base):
    __tablename__ = "aids_receipt_counter"

    prefix: Mapped[str] = mapped_column(sa.String(MAX_PREFIX), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class DocumentRequest(Base):
    """An instructor's request for documents: the fields of the form reopened, and why; answered once."""

    __tablename__ = "aids_document_request"
    __table_args__ = (sa.Index("ix_aids_document_request_application", "application_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    #: The instructor who asked.
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    #: The names of the reopened fields, in the form's order.
    fields: Mapped[list[str]] = mapped_column(sa.JSON)
    text: Mapped[str] = mapped_column(sa.Text)
    #: The state the application was in when asked, where the answer brings it back (a workflow asks from several).
    from_state: Mapped[str] = mapped_column(sa.String(16), default="deposee", server_default="deposee")
    answered_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    #: The instructor who closed it unanswered (taking the workflow out of "complement" by hand), at ``answered_at``.
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    application: Mapped[Application] = relationship()


class Workflow(Base):
    """A workflow (states and transitions) that procedures follow, known by its code; edited as new versions."""

    __tablename__ = "aids_workflow"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)

    versions: Mapped[list[WorkflowVersion]] = relationship(
        back_populates="workflow", order_by="WorkflowVersion.number", lazy="selectin"
    )

    @property
    def latest(self) -> WorkflowVersion:
        return self.versions[-1]


class WorkflowVersion(Base):
    __tablename__ = "aids_workflow_version"
    __table_args__ = (sa.UniqueConstraint("workflow_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_workflow.id"))
    number: Mapped[int]
    #: The workflow, as :func:`cagou_aids.workflow.workflow_data` writes it.
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)

    workflow: Mapped[Workflow] = relationship(back_populates="versions")

    @property
    def parsed(self) -> WorkflowSpec:
        cached: tuple[dict[str, Any], WorkflowSpec] | None = self.__dict__.get("_parsed")
        if cached is None or cached[0] is not self.definition:
            cached = (self.definition, parse_workflow(self.definition))
            self.__dict__["_parsed"] = cached
        return cached[1]


class TransitionTaken(Base):
    """Who took which transition on an application, when and why: the four-eyes rule reads it."""

    __tablename__ = "aids_application_transition"
    __table_args__ = (sa.Index("ix_aids_application_transition_application", "application_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_application.id"))
    workflow_version_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_workflow_version.id"))
    transition: Mapped[str] = mapped_column(sa.String(32))
    #: The review step it counts as (``proposal``, ``validation``) or "".
    step: Mapped[str] = mapped_column(sa.String(16), default="")
    from_state: Mapped[str] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    motivation: Mapped[str] = mapped_column(sa.Text, default="")

    #: The amount a proposal gave (F CFP), when the transition asks for one.
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)


from cagou_aids.models.acts import *  # noqa: E402, F403  (the envelopes and the acts)
from cagou_aids.models.annotations import AnnotationValue, EligibilitySnapshot, InstructionRules  # noqa: E402, F401
from cagou_aids.models.assignment import *  # noqa: E402, F403  (its __all__: the groups, assignment, following)
from cagou_aids.models.opinions import Opinion, OpinionFile, OpinionSharedFile  # noqa: E402, F401
from cagou_aids.models.queue import SavedView  # noqa: E402, F401  (the instructors' saved views)
