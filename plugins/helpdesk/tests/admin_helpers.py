"""What the tests of the helpdesk administrator's pages share: addresses, posting, reading a page back."""

from __future__ import annotations

import sqlalchemy as sa
import webtest

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import csrf_token
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import Category

ADMIN = "/intranet/assistance/administration"
PASSWORD = "un-mot-de-passe-solide-2026"  # the fixture's (plugins/helpdesk/tests/conftest.py)
PAGES = [
    f"{ADMIN}/",
    f"{ADMIN}/categories/",
    f"{ADMIN}/categories/{{vpn}}",
    f"{ADMIN}/groupes/",
    f"{ADMIN}/groupes/{{bau}}",
    f"{ADMIN}/priorites",
    f"{ADMIN}/niveaux-de-service",
]


def page_url(template: str, helpdesk) -> str:
    return template.format(vpn=helpdesk.categories["vpn"], bau=helpdesk.groups["BAU"])


def post(app: webtest.TestApp, url: str, data: dict[str, str], status: int | str = 303) -> webtest.TestResponse:
    """Post ``data`` to ``url`` with the session's CSRF token, as the page's form would."""
    token = csrf_token(app.get("/intranet/"))
    return app.post(url, {"csrf_token": token, **data}, status=status)


def text_of(element) -> str:
    """The words of a piece of page, one space between them whatever the tags."""
    return " ".join(element.get_text(" ").split())


def flashed(page: webtest.TestResponse) -> list[str]:
    """The flash messages the page shows."""
    return [text_of(message) for message in page.html.find_all("p", class_="alert-ok")]


def categories_by_path(registry) -> dict[str, tuple[bool, int | None]]:
    """Every category: path -> (active, default group id)."""
    with transaction_scope(registry) as request:
        return {c.path: (c.active, c.default_group_id) for c in request.db.scalars(sa.select(Category))}


def audit_entries(registry, action: str) -> list[tuple[str, str | None, dict | None]]:
    with transaction_scope(registry) as request:
        rows = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(row.summary, row.object_id, row.changes) for row in rows]


def error_of(page: webtest.TestResponse, field: str) -> str:
    """The error message next to ``field``, checked to be tied to the field by aria-describedby."""
    message = page.html.find(id=f"erreur-{field}")
    assert message is not None, f"no error next to {field}"
    control = page.html.find(id=f"champ-{field}")
    assert control is not None
    assert f"erreur-{field}" in control["aria-describedby"].split()
    assert control["aria-invalid"] == "true"
    return message.text.strip()


def open_ticket(registry, category: str, urgency: str = "2", impact: str = "1", requester: str = "agent") -> int:
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(requester)
        data = TicketInput(title="Plus de réseau", description="Rien ne marche.", category=category)
        data.urgency, data.impact = urgency, impact
        return request.find_service(ITickets).open(data, account).id
