"""Full-text search of applications, with each database's own index (migration 0010_aids_queue).

The document of an application is its receipt number, its e-mail address and
the text of its answers (the applicant's name among them):

- PostgreSQL: ``to_tsvector('french', receipt || ' ' || email) ||
  jsonb_to_tsvector('french', answers::jsonb, '["string"]')``, under the GIN
  index ``ix_aids_application_fts``; the query below writes the very same
  expression, which is how PostgreSQL knows to use the index. French stemming:
  « boulangeries » finds « Boulangerie ». The words typed are read by
  ``websearch_to_tsquery`` (no syntax error whatever is typed).
- SQLite: ``aids_application_fts``, an FTS5 table kept in step by triggers,
  accents ignored; each word typed must start a word of the document.

The core's kit offers no full-text helper (the audit log's and the helpdesk's
each write theirs over their own index), so this one is the module's too.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from cagou_aids.models import Application

#: The expression of the GIN index, as the migration creates it.
POSTGRESQL_DOCUMENT = (
    "(to_tsvector('french'::regconfig, receipt || ' ' || email) || "
    "jsonb_to_tsvector('french'::regconfig, answers::jsonb, '[\"string\"]'))"
)
#: Words as SQLite's FTS5 sees them (its unicode61 tokenizer): letters and digits.
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8


def postgresql_document() -> sa.ColumnElement[Any]:
    french: sa.ColumnElement[Any] = sa.literal_column("'french'::regconfig")
    # Constants written as SQL, not parameters: the expression must be the index's, word for word.
    space: sa.ColumnElement[Any] = sa.literal_column("' '")
    head = sa.func.to_tsvector(french, Application.receipt.op("||")(space).op("||")(Application.email))
    strings: sa.ColumnElement[Any] = sa.literal_column("'[\"string\"]'::jsonb")
    answers = sa.func.jsonb_to_tsvector(french, sa.cast(Application.answers, JSONB), strings)
    return head.op("||")(answers)


def full_text(text: str, dialect: str) -> sa.ColumnElement[bool] | None:
    """Applications whose document holds the words of ``text``; None when it has no word."""
    if dialect == "postgresql":
        query = sa.func.websearch_to_tsquery(sa.literal_column("'french'::regconfig"), text)
        return postgresql_document().bool_op("@@")(query)
    words = WORD.findall(text)[:MAX_WORDS]
    if not words:
        return None
    match = " ".join(f'"{word}"*' for word in words)  # each word quoted: no FTS5 syntax from what was typed
    found = sa.text("SELECT rowid FROM aids_application_fts WHERE aids_application_fts MATCH :match")
    return Application.id.in_(found.bindparams(match=match).columns(sa.column("rowid", sa.Integer)))
