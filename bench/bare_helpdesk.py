"""The baseline of the helpdesk benchmark: the least Pyramid + SQLAlchemy can do for the same three requests.

Served by the same gunicorn settings as Cagou (gunicorn.conf.py, see
bench/serve.py), on the same database, so that bench/helpdesk.py reads
Cagou's figures as a share of these:

- ``GET /sante`` runs ``SELECT 1`` (the benchmark waits for it before starting);
- ``POST /intranet/assistance/nouvelle`` parses the same multipart form and
  inserts the same row in ``helpdesk_ticket`` (priority from the default
  matrix, due dates a fixed delay ahead), then redirects to the ticket; no
  session, no CSRF, no audit entry, no mail, no business-hours calendar;
- ``GET /intranet/assistance/file/`` runs the query of the technicians' default
  queue (open tickets of one group, by priority, 50 a page, with the
  requester's, assignee's and category's names) and writes a bare HTML table;
- ``POST /intranet/assistance/file/suivant?technicien=<id>`` takes the next
  ticket of a group in one statement (``UPDATE … WHERE id = (SELECT … FOR
  UPDATE SKIP LOCKED)``) and redirects to it, or to the queue when none is left.

    python bench/bare_helpdesk.py --port 8765 --database-url postgresql+psycopg://… --take-group BANC-REF
"""

from __future__ import annotations

import argparse
import datetime
import html
from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.router import Router
from serve import serve

#: urgency, impact -> priority: the module's default matrix.
MATRIX = {(3, 3): 1, (3, 2): 1, (3, 1): 2, (2, 3): 1, (2, 2): 2, (2, 1): 3, (1, 3): 2, (1, 2): 3, (1, 1): 4}
OPEN = ("new", "assigned", "in_progress", "waiting")
PAGE_SIZE = 50

metadata = sa.MetaData()
ticket = sa.Table(
    "helpdesk_ticket", metadata,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("title", sa.String), sa.Column("description", sa.Text),
    sa.Column("category_id", sa.Integer), sa.Column("urgency", sa.Integer), sa.Column("impact", sa.Integer),
    sa.Column("priority", sa.Integer), sa.Column("status", sa.String), sa.Column("source", sa.String),
    sa.Column("requester_id", sa.Integer), sa.Column("opened_by_id", sa.Integer),
    sa.Column("contact_phone", sa.String), sa.Column("group_id", sa.Integer), sa.Column("assignee_id", sa.Integer),
    sa.Column("parent_id", sa.Integer), sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)), sa.Column("first_response_due", sa.DateTime(timezone=True)),
    sa.Column("resolution_due", sa.DateTime(timezone=True)), sa.Column("reopened", sa.Integer),
)  # fmt: skip
account = sa.Table("account", metadata, sa.Column("id", sa.Integer), sa.Column("display_name", sa.String))
category = sa.Table(
    "helpdesk_category", metadata, sa.Column("id", sa.Integer), sa.Column("path", sa.String)
)  # fmt: skip
group = sa.Table("helpdesk_group", metadata, sa.Column("id", sa.Integer), sa.Column("code", sa.String))


