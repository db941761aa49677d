"""The stored state of each module on each site."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.db import Base
from cagou.db.types import UTCDateTime


class ModuleState(Base):
    """Whether ``module`` is enabled on ``site``; no row means the default applies."""

    __tablename__ = "module_state"

    module: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    site: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    enabled: Mapped[bool]
    changed_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
