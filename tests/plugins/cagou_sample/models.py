"""The sample module's tables, prefixed with its name."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cagou.kit import Base, Directorate, Encrypted


class SampleNote(Base):
    __tablename__ = "sample_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    directorate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("directorate.id"))
    #: A module's secret: encrypted with ``ISecrets``, re-encrypted by ``cagou secrets rotate`` with the core's.
    access_code: Mapped[str | None] = mapped_column(Encrypted)

    directorate: Mapped[Directorate | None] = relationship()


class SampleEvent(Base):
    """What the sample module saw happen: lifecycle hooks, jobs."""

    __tablename__ = "sample_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.String(255), default="")
