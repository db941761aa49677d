"""The instructors' queue: each agent's saved views of a procedure's list, and the list's own index.

A saved view is a name and the query string of the list (filters, columns,
order), so that opening it is opening a bookmark; it is the agent's own.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cagou.kit import Base, UTCDateTime
from cagou_aids.models import Application

MAX_VIEW_NAME = 80
MAX_VIEW_QUERY = 2000

#: The state filter and its order at once ("the 50 latest « proposée »" reads 50 index entries, not the state's
#: every row sorted), and the counts per state from the index alone (``is_test`` in it: the list leaves the
#: tests out once a procedure is published).
sa.Index(
    "ix_aids_application_state_list",
    Application.__table__.c.procedure_id,
    Application.__table__.c.is_test,
    Application.__table__.c.state,
    Application.__table__.c.submitted_at,
    Application.__table__.c.id,
)


class SavedView(Base):
    __tablename__ = "aids_saved_view"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "procedure_id", "name"),
        sa.Index("ix_aids_saved_view_owner", "account_id", "procedure_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    procedure_id: Mapped[int] = mapped_column(sa.ForeignKey("aids_procedure.id"))
    name: Mapped[str] = mapped_column(sa.String(MAX_VIEW_NAME))
    #: The list's query string, without its page (``etat=proposee&col=commune&tri=ancien``).
    query: Mapped[str] = mapped_column(sa.String(MAX_VIEW_QUERY))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)
