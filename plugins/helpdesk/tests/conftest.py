"""Fixtures of the helpdesk's tests: the people, groups and categories of a small bureau.

``helpdesk`` fills the (empty, migrated) test database with:

- ``agent`` (Paul Agent) and ``agente`` (Lucie Agente), agents who ask for help;
- ``tech1`` and ``tech2``, technicians of the user-assistance bureau (``BAU``),
  whose manager is ``chef``; ``reseau``, technician of the infrastructure
  bureau (``INFRA``); ``hdadmin``, helpdesk administrator;
- categories ``Matériel > Ordinateur portable``, ``Réseau > VPN`` (whose
  tickets go to ``INFRA``), ``Logiciels``, ``Comptes et accès``;
- a published article about the VPN and a draft one.

Every password is :data:`PASSWORD`; each account's address is ``<login>@province-sud.nc``.

The platform of these tests loads the helpdesk and the core's sample module
(tests/plugins, on pytest's path through setup.cfg) as a neighbour, loaded by
name: the tests of cooperation (what another module lends, shown on a ticket,
in test_integration.py; the navigation of two modules) reach it through its
hooks only, and no helpdesk file imports it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
import webtest
from helpdesk_api_client import CREATE, ApiClient, issue_token
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.identity.models import AGENT
from cagou.interfaces import IAccounts
from cagou_helpdesk.models import Article, Category, Group, Member

pytest_plugins = ["cagou.testing", "cagou.testing_browser"]

PASSWORD = "un-mot-de-passe-solide-2026"
TECHNICIANS = {"tech1": "BAU", "tech2": "BAU", "reseau": "INFRA"}
# The tests' helpers are imported in the functions: pytest must import cagou.testing itself (pytest_plugins)
# to rewrite its assertions, and a conftest's imports come first.
ACCESS_MATRIX = "access-matrix-helpdesk.md"


def pytest_sessionstart(session: pytest.Session) -> None:
    from cagou.testing_checks import ARTIFACTS

    (ARTIFACTS / ACCESS_MATRIX).unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Show who may open the helpdesk's pages, as test_access_matrix_helpdesk.py observed it."""
    from cagou.testing_checks import ARTIFACTS, show_matrix

    show_matrix(terminalreporter, ARTIFACTS / ACCESS_MATRIX)


@pytest.fixture(scope="session")
def cagou_modules() -> tuple[str, ...]:
    return ("cagou_sample", "cagou_helpdesk")


@pytest.fixture
def settings(settings: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The helpdesk's groups, categories and people in the demonstration, without its six weeks of tickets.

    Tests load the demonstration for its accounts; the tickets took about 1 s
    per test on SQLite and 2.5 s on PostgreSQL. The browser tests have them
    (the dashboard draws them); the demo test asks for them again.
    """
    history = request.node.get_closest_marker("browser") is not None
    return {**settings, "helpdesk.demo_history": "true" if history else "false"}


@dataclass
class Bureau:
    """Ids of what the ``helpdesk`` fixture made."""

    accounts: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)


def add_category(request, path: str, group: Group | None = None) -> Category:
    parent = None
    for depth, name in enumerate(path.split(" > ")):
        prefix = " > ".join(path.split(" > ")[: depth + 1])
        found = request.db.query(Category).filter_by(path=prefix).one_or_none()
        if found is None:
            found = Category(name=name, path=prefix, parent=parent)
            request.db.add(found)
        parent = found
    assert parent is not None
    parent.default_group = group
    return parent


@pytest.fixture
def helpdesk(registry: Registry, clock, settings: dict[str, Any], fixture_templates) -> Bureau:
    """The bureau, made by :func:`make_helpdesk` once per session and copied into the next tests (PostgreSQL).

    Making it took about 140 ms per test (seven accounts, their passwords
    checked and hashed, their audit entries), in 366 tests; copying its rows
    takes a few. ``fixture_templates`` makes it again for a test whose
    database is not empty, and on SQLite.
    """
    from cagou.testing import template_key

    key = (clock.now(), *template_key(settings))
    return fixture_templates.fill("helpdesk", key, lambda: make_helpdesk(registry))


def make_helpdesk(registry: Registry) -> Bureau:
    bureau = Bureau()
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        people = {
            "agent": "Paul Agent",
            "agente": "Lucie Agente",
            "tech1": "Théo Technicien",
            "tech2": "Inès Technicienne",
            "reseau": "Rémi Réseau",
            "chef": "Chloé Cheffe",
            "hdadmin": "Hugo Administrateur",
        }
        made = {
            name: accounts.create(name, title, AGENT, email=f"{name}@province-sud.nc", password=PASSWORD)
            for name, title in people.items()
        }
        for name in TECHNICIANS:
            accounts.grant(made[name], "helpdesk:technician")
        accounts.grant(made["chef"], "helpdesk:manager")
        accounts.grant(made["hdadmin"], "helpdesk:admin")
        bau = Group(code="BAU", name="Bureau de l'assistance aux utilisateurs", manager=made["chef"])
        infra = Group(code="INFRA", name="Bureau des infrastructures")
        request.db.add_all([bau, infra])
        request.db.flush()
        groups = {"BAU": bau, "INFRA": infra}
        for name, code in TECHNICIANS.items():
            request.db.add(Member(group_id=groups[code].id, account_id=made[name].id))
        categories = {
            "portable": add_category(request, "Matériel > Ordinateur portable"),
            "vpn": add_category(request, "Réseau > VPN", infra),
            "logiciels": add_category(request, "Logiciels"),
            "comptes": add_category(request, "Comptes et accès"),
        }
        now = datetime.datetime(2026, 3, 20, tzinfo=datetime.UTC)
        articles = {
            "vpn": Article(
                title="Configurer le VPN à la maison",
                body="Installez le client VPN, puis connectez-vous avec votre identifiant Windows.",
                category=categories["vpn"], published=True, author=made["tech1"], created_at=now, updated_at=now,
            ),
            "brouillon": Article(
                title="Brouillon sur le VPN de secours",
                body="Pas encore publié.",
                published=False, author=made["tech1"], created_at=now, updated_at=now,
            ),
        }  # fmt: skip
        request.db.add_all(articles.values())
        request.db.flush()
        bureau.accounts = {name: account.id for name, account in made.items()}
        bureau.groups = {code: group.id for code, group in groups.items()}
        bureau.categories = {key: category.id for key, category in categories.items()}
        bureau.articles = {key: article.id for key, article in articles.items()}
    return bureau


@pytest.fixture
def sign_in(app: webtest.TestApp, helpdesk: Bureau):
    """``sign_in("tech1")`` signs the test browser in as one of the bureau's people."""

    def sign_in_(name: str) -> webtest.TestResponse:
        from cagou.testing import login

        app.reset()
        return login(app, name, PASSWORD)

    return sign_in_


@pytest.fixture
def token_for(app, sign_in):
    """``token_for("tech1", CREATE, WORK)``: a client whose token (made by tech1) carries those scopes."""

    def make(login_name: str, *scopes: str) -> ApiClient:
        sign_in(login_name)
        return issue_token(app, scopes or (CREATE,))

    return make
