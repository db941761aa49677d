"""Loading: what the database receives, added only where missing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from pyramid.request import Request
from zope.sqlalchemy import mark_changed

from cagou.kit import AGENT, Base, IAccounts, NewAccount
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.demo.catalogue import ARTICLES, CANNED_ANSWERS, CATEGORIES, TOPICS
from cagou_helpdesk.demo.common import ADMINISTRATOR, DEMO_AGENT, DOMAIN
from cagou_helpdesk.demo.people import GROUPS, REQUESTERS, STAFF, login_of
from cagou_helpdesk.demo.planner import PEAK_WEEK, PlannedTicket, Planner, Rules, for_the_demo_agent, weeks_until
from cagou_helpdesk.models import (
    Article,
    CannedAnswer,
    Category,
    Group,
    Member,
    Message,
    Ticket,
)
from cagou_helpdesk.rules import now, priority_matrix, service_levels


def load_demo(request: Request) -> None:
    """Groups, categories, articles and six weeks of tickets, added only where missing.

    With ``helpdesk.demo_history = false``, no tickets: a training instance starts with an empty queue.
    """
    instant = now(request)
    people = ensure_people(request, instant)
    groups = ensure_groups(request, people)
    categories = ensure_categories(request, groups)
    ensure_articles(request, instant, people, categories)
    ensure_canned_answers(request)
    if not helpdesk_settings.get(request.registry).demo_history:
        return
    requesters = [login_of(name) for name, _ in REQUESTERS]
    if has_history(request, [people[login] for login in requesters]):
        return
    rules = Rules(
        calendar=helpdesk_settings.get(request.registry).calendar,
        matrix=priority_matrix(request),
        levels=service_levels(request),
        reopen_days=helpdesk_settings.get(request.registry).reopen_days,
    )
    tickets = Planner(instant, rules, requesters, queues(request, categories, groups)).plan()
    if DEMO_AGENT in people:
        for_the_demo_agent(tickets, DEMO_AGENT)
    insert_history(request, tickets, people, groups, categories)


def queues(request: Request, categories: dict[str, int], groups: dict[str, int]) -> dict[str, str]:
    """topic -> code of the group its tickets go to, as rules.group_for finds it in the database."""
    codes = {group_id: code for code, group_id in groups.items()}
    nodes = {c.id: c for c in request.db.scalars(sa.select(Category).where(Category.id.in_(categories.values())))}
    fallback = helpdesk_settings.get(request.registry).default_group
    found = {}
    for topic, path in TOPICS.items():
        node: Category | None = nodes.get(categories[path])
        code = None
        while node is not None and code is None:
            code = codes.get(node.default_group_id) if node.default_group_id else None
            node = nodes.get(node.parent_id) if node.parent_id else None
        found[topic] = code or (fallback if fallback in groups else "BAU")
    return found


def ensure_people(request: Request, instant: datetime.datetime) -> dict[str, int]:
    """Technicians and managers (one by one when they sign in, audited), the others in one go: login -> id."""
    accounts = request.find_service(IAccounts)
    for person in STAFF:
        if person.password is None or accounts.by_login(person.login) is not None:
            continue
        accounts.create(
            person.login,
            person.display_name,
            AGENT,
            email=f"{person.login}@{DOMAIN}",
            password=person.password,
            directorate=accounts.directorate(person.directorate),
        )
    # The agents who never sign in, and the technicians without a password, in one INSERT.
    bulk = [
        NewAccount(p.login, p.display_name, AGENT, f"{p.login}@{DOMAIN}", p.directorate)
        for p in STAFF
        if p.password is None
    ]
    bulk += [NewAccount(login_of(name), name, AGENT, f"{login_of(name)}@{DOMAIN}", code) for name, code in REQUESTERS]
    people: dict[str, int] = accounts.create_many(bulk, created_at=instant - datetime.timedelta(days=400))
    people |= accounts.ids_of([p.login for p in STAFF] + [DEMO_AGENT, "admin"])
    ensure_roles(request, people)
    return people


def ensure_roles(request: Request, people: dict[str, int]) -> None:
    """The helpdesk roles of the staff; the demo ``admin`` administers the helpdesk too."""
    wanted = [(p.login, p.role) for p in STAFF if p.login in people]
    if "admin" in people:
        wanted.append(("admin", ADMINISTRATOR))
    accounts = request.find_service(IAccounts)
    signing_in = {p.login for p in STAFF if p.password is not None} | {"technicien", "admin"}
    bulk = []
    for login, role in wanted:
        if login in signing_in:
            account = accounts.by_id(people[login])
            assert account is not None
            accounts.grant(account, role)  # audited one by one, like a grant from the console; once only
        else:
            bulk.append((people[login], role))
    accounts.grant_many(bulk)


def ensure_groups(request: Request, people: dict[str, int]) -> dict[str, int]:
    """The two bureaus, their managers and members: code -> id."""
    existing = {group.code: group for group in request.db.scalars(sa.select(Group))}
    for code, name in GROUPS.items():
        if code not in existing:
            manager = next((p.login for p in STAFF if p.manages == code), None)
            group = Group(code=code, name=name, manager_id=people.get(manager) if manager else None)
            request.db.add(group)
            existing[code] = group
    request.db.flush()
    groups = {code: existing[code].id for code in GROUPS}
    members = {
        (group_id, account_id)
        for group_id, account_id in request.db.execute(sa.select(Member.group_id, Member.account_id))
    }
    for person in STAFF:
        if person.group and person.login in people and (groups[person.group], people[person.login]) not in members:
            request.db.add(Member(group_id=groups[person.group], account_id=people[person.login]))
    request.db.flush()
    return groups


def ensure_categories(request: Request, groups: dict[str, int]) -> dict[str, int]:
    """The category tree, parents first: path -> id."""
    existing = {category.path: category for category in request.db.scalars(sa.select(Category))}
    for path, group in CATEGORIES:
        if path in existing:
            continue
        parent_path, _, name = path.rpartition(" > ")
        category = Category(
            name=name, path=path, parent=existing.get(parent_path) if parent_path else None,
            default_group_id=groups[group] if group else None, active=True,
        )  # fmt: skip
        request.db.add(category)
        existing[path] = category
    request.db.flush()
    return {path: category.id for path, category in existing.items()}


def ensure_articles(
    request: Request, instant: datetime.datetime, people: dict[str, int], categories: dict[str, int]
) -> None:
    titles = set(request.db.scalars(sa.select(Article.title)))
    # Written on the Monday the lockdown began, from 8:00 local time, an hour apart.
    zone = helpdesk_settings.get(request.registry).calendar.timezone
    written = weeks_until(instant, zone)[PEAK_WEEK][0] + datetime.timedelta(hours=8)
    for number, article in enumerate(ARTICLES):
        if article.title in titles or article.author not in people:
            continue
        at = written + datetime.timedelta(hours=number)
        request.db.add(
            Article(
                title=article.title, body=article.body, category_id=categories.get(article.category),
                published=article.published, author_id=people[article.author], created_at=at, updated_at=at,
            )
        )  # fmt: skip
    request.db.flush()


def ensure_canned_answers(request: Request) -> None:
    titles = set(request.db.scalars(sa.select(CannedAnswer.title)))
    request.db.add_all(
        CannedAnswer(title=title, body=body) for title, body in CANNED_ANSWERS.items() if title not in titles
    )
    request.db.flush()


def table_of(model: type[Base]) -> sa.Table:
    """A model's table, for Core inserts of many rows (the ORM's bulk path splits them into many statements)."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def has_history(request: Request, requester_ids: Iterable[int]) -> bool:
    """Whether the demonstration's tickets are there: one of its agents has a ticket."""
    query = sa.select(Ticket.id).where(Ticket.requester_id.in_(list(requester_ids))).limit(1)
    return request.db.scalar(query) is not None


