"""Reading tickets: the technicians' queues, the requesters' lists, search.

The queue is paged by keyset (the last row's sort value and id), not by
offset, so the hundredth page of a 100,000-ticket table costs what the first
does and a ticket taken meanwhile never makes a row skip or repeat.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import selectinload

from cagou.kit import Account
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import OPEN_STATUSES, STATUSES, Article, Category, Member, Ticket, id_of_reference
from cagou_helpdesk.permissions import groups_of, is_admin
from cagou_helpdesk.rules import now

PAGE_SIZE = 50

#: The queue views: what a technician looks at.
VIEWS: dict[str, str] = {
    "mine": "Mes tickets",
    "group": "Mon groupe",
    "unassigned": "Non attribués",
    "breaching": "Hors délai ou bientôt",
    "all": "Tous mes groupes, y compris résolus",
}
#: Sort orders, each with its keyset column.
SORTS: dict[str, str] = {
    "priority": "Priorité, puis ancienneté",
    "due": "Échéance la plus proche",
    "oldest": "Les plus anciens",
    "recent": "Les plus récents",
}


@dataclass
class QueueFilter:
    view: str = "group"
    sort: str = "priority"
    status: str = ""
    priority: str = ""
    category: str = ""
    text: str = ""
    #: One of the technician's groups (its id), for those who work on several queues.
    in_group: str = ""
    after: str = ""

    @classmethod
    def from_params(cls, params: Any) -> QueueFilter:
        found = cls(**{name: str(params.get(name, default)).strip()[:200] for name, default in cls().__dict__.items()})
        found.view = found.view if found.view in VIEWS else "group"
        found.sort = found.sort if found.sort in SORTS else "priority"
        found.status = found.status if found.status in STATUSES else ""
        found.in_group = found.in_group if found.in_group.isdigit() else ""
        return found

    def params(self, **changes: str) -> dict[str, str]:
        values = {**self.__dict__, **changes}
        return {name: value for name, value in values.items() if value}


@dataclass
class QueuePage:
    tickets: list[Ticket]
    next_cursor: str | None


#: Each sort's keyset attribute of the ticket, and whether it goes down.
SORT_KEYS: dict[str, tuple[str, bool]] = {
    "priority": ("priority", False),
    "due": ("resolution_due", False),
    "oldest": ("id", False),
    "recent": ("id", True),
}


def encode_cursor(value: Any, ticket_id: int) -> str:
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    return base64.urlsafe_b64encode(json.dumps([value, ticket_id]).encode()).decode()


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int] | None:
    try:
        value, ticket_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if sort == "due":
            value = datetime.datetime.fromisoformat(value)
        return value, int(ticket_id)
    except (ValueError, TypeError):
        return None


def text_condition(request: Request, text: str) -> sa.ColumnElement[bool]:
    """Full-text search in titles and descriptions (PostgreSQL's French dictionary; word by word on SQLite)."""
    reference = id_of_reference(text.upper())
    if reference is not None:
        return Ticket.id == reference
    if request.db.get_bind().dialect.name == "postgresql":
        # The very expression of the index ix_helpdesk_ticket_text_fts (migration 0001_helpdesk).
        text_of = Ticket.title.op("||")(sa.literal_column("' '")).op("||")(Ticket.description)
        document = sa.func.to_tsvector(sa.literal_column("'french'::regconfig"), text_of)
        return document.op("@@")(sa.func.websearch_to_tsquery(sa.literal_column("'french'::regconfig"), text))
    words = [word for word in text.split() if word][:8]
    return sa.and_(
        *(
            sa.or_(Ticket.title.icontains(word, autoescape=True), Ticket.description.icontains(word, autoescape=True))
            for word in words
        )
    )


def is_open() -> sa.ColumnElement[bool]:
    """The ticket is open, with the statuses written in the SQL rather than bound.

    SQLite uses a partial index (``ix_helpdesk_ticket_open_queue``) only when
    the query's IN list matches the index's literally; PostgreSQL does either way.
    """
    return Ticket.status.in_(sa.bindparam("open_statuses", list(OPEN_STATUSES), expanding=True, literal_execute=True))


def breaching_condition(request: Request) -> sa.ColumnElement[bool]:
    """Open, not waiting, and a due date within the warning window (or already past)."""
    warning = helpdesk_settings.get(request.registry).breach_warning_minutes
    horizon = now(request) + datetime.timedelta(minutes=warning)
    return sa.and_(
        is_open(),
        Ticket.paused_since.is_(None),
        sa.or_(
            sa.and_(Ticket.first_response_at.is_(None), Ticket.first_response_due <= horizon),
            Ticket.resolution_due <= horizon,
        ),
    )


def narrowed(request: Request, query: sa.Select[Ticket], filters: QueueFilter) -> sa.Select[Ticket]:
    """``query`` narrowed by what every list of tickets filters on: priority, category (its path's start), text."""
    if filters.priority.isdigit():
        query = query.where(Ticket.priority == int(filters.priority))
    if filters.category:
        query = query.where(
            Ticket.category_id.in_(
                sa.select(Category.id).where(Category.path.istartswith(filters.category, autoescape=True))
            )
        )
    if filters.text:
        query = query.where(text_condition(request, filters.text))
    return query


def queue(request: Request, technician: Account, filters: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    group_ids = [group.id for group in groups_of(request, technician)]
    query = sa.select(Ticket).options(
        selectinload(Ticket.requester), selectinload(Ticket.assignee), selectinload(Ticket.category)
    )
    # "Mon groupe" is the person's groups' queue, an administrator's too (who sees every queue in the other views).
    if filters.view == "group" or not is_admin(request):
        query = query.where(Ticket.group_id.in_(group_ids))
    if filters.in_group:
        query = query.where(Ticket.group_id == int(filters.in_group))
    if filters.view == "mine":
        query = query.where(Ticket.assignee_id == technician.id)
    elif filters.view == "unassigned":
        query = query.where(Ticket.assignee_id.is_(None))
    elif filters.view == "breaching":
        query = query.where(breaching_condition(request))
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    elif filters.view != "all":
        query = query.where(is_open())
    query = narrowed(request, query, filters)
    key, descending = SORT_KEYS[filters.sort]
    column = getattr(Ticket, key)
    cursor = decode_cursor(filters.after, filters.sort) if filters.after else None
    if cursor is not None:
        value, last_id = cursor
        if key == "id":
            query = query.where(Ticket.id < last_id if descending else Ticket.id > last_id)
        else:
            query = query.where(sa.or_(column > value, sa.and_(column == value, Ticket.id > last_id)))
    if key == "id":
        query = query.order_by(Ticket.id.desc() if descending else Ticket.id)
    else:
        query = query.order_by(column, Ticket.id)
    tickets = list(request.db.scalars(query.limit(page_size + 1)))
    next_cursor = None
    if len(tickets) > page_size:
        tickets = tickets[:page_size]
        last = tickets[-1]
        next_cursor = encode_cursor(getattr(last, key), last.id)
    return QueuePage(tickets, next_cursor)


def is_breaching(request: Request, ticket: Ticket) -> str | None:
    """ "breached", "soon" or None: how a row of the queue is highlighted."""
    if not ticket.is_open or ticket.paused_since is not None:
        return None
    instant = now(request)
    dues = [ticket.resolution_due]
    if ticket.first_response_at is None:
        dues.append(ticket.first_response_due)
    known = [due for due in dues if due is not None]
    if not known:
        return None
    earliest = min(known)
    if earliest <= instant:
        return "breached"
    if earliest <= instant + datetime.timedelta(minutes=helpdesk_settings.get(request.registry).breach_warning_minutes):
        return "soon"
    return None


def tickets_of(
    request: Request,
    account: Account,
    open_only: bool = False,
    limit: int = 200,
    before_id: int | None = None,
    filters: QueueFilter | None = None,
    detailed: bool = False,
) -> list[Ticket]:
    """The tickets ``account`` asked for, the most recent first.

    ``before_id`` is the keyset cursor: only the tickets older than that one
    (the last of the previous page), so that every page costs what the first
    does and a ticket opened meanwhile neither repeats nor hides a row.
    ``filters`` narrows the list as in the queues (status, priority, category,
    text; their view and sort do not apply). ``detailed`` also loads each
    ticket's category and technician, which a JSON listing shows.
    """
    query = sa.select(Ticket).where(Ticket.requester_id == account.id)
    if open_only:
        query = query.where(is_open())
    if before_id is not None:
        query = query.where(Ticket.id < before_id)
    if filters is not None:
        if filters.status:
            query = query.where(Ticket.status == filters.status)
        query = narrowed(request, query, filters)
    if detailed:
        query = query.options(selectinload(Ticket.category), selectinload(Ticket.assignee))
    return list(request.db.scalars(query.order_by(Ticket.id.desc()).limit(limit)))


def open_tickets_of(request: Request, account: Account, limit: int = 5) -> list[Ticket]:
    return tickets_of(request, account, open_only=True, limit=limit)


def open_tickets_assigned_to(request: Request, account: Account, limit: int = 5) -> list[Ticket]:
    query = sa.select(Ticket).where(Ticket.assignee_id == account.id, is_open())
    return list(request.db.scalars(query.order_by(Ticket.priority, Ticket.id).limit(limit)))


def breaching_soon(request: Request, account: Account, limit: int = 5) -> list[Ticket]:
    my_groups = sa.select(Member.group_id).where(Member.account_id == account.id)
    query = sa.select(Ticket).where(Ticket.group_id.in_(my_groups), breaching_condition(request))
    return list(request.db.scalars(query.order_by(Ticket.resolution_due, Ticket.id).limit(limit)))


#: Words that say nothing about what an article is for: French function words (PostgreSQL's French
#: list lacks some, such as « les » or « plus »), and what every request says (« bonjour », « problème »).
#: Left in, « ne marche plus » matched every article that had « plus » in it. Words under
#: 3 letters are never searched, so they are not listed.
STOPWORDS = frozenset(
    (
        "aux", "avec", "ces", "cet", "cette", "dans", "des", "elle", "elles", "est", "été", "être", "ils", "les",
        "leur", "leurs", "lui", "mais", "mes", "moi", "mon", "même", "nos", "notre", "nous", "ont", "par", "pas",
        "peu", "peut", "plus", "pour", "que", "qui", "sans", "ses", "son", "sont", "sous", "sur", "tes", "toi", "ton",
        "tous", "tout", "toute", "toutes", "une", "vos", "votre", "vous", "avoir", "avez", "avons", "fait", "faire",
        "marche", "marcher", "fonctionne", "arrive", "arriver", "depuis", "encore", "toujours", "très", "bonjour",
        "merci", "svp", "stp", "problème", "problèmes", "souci", "soucis", "besoin", "aide", "demande", "chez",
    )
)  # fmt: skip
#: At most this many words of the text are searched (a title, or a search box's query).
MAX_SEARCH_WORDS = 8
#: French words as the search sees them: « l'imprimante » is « imprimante », « Wi-Fi » is « wi » and « fi ».
SEARCH_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> list[str]:
    """The words of ``text`` worth searching: 3 letters or more, no stopword, each once, in order."""
    words: list[str] = []
    for word in SEARCH_WORD.findall(text.lower()):
        # « l'imprimante », « d'accès »: the elided article is a word of its own and goes with the stopwords.
        if len(word) >= 3 and word not in STOPWORDS and word not in words:
            words.append(word)
    return words[:MAX_SEARCH_WORDS]


def stem(word: str) -> str:
    """A crude French stem for SQLite, which has no French stemmer: « imprimantes » finds « imprimante »."""
    return word[:5] if len(word) > 5 else word


def search_articles(request: Request, text: str, limit: int = 5, published_only: bool = True) -> Sequence[Article]:
    """The articles that match the words typed, the most relevant first; none when no word is relevant.

    Any word counts (a title says what is wrong in a few words, never the
    article's); the databases' own full-text search ranks them, the title
    weighing more than the body. PostgreSQL stems French words
    (« imprimantes » finds « imprimante ») on the index of the helpdesk's
    migration 0003; SQLite matches each word's first letters in its FTS5 index,
    accents ignored. An article matched by no word is never offered: nothing
    rather than noise.
    """
    words = search_words(text)
    if not words:
        return []
    query = sa.select(Article)
    if request.db.get_bind().dialect.name == "postgresql":
        # Written as in the migration's index (a constant configuration), so that the planner uses it.
        french: sa.ColumnElement[Any] = sa.literal_column("'french'::regconfig")
        # The weights are literals, not parameters: setweight() takes a "char", which a varchar is not.
        title_weight: sa.ColumnElement[Any] = sa.literal_column("'A'")
        body_weight: sa.ColumnElement[Any] = sa.literal_column("'B'")
        document = sa.func.setweight(sa.func.to_tsvector(french, Article.title), title_weight).op("||")(
            sa.func.setweight(sa.func.to_tsvector(french, Article.body), body_weight)
        )
        # One query per word, joined by OR; plainto_tsquery takes any text safely (no query syntax).
        wanted: sa.ColumnElement[Any] = sa.func.plainto_tsquery(french, words[0])
        for word in words[1:]:
            wanted = wanted.op("||")(sa.func.plainto_tsquery(french, word))
        rank = sa.func.ts_rank(document, wanted)
        query = query.where(document.bool_op("@@")(wanted)).order_by(rank.desc(), Article.title)
    else:
        # Each word quoted (no FTS5 syntax from the text), its stem as a prefix; bm25 is better when lower.
        match = " OR ".join(f'"{stem(word)}"*' for word in words)
        found = (
            sa.text(
                "SELECT rowid, bm25(helpdesk_article_fts, 3.0, 1.0) AS score FROM helpdesk_article_fts "
                "WHERE helpdesk_article_fts MATCH :match"
            )
            .bindparams(match=match)
            .columns(sa.column("rowid", sa.Integer), sa.column("score", sa.Float))
            .subquery("found")
        )
        query = query.join(found, found.c.rowid == Article.id).order_by(found.c.score, Article.title)
    if published_only:
        query = query.where(Article.published.is_(True))
    return list(request.db.scalars(query.limit(limit)))


def search_visible_tickets(request: Request, account: Account, text: str, limit: int) -> list[Ticket]:
    """Tickets the person may read that match: their own, and their groups' when they are a technician."""
    condition = Ticket.requester_id == account.id
    if request.can("helpdesk:ticket:work"):
        if is_admin(request):
            condition = sa.true()
        else:
            condition = sa.or_(condition, Ticket.group_id.in_([group.id for group in groups_of(request, account)]))
    query = sa.select(Ticket).where(condition, text_condition(request, text))
    return list(request.db.scalars(query.order_by(Ticket.id.desc()).limit(limit)))