def make_app(database_url: str, requester: str, queue_group: str, take_group: str) -> Router:
    # SQLAlchemy's default pool, no pre-ping: the plainest way to reach the database.
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        requester_id = connection.scalar(sa.text("SELECT id FROM account WHERE login = :l"), {"l": requester})
        groups = {code: id_ for code, id_ in connection.execute(sa.select(group.c.code, group.c.id))}
        categories = {path: id_ for path, id_ in connection.execute(sa.select(category.c.path, category.c.id))}
    if requester_id is None or queue_group not in groups or take_group not in groups:
        raise SystemExit("The benchmark's accounts and groups are missing: run bench/helpdesk.py, which creates them.")
    assignee = account.alias("assignee")
    requester_table = account.alias("requester")
    queue_query = (
        sa.select(
            ticket.c.id, ticket.c.title, ticket.c.priority, ticket.c.status, ticket.c.resolution_due,
            requester_table.c.display_name, assignee.c.display_name.label("assignee"), category.c.path,
        )
        .join(requester_table, requester_table.c.id == ticket.c.requester_id)
        .outerjoin(assignee, assignee.c.id == ticket.c.assignee_id)
        .outerjoin(category, category.c.id == ticket.c.category_id)
        .where(ticket.c.group_id == groups[queue_group], ticket.c.status.in_(OPEN))
        .order_by(ticket.c.priority, ticket.c.id)
        .limit(PAGE_SIZE + 1)
    )  # fmt: skip
    next_one = (
        sa.select(ticket.c.id)
        .where(
            ticket.c.group_id == groups[take_group], ticket.c.assignee_id.is_(None), ticket.c.status == "new",
            ticket.c.parent_id.is_(None),
        )
        .order_by(ticket.c.priority, ticket.c.resolution_due, ticket.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )  # fmt: skip

    def new_ticket(request: Request) -> HTTPSeeOther:
        post = request.POST
        try:
            urgency, impact = int(post["urgency"]), int(post["impact"])
            values = {
                "title": post["title"].strip()[:200], "description": post["description"].strip(),
                "category_id": categories[post["category"].strip()], "urgency": urgency, "impact": impact,
                "priority": MATRIX[(urgency, impact)],
            }  # fmt: skip
        except (KeyError, ValueError) as error:
            raise HTTPBadRequest() from error
        now = datetime.datetime.now(datetime.UTC)
        values.update(
            status="new", source="web", requester_id=requester_id, opened_by_id=requester_id,
            contact_phone=post.get("contact_phone") or None, group_id=groups[queue_group], created_at=now,
            updated_at=now, first_response_due=now + datetime.timedelta(hours=4),
            resolution_due=now + datetime.timedelta(days=3), reopened=0,
        )  # fmt: skip
        with engine.begin() as connection:
            ticket_id = connection.execute(sa.insert(ticket).values(**values).returning(ticket.c.id)).scalar_one()
        return HTTPSeeOther(f"/intranet/assistance/tickets/{ticket_id}")

    def queue(request: Request) -> Response:
        with engine.connect() as connection:
            rows = connection.execute(queue_query).all()
        cells = "".join(
            f"<tr><td>HD-{row.id:06d}</td><td>{html.escape(row.title)}</td><td>{html.escape(row.path or '')}</td>"
            f"<td>{html.escape(row.display_name)}</td><td>{html.escape(row.assignee or '')}</td>"
            f"<td>P{row.priority}</td><td>{row.status}</td><td>{row.resolution_due:%d/%m %H:%M}</td></tr>"
            for row in rows[:PAGE_SIZE]
        )
        page = f"<!doctype html><html lang='fr'><title>File</title><table>{cells}</table></html>"
        return Response(body=page.encode(), content_type="text/html", charset="utf-8")

    def take_next(request: Request) -> HTTPSeeOther:
        technician = int(request.params["technicien"])
        now = datetime.datetime.now(datetime.UTC)
        statement = (
            sa.update(ticket)
            .where(ticket.c.id == next_one, ticket.c.assignee_id.is_(None))
            .values(assignee_id=technician, status="assigned", updated_at=now)
            .returning(ticket.c.id)
        )
        with engine.begin() as connection:
            taken: Any = connection.execute(statement).scalar()
        if taken is None:
            return HTTPSeeOther("/intranet/assistance/file/")
        return HTTPSeeOther(f"/intranet/assistance/tickets/{taken}")

    def health(request: Request) -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return {"status": "ok", "database": "ok"}

    with Configurator() as config:
        config.add_route("health", "/sante")
        config.add_view(health, route_name="health", renderer="json")
        config.add_route("new", "/intranet/assistance/nouvelle")
        config.add_view(new_ticket, route_name="new", request_method="POST")
        config.add_route("queue", "/intranet/assistance/file/")
        config.add_view(queue, route_name="queue", request_method="GET")
        config.add_route("take_next", "/intranet/assistance/file/suivant")
        config.add_view(take_next, route_name="take_next", request_method="POST")
    return config.make_wsgi_app()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, help="processes (gunicorn.conf.py's: one per core)")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requester", default="agent", help="login of the requester of the tickets it opens")
    parser.add_argument("--queue-group", default="BAU", help="code of the group whose queue it shows and fills")
    parser.add_argument("--take-group", required=True, help="code of the group it takes tickets from")
    arguments = parser.parse_args()
    serve(
        lambda: make_app(arguments.database_url, arguments.requester, arguments.queue_group, arguments.take_group),
        arguments.port,
        arguments.workers,
    )


if __name__ == "__main__":
    main()
