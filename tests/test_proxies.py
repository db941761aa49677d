"""The client's address comes from X-Forwarded-For only when a trusted proxy sent it (cagou.proxies.trusted)."""

from __future__ import annotations

import sqlalchemy as sa

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope


def address_of_a_failed_sign_in(app, registry, remote: str, forwarded: str) -> str | None:
    page = app.get("/intranet/connexion", extra_environ={"REMOTE_ADDR": remote})
    page.forms[0]["login"] = "personne"
    page.forms[0]["password"] = "mauvais"
    page.forms[0].submit(status=401, headers={"X-Forwarded-For": forwarded}, extra_environ={"REMOTE_ADDR": remote})
    with transaction_scope(registry) as request:
        return request.db.scalars(sa.select(AuditEntry.address).order_by(AuditEntry.id.desc())).first()


def test_the_proxy_on_this_machine_gives_the_address_it_saw(app, registry):
    # The client wrote the first address; the proxy appended the one it saw.
    assert address_of_a_failed_sign_in(app, registry, "127.0.0.1", "198.51.100.7, 203.0.113.9") == "203.0.113.9"


def test_anyone_else_cannot_choose_the_address_recorded(app, registry):
    assert address_of_a_failed_sign_in(app, registry, "10.0.0.8", "203.0.113.9") == "10.0.0.8"
