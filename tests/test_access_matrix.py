"""Every route, for every kind of person, answers as its permission says.

The test walks the route table, asks each route as five people (anonymous, a
citizen, an agent without role, an agent with a role, an IT administrator),
and compares what the platform answered with what the permission of the
route's view grants them. The matrix is written to
``test-artifacts/access-matrix.md`` and printed at the end of the run.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import webtest
from pyramid.authorization import ACLHelper
from pyramid.interfaces import IRoutesMapper
from pyramid.security import NO_PERMISSION_REQUIRED

from cagou.db import transaction_scope
from cagou.identity.policy import principals_of
from cagou.interfaces import IAccounts
from cagou.sites import API_PREFIX, COMMON, route_site
from cagou.testing import login

MATRIX = Path(__file__).parent.parent / "test-artifacts" / "access-matrix.md"

PERSONAS: dict[str, tuple[str, str, str] | None] = {
    "anonyme": None,
    "particulier": ("citoyen", "demo-citoyen-2026", "public"),
    "agent sans rôle": ("agent", "demo-agent-2026", "intranet"),
    "agent avec rôle": ("technicien", "demo-technicien-2026", "intranet"),
    "administrateur": ("admin", "demo-admin-2026", "intranet"),
}
#: Values for the placeholders of route patterns.
SAMPLE_VALUES = {"module": "sample", "site": "intranet", "key": "inconnu", "subpath": "cagou.css"}


def url_of(pattern: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}|\*(\w+)", lambda m: SAMPLE_VALUES.get(m.group(1) or m.group(3), "1"), pattern)


def get_permission(registry, route_name: str) -> str | None:
    """The permission of the view that answers GET on the route, or None when no view does."""
    for item in registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        methods = view["request_methods"]
        if view["route_name"] == route_name and (methods is None or "GET" in methods):
            permissions = [related["value"] for related in item["related"] if related.category_name == "permissions"]
            return permissions[0] if permissions else ""
    return None


def expected(registry, url: str, permission: str, account) -> str:
    """What the permission table says: 'ok', 'connexion' (sent to sign in) or 'refusé'."""
    if permission == NO_PERMISSION_REQUIRED:
        return "ok"
    if account is not None and not account.is_staff and url.startswith(API_PREFIX):
        return "refusé"  # the intranet's API is for agents, whatever the roles say
    root = SimpleNamespace(__acl__=registry["cagou.acl"])
    # Every persona signed in completely, second factor included where their roles need it.
    if ACLHelper().permits(root, principals_of(account, strong=True), permission):
        return "ok"
    return "connexion" if account is None else "refusé"


def observed(response: webtest.TestResponse) -> str:
    if (response.status_int == 303 and "/connexion" in response.location) or response.status_int == 401:
        return "connexion"
    if response.status_int >= 500:
        return "erreur"
    if response.status_int == 403:
        return "refusé"
    return "ok"


@pytest.fixture
def people(app_config, registry, demonstration):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("technicien"), "sample:reader")
    browsers = {}
    for persona, credentials in PERSONAS.items():
        browser = webtest.TestApp(app_config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
        if credentials is not None:
            login(browser, credentials[0], credentials[1], site=credentials[2])
        browsers[persona] = browser
    return browsers


def test_every_route_answers_as_its_permission_says(registry, people):
    routes = registry.getUtility(IRoutesMapper).get_routes()
    with transaction_scope(registry) as request:
        accounts = {
            persona: request.find_service(IAccounts).by_login(credentials[0]) if credentials else None
            for persona, credentials in PERSONAS.items()
        }
        for account in accounts.values():
            if account is not None:
                [grant.directorate for grant in account.grants]  # loaded before the transaction ends
    rows, mismatches = [], []
    for route in sorted(routes, key=lambda r: r.pattern):
        if route_site(route) == COMMON:
            continue
        permission = get_permission(registry, route.name)
        if permission is None:
            continue  # no GET view: POST-only routes are covered by the CSRF and toggle tests
        cells = []
        for persona, browser in people.items():
            want = expected(registry, url_of(route.pattern), permission, accounts[persona])
            got = observed(browser.get(url_of(route.pattern), expect_errors=True))
            cells.append(got if got == want else f"**{got}** (attendu : {want})")
            if got != want:
                mismatches.append((route.name, persona, want, got))
        rows.append(f"| `{route.pattern}` | `{permission}` | " + " | ".join(cells) + " |")
    header = "| route | permission | " + " | ".join(PERSONAS) + " |\n|---|---|" + "---|" * len(PERSONAS)
    MATRIX.parent.mkdir(exist_ok=True)
    MATRIX.write_text("# Qui peut ouvrir quoi\n\n" + header + "\n" + "\n".join(rows) + "\n")
    assert len(rows) >= 8
    assert not mismatches, mismatches
