"""The helpdesk's reference data: categories, groups, the priority matrix and the service levels.

Every ticket opened reads all four, and they change only when an
administrator saves a page. Each process therefore keeps a snapshot and reads
it again when it is older than ``helpdesk.reference_refresh_seconds`` (one
second by default), as the core does with module states: a change made by
another process is seen within that delay. In this process, a transaction
that changes one of these tables reads them afresh from its own session, and
the snapshot is dropped when it ends, committed or not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy import event
from sqlalchemy.orm import Session

from cagou.kit import get_session_factory
from cagou_helpdesk.models import Category, Group, PriorityRule, ServiceLevel

#: urgency, impact -> priority, until an administrator changes a cell.
DEFAULT_MATRIX: dict[tuple[int, int], int] = {
    (3, 3): 1, (3, 2): 1, (3, 1): 2,
    (2, 3): 1, (2, 2): 2, (2, 1): 3,
    (1, 3): 2, (1, 2): 3, (1, 1): 4,
}  # fmt: skip
#: priority -> (first response, resolution), in business minutes.
DEFAULT_SERVICE_LEVELS: dict[int, tuple[int, int]] = {
    1: (30, 4 * 60),
    2: (60, 8 * 60),
    3: (4 * 60, 3 * 8 * 60),
    4: (8 * 60, 5 * 8 * 60),
}

#: The tables whose change drops the snapshot.
REFERENCE_MODELS = (Category, Group, PriorityRule, ServiceLevel)
#: Set in a database session's ``info`` once it changed reference data.
CHANGED = "helpdesk.reference_changed"


@dataclass(frozen=True)
class CategoryEntry:
    id: int
    path: str
    active: bool
    #: The queue its tickets land in: its own group, else its nearest parent's, else the default group.
    group_id: int | None


@dataclass(frozen=True)
class GroupEntry:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Reference:
    categories: Mapping[int, CategoryEntry]
    groups: Mapping[int, GroupEntry]
    #: The group of the ``helpdesk.default_group`` setting, else the first one created.
    default_group_id: int | None
    matrix: Mapping[tuple[int, int], int]
    levels: Mapping[int, tuple[int, int]]
    #: The categories by their path in lower case.
    by_path: Mapping[str, CategoryEntry]

    def category(self, text: str) -> CategoryEntry | None:
        """The active category a form names by id or by its full path (any case)."""
        text = text.strip()
        found = self.categories.get(int(text)) if text.isdigit() else self.by_path.get(text.lower())
        return found if found is not None and found.active else None


def read(db: Session, default_group: str) -> Reference:
    """The four tables, in four queries, with each category's queue resolved."""
    groups = {g.id: GroupEntry(g.id, g.code, g.name) for g in db.scalars(sa.select(Group).order_by(Group.id))}
    fallback = next((g.id for g in groups.values() if g.code == default_group), next(iter(groups), None))
    rows = db.execute(
        sa.select(Category.id, Category.parent_id, Category.path, Category.active, Category.default_group_id)
    ).all()
    parents: dict[int, int | None] = {row.id: row.parent_id for row in rows}
    own_group: dict[int, int | None] = {row.id: row.default_group_id for row in rows}

    def queue_of(category_id: int | None) -> int | None:
        seen: set[int] = set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            if own_group[category_id] is not None:
                return own_group[category_id]
            category_id = parents.get(category_id)
        return fallback

    categories = {row.id: CategoryEntry(row.id, row.path, row.active, queue_of(row.id)) for row in rows}
    matrix = dict(DEFAULT_MATRIX)
    for rule in db.scalars(sa.select(PriorityRule)):
        matrix[(rule.urgency, rule.impact)] = rule.priority
    levels = dict(DEFAULT_SERVICE_LEVELS)
    for level in db.scalars(sa.select(ServiceLevel)):
        levels[level.priority] = (level.first_response_minutes, level.resolution_minutes)
    # An active category wins over a retired one of the same name.
    by_path = {c.path.lower(): c for c in sorted(categories.values(), key=lambda c: c.active)}
    return Reference(categories, groups, fallback, matrix, levels, by_path)


class ReferenceCache:
    """One process's snapshot, shared by its threads."""

    def __init__(self, refresh_seconds: float, default_group: str) -> None:
        self.refresh_seconds = refresh_seconds
        self.default_group = default_group
        self._lock = threading.Lock()
        self._snapshot: Reference | None = None
        self._loaded_at = float("-inf")

    def current(self, db: Session) -> Reference:
        if db.info.get(CHANGED) or touches_reference(db):
            return read(db, self.default_group)
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._loaded_at >= self.refresh_seconds:
                self._snapshot = read(db, self.default_group)
                self._loaded_at = time.monotonic()
            return self._snapshot

    def forget(self) -> None:
        with self._lock:
            self._snapshot = None


def touches_reference(session: Session) -> bool:
    """Whether the session holds changes to reference data, not flushed yet or being flushed."""
    return any(isinstance(item, REFERENCE_MODELS) for item in (*session.new, *session.dirty, *session.deleted))


def install(registry: Registry, refresh_seconds: float, default_group: str) -> None:
    """Keep the snapshot in the registry and watch every session of this application for changes."""
    reference_cache = ReferenceCache(refresh_seconds, default_group)
    registry["helpdesk.reference"] = reference_cache

    def note_change(session: Session, _context: object) -> None:
        if touches_reference(session):
            session.info[CHANGED] = True

    def forget_if_changed(session: Session) -> None:
        if session.info.pop(CHANGED, False):
            reference_cache.forget()

    sessions = get_session_factory(registry)
    event.listen(sessions, "after_flush", note_change)
    event.listen(sessions, "after_commit", forget_if_changed)
    event.listen(sessions, "after_rollback", forget_if_changed)


def cache(registry: Registry) -> ReferenceCache:
    found: ReferenceCache = registry["helpdesk.reference"]
    return found


def current(request: Request) -> Reference:
    """The reference data as this request must see them."""
    return cache(request.registry).current(request.db)
