"""The outbox: every mail the platform sends, kept until it has left."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.db import Base
from cagou.db.types import Encrypted, UTCDateTime

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


class OutboxMail(Base):
    """A message to send, or sent.

    Its bodies are encrypted with the key ring (``ISecrets``): they carry the
    single-use links of password resets and address confirmations, which let
    whoever reads them into an account until they are used or expire.
    """

    __tablename__ = "outbox_mail"
    __table_args__ = (
        sa.Index("ix_outbox_mail_due", "status", "next_attempt_at"),
        sa.Index("uq_outbox_mail_idempotency_key", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body_text: Mapped[str] = mapped_column(Encrypted)
    body_html: Mapped[str | None] = mapped_column(Encrypted)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: One mail per key, whoever writes it (``IMailer.send(key=…)``): a job run twice sends once.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(255))
    #: The attached files, JSON (name, type, base64 bytes) encrypted as the bodies are: they may be personal.
    attachments: Mapped[str | None] = mapped_column(Encrypted)