def insert_history(
    request: Request,
    tickets: Sequence[PlannedTicket],
    people: dict[str, int],
    groups: dict[str, int],
    categories: dict[str, int],
) -> None:
    """Tickets, then the links to the major incident, then the messages: three bulk statements.

    Bypasses the services on purpose (see the module's docstring): no audit
    entry, no mail, for a history that did not happen on this platform.
    """
    rows = [
        {
            "title": t.title, "description": t.description, "category_id": categories[TOPICS[t.topic]],
            "urgency": t.urgency, "impact": t.impact, "priority": t.priority, "priority_reason": t.priority_reason,
            "status": t.status, "waiting_for": t.waiting_for, "source": t.source,
            "requester_id": people[t.requester], "opened_by_id": people[t.opened_by],
            "contact_phone": t.contact_phone, "group_id": groups[t.group],
            "assignee_id": people[t.assignee] if t.assignee else None, "parent_id": None,
            "created_at": t.created_at, "updated_at": t.updated_at, "first_response_at": t.first_response_at,
            "resolved_at": t.resolved_at, "closed_at": t.closed_at, "first_response_due": t.first_response_due,
            "resolution_due": t.resolution_due, "paused_since": t.paused_since,
            "breach_notified_at": t.breach_notified_at, "reopened": t.reopened, "rating": t.rating,
            "rating_comment": t.rating_comment, "acknowledged_at": t.created_at,
        }
        for t in tickets
    ]  # fmt: skip
    table = table_of(Ticket)
    inserted = request.db.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    ids = list(inserted.scalars())
    parent = next((ids[n] for n, t in enumerate(tickets) if t.incident == "parent"), None)
    children = [ids[n] for n, t in enumerate(tickets) if t.incident == "child"]
    if parent is not None and children:
        request.db.execute(
            sa.update(Ticket)
            .where(Ticket.id.in_(children))
            .values(parent_id=parent)
            .execution_options(synchronize_session=False)
        )
    messages = [
        {
            "ticket_id": ids[n], "author_id": people[m.author or t.requester], "kind": m.kind, "body": m.body,
            "source": m.source, "created_at": m.created_at,
        }
        for n, t in enumerate(tickets)
        for m in t.messages
    ]  # fmt: skip
    if messages:
        request.db.execute(sa.insert(table_of(Message)), messages)
    mark_changed(request.db)
