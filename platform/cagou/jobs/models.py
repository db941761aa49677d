"""The claims of scheduled slots, one row per job and minute it ran for."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.db import Base
from cagou.db.types import UTCDateTime


class ScheduledRun(Base):
    """Job ``job`` ran (or is running) for the slot starting at ``slot``."""

    __tablename__ = "scheduled_run"

    job: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    slot: Mapped[datetime.datetime] = mapped_column(UTCDateTime, primary_key=True)
    started_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)
