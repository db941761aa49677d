"""Finding entries: the console's filters, full-text search and keyset pages.

The filters come from a query string (the console's form, its CSV export and
its "older entries" link share them) and are checked here, with French
messages tied to their fields. Dates are days in the platform's time zone
(Nouméa): "from the 3rd to the 5th" covers the 3rd at midnight to the 6th at
midnight, local time.

Full-text search on the summary: PostgreSQL matches French words with their
stems (``websearch_to_tsquery('french', …)`` against the GIN index on
``to_tsvector('french', summary)``), so "désactivé" finds "désactiver";
SQLite uses its FTS5 index (``audit_entry_fts``, accents ignored), each word
typed matching the words that start with it. Both require every word typed.

Pages are keyset pages on the entry id, newest first: ``avant=<id>`` asks for
the entries before that one, so a page costs the same at the end of a million
entries as at the start, and entries written meanwhile do not shift it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.registry import Registry

from cagou.audit.models import CATEGORY_LABELS, AuditEntry
from cagou.clock import timezone
from cagou.web.forms import FormErrors, read_period

PAGE_SIZE = 100
MAX_TEXT_LENGTH = 200
WORD = re.compile(r"\w+")

#: Query string parameter → filter field.
PARAMETERS = {
    "du": "date_from",
    "au": "date_to",
    "qui": "person",
    "module": "module",
    "action": "action",
    "nature": "category",
    "type_objet": "object_type",
    "objet": "object_id",
    "q": "text",
}


@dataclass(frozen=True)
class AuditFilters:
    """What the person asked for; empty strings and None mean "any"."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    person: str = ""
    module: str = ""
    action: str = ""
    category: str = ""
    object_type: str = ""
    object_id: str = ""
    text: str = ""

    def query_string(self) -> dict[str, str]:
        """The parameters that ask for these filters again (for links and the export)."""
        values = {
            "du": self.date_from.isoformat() if self.date_from else "",
            "au": self.date_to.isoformat() if self.date_to else "",
            "qui": self.person,
            "module": self.module,
            "action": self.action,
            "nature": self.category,
            "type_objet": self.object_type,
            "objet": self.object_id,
            "q": self.text,
        }
        return {name: value for name, value in values.items() if value}

    def described(self) -> str:
        """The filters in a French phrase, for the audit entry of an export."""
        parts = [f"{name} = {value}" for name, value in self.query_string().items()]
        return ", ".join(parts) if parts else "aucun filtre"


def read_filters(params: Mapping[str, str], errors: FormErrors) -> AuditFilters:
    """The filters of a query string; problems go to ``errors``, next to their field."""
    raw = {name: " ".join(str(params.get(name, "")).split())[:MAX_TEXT_LENGTH] for name in PARAMETERS}
    date_from, date_to = read_period(errors, raw)
    if raw["nature"] and raw["nature"] not in CATEGORY_LABELS:
        errors.add("nature", "Choisissez une nature d'entrée de la liste.")
    return AuditFilters(
        date_from=date_from,
        date_to=date_to,
        person=raw["qui"].lower(),
        module=raw["module"],
        action=raw["action"],
        category=raw["nature"] if raw["nature"] in CATEGORY_LABELS else "",
        object_type=raw["type_objet"],
        object_id=raw["objet"],
        text=raw["q"],
    )


def read_before(value: str | None) -> int | None:
    """The keyset cursor: entries before this id; anything else means the first page."""
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def local_midnight(registry: Registry, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone(registry)).astimezone(datetime.UTC)


def text_condition(text: str, dialect: str) -> sa.ColumnElement[bool] | None:
    """Full-text search on the summary, with the database's own index."""
    words = WORD.findall(text)
    if not words:
        return None
    if dialect == "postgresql":
        # The configuration is written as a constant so that the expression matches the GIN index.
        french: sa.ColumnElement[Any] = sa.literal_column("'french'::regconfig")
        document = sa.func.to_tsvector(french, AuditEntry.summary)
        return document.bool_op("@@")(sa.func.websearch_to_tsquery(french, text))
    match = " ".join(f'"{word}"*' for word in words)
    found = sa.text("SELECT rowid FROM audit_entry_fts WHERE audit_entry_fts MATCH :match").bindparams(match=match)
    return AuditEntry.id.in_(found.columns(sa.column("rowid", sa.Integer)))


def conditions(registry: Registry, filters: AuditFilters, dialect: str) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of ``filters``."""
    where: list[sa.ColumnElement[bool]] = []
    if filters.date_from:
        where.append(AuditEntry.occurred_at >= local_midnight(registry, filters.date_from))
    if filters.date_to:
        where.append(AuditEntry.occurred_at < local_midnight(registry, filters.date_to + datetime.timedelta(days=1)))
    if filters.person:
        where.append(sa.or_(AuditEntry.actor_login == filters.person, AuditEntry.impersonator_login == filters.person))
    exact = {
        AuditEntry.module: filters.module,
        AuditEntry.action: filters.action,
        AuditEntry.category: filters.category,
        AuditEntry.object_type: filters.object_type,
        AuditEntry.object_id: filters.object_id,
    }
    where.extend(column == value for column, value in exact.items() if value)
    if filters.text and (found := text_condition(filters.text, dialect)) is not None:
        where.append(found)
    return where


def entries_query(registry: Registry, filters: AuditFilters, dialect: str, before: int | None = None) -> sa.Select[Any]:
    """The entries ``filters`` select, newest first, before entry ``before`` when given."""
    query = sa.select(AuditEntry).where(*conditions(registry, filters, dialect)).order_by(AuditEntry.id.desc())
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return query
