"""Full-text search of the knowledge base, with each database's own index.

Revision ID: 0003_helpdesk_article_search
Revises: 0002_helpdesk_indexes

The suggestion under a new request's title matched word fragments anywhere
(« plus » in « ne marche plus » found every article), so a printer jam was
offered five unrelated articles. It now ranks articles by relevance, as the
audit log's search does (``cagou.audit.queries``):

- PostgreSQL: a GIN index on the French document of an article, its title
  weighted above its body (``setweight(to_tsvector('french', …))``); the
  query in ``cagou_helpdesk.queries`` writes the same expression so that it
  matches the index.
- SQLite: ``helpdesk_article_fts``, an FTS5 table over the article's title
  and body (external content: the text is kept once, in ``helpdesk_article``),
  accents ignored, kept in step by triggers on insert, update and delete, so
  that the demonstration's bulk inserts are indexed too. A later revision that
  rebuilds ``helpdesk_article`` in batch mode must create the triggers again.
"""

from __future__ import annotations

from alembic import op

revision = "0003_helpdesk_article_search"
down_revision = "0002_helpdesk_indexes"
branch_labels = None
depends_on = None

POSTGRESQL_DOCUMENT = "(setweight(to_tsvector('french', title), 'A') || setweight(to_tsvector('french', body), 'B'))"
SQLITE_STATEMENTS = [
    "CREATE VIRTUAL TABLE helpdesk_article_fts USING fts5("
    "title, body, content='helpdesk_article', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO helpdesk_article_fts(helpdesk_article_fts) VALUES ('rebuild')",
    "CREATE TRIGGER helpdesk_article_fts_insert AFTER INSERT ON helpdesk_article BEGIN "
    "INSERT INTO helpdesk_article_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER helpdesk_article_fts_delete AFTER DELETE ON helpdesk_article BEGIN "
    "INSERT INTO helpdesk_article_fts(helpdesk_article_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER helpdesk_article_fts_update AFTER UPDATE OF title, body ON helpdesk_article BEGIN "
    "INSERT INTO helpdesk_article_fts(helpdesk_article_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO helpdesk_article_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_helpdesk_article_search_fts ON helpdesk_article USING gin ({POSTGRESQL_DOCUMENT})")
        return
    for statement in SQLITE_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_helpdesk_article_search_fts")
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER helpdesk_article_fts_{trigger}")
    op.execute("DROP TABLE helpdesk_article_fts")
