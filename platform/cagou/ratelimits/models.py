"""Counters of attempts, per key and time window, shared by every process."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.db import Base
from cagou.db.types import UTCDateTime


class AttemptCounter(Base):
    """How many attempts ``key`` (a digest of rule and subject) made in the window starting at ``window_start``."""

    __tablename__ = "attempt_counter"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    window_start: Mapped[datetime.datetime] = mapped_column(UTCDateTime, primary_key=True)
    attempts: Mapped[int]
