"""Counters behind the human reference numbers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.db import Base


class ReferenceCounter(Base):
    """The last number given for one prefix and year (``AIDE`` in 2026)."""

    __tablename__ = "reference_counter"

    prefix: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int]
