"""The audit log's table: one row per event, never updated nor deleted."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.db import Base
from cagou.db.types import UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_occurred_at", "occurred_at"),
        sa.Index("ix_audit_entry_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    actor_login: Mapped[str | None] = mapped_column(sa.String(120))
    actor_kind: Mapped[str | None] = mapped_column(sa.String(16))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    module: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(120))
    object_type: Mapped[str | None] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(128))
    summary: Mapped[str] = mapped_column(sa.Text)
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
