"""The baseline of the aids benchmark: the least Pyramid + SQLAlchemy can do to keep the same submission.

Served by the same gunicorn settings as Cagou (gunicorn.conf.py, see
bench/serve.py), on the same database, so that bench/aids.py reads Cagou's
figures as a share of these:

- ``GET /sante`` runs ``SELECT 1`` (the benchmark waits for it before starting);
- ``POST /api/v1/demarches/{slug}/demandes`` parses the same JSON body,
  decodes its base64 files and inserts the body as it came, with its
  ``Idempotency-Key``, in one row of ``bench_bare_application`` (made at
  start-up), then answers ``201`` with the row's number: no token, no checks
  of the answers, no receipt counter, no audit entry, no mail.

    python bench/bare_aids.py --port 8765 --database-url postgresql+psycopg://…
"""

from __future__ import annotations

import argparse
import base64
import datetime
from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.router import Router
from serve import serve

metadata = sa.MetaData()
application = sa.Table(
    "bench_bare_application", metadata,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("slug", sa.String(80)),
    sa.Column("idempotency_key", sa.String(64), unique=True), sa.Column("body", sa.JSON),
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
)  # fmt: skip


def make_app(database_url: str) -> Router:
    engine = sa.create_engine(database_url)
    metadata.create_all(engine)

    def health(request: Request) -> dict[str, Any]:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return {"status": "ok", "database": "ok"}

    def submit(request: Request) -> dict[str, Any]:
        body = request.json_body
        for sent in body.get("files", []):
            base64.b64decode(sent["content"], validate=True)
        row = {
            "slug": request.matchdict["slug"], "idempotency_key": request.headers["Idempotency-Key"], "body": body,
            "submitted_at": datetime.datetime.now(datetime.UTC),
        }  # fmt: skip
        with engine.begin() as connection:
            number = connection.execute(sa.insert(application).values(row).returning(application.c.id)).scalar_one()
        request.response.status_int = 201
        return {"id": number}

    with Configurator() as config:
        config.add_route("health", "/sante")
        config.add_view(health, route_name="health", renderer="json")
        config.add_route("submit", "/api/v1/demarches/{slug}/demandes")
        config.add_view(submit, route_name="submit", renderer="json", request_method="POST")
    return config.make_wsgi_app()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    serve(lambda: make_app(args.database_url), args.port)


if __name__ == "__main__":
    main()
