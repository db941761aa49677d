"""Every form the demonstration accounts can reach, sent crafted values: never a 5xx, never stored half-way.

The test walks the pages each account reaches from its home page (the
core's and the enabled modules', the IT console included), gathers every
form, and sends each of them:

- control characters and a lone surrogate in every text field: the input
  guard must answer 400 in French, and no table but the audit log and the
  rate-limit counters may change;
- a corpus of values a person or an attacker could type (markup, quotes,
  spreadsheet formulas, right-to-left overrides, emoji, a very long text,
  blanks, numbers out of range, dates that do not exist), in every field a
  person can type in and in the hidden ones, which anyone can change: any
  answer but a 5xx, and the markup never comes back unescaped.

Modules are covered as soon as their pages are linked from the navigation.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import webtest
from webtest.forms import Checkbox, File, MultipleSelect, Radio, Select, Submit

from cagou.db import get_engine
from cagou.testing import login

ACCOUNTS = [
    ("admin", "demo-admin-2026", "intranet"),
    ("agent", "demo-agent-2026", "intranet"),
    ("technicien", "demo-technicien-2026", "intranet"),
    ("citoyen", "demo-citoyen-2026", "public"),
    ("entreprise", "demo-entreprise-2026", "public"),
    (None, None, "public"),
    (None, None, "intranet"),
]
MAX_PAGES = 120
MARKUP = "<script>alert('cagou')</script>"
CORPUS = [
    MARKUP,
    "' OR '1'='1' -- ; DROP TABLE account;",
    '=HYPERLINK("http://exemple.invalid","clic")',
    "\u202egnp.exe",
    "Écran 🖨️ 𝕏 naïve façon œuvre",
    "a" * 20_000,
    "   ",
    "-99999999999999999999",
    "2026-02-30",
    "%s%n{0}{{7*7}}",
    "../../../../etc/passwd",
]
HOSTILE = ["avant\x00après", "bip\x07", "\x1b[31mrouge"]
#: Actions left out: they end the session or the account the walk goes on with.
SKIPPED_ACTIONS = ("deconnexion",)
#: Pages and forms alike but for the numbers in their address are walked and sent this many times.
SAME_SHAPE = 2
#: Tables a refusal may write to: its audit entry (and its SQLite full-text index), the rate-limit counter, sessions.
REFUSAL_TABLES = {"audit_entry", "attempt_counter", "login_session"}


@pytest.fixture
def demo(app, demonstration):
    """The demonstration, and a ticket of the agent's for the ticket pages' forms."""
    login(app, "agent", "demo-agent-2026")
    form = app.get("/intranet/assistance/nouvelle").forms["formulaire-demande"]
    form["title"], form["category"], form["description"] = "Écran noir", "Logiciels", "Depuis ce matin."
    form.submit().follow()
    app.reset()


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def home(site: str) -> str:
    return "/intranet/" if site == "intranet" else "/"


def signed_in(app: webtest.TestApp, login_name: str | None, password: str | None, site: str) -> None:
    app.reset()
    if login_name is not None:
        login(app, login_name, password, site)


def same_site(href: str, site: str) -> bool:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href.startswith("/"):
        return False
    on_intranet = parts.path.startswith("/intranet/")
    return on_intranet == (site == "intranet") and not parts.path.endswith((".csv", ".xlsx"))


def walk(app: webtest.TestApp, site: str) -> list[tuple[str, webtest.forms.Form]]:
    """The forms of every page reachable from the site's home, one per action, method and fields."""
    seen_pages, shapes, forms = set(), Counter[str](), {}
    queue = deque([home(site)])
    while queue and len(seen_pages) < MAX_PAGES:
        path = queue.popleft()
        if path in seen_pages or shapes[shape(path)] >= SAME_SHAPE:
            continue
        seen_pages.add(path)
        shapes[shape(path)] += 1
        page = app.get(path, expect_errors=True)
        while page.status_int in (301, 302, 303) and same_site(page.location.removeprefix("http://localhost"), site):
            page = page.follow(expect_errors=True)
        assert page.status_int < 500, f"{path}: {page.status}"
        if page.content_type != "text/html":
            continue
        for link in page.html.find_all("a", href=True):
            href = link["href"].split("#")[0]
            if href and same_site(href, site) and "deconnexion" not in href:
                queue.append(href)
        for form in page.forms.values():
            action = form.action or path
            if any(skipped in action for skipped in SKIPPED_ACTIONS):
                continue
            key = (shape(action), form.method.upper(), tuple(sorted(name for name in form.fields if name)))
            if shapes[repr(key)] < SAME_SHAPE and (action, key) not in forms:
                shapes[repr(key)] += 1
                forms[action, key] = (path, form)
    # The module switches last: a module switched off takes its forms with it.
    return sorted(forms.values(), key=lambda item: "/console/modules" in (item[1].action or ""))


def typed_fields(form: webtest.forms.Form, hidden_too: bool):
    for name, fields in form.fields.items():
        if not name or name == "csrf_token":
            continue
        for field in fields:
            if isinstance(field, Select | MultipleSelect | Checkbox | Radio | File | Submit):
                continue
            if field.__class__.__name__ == "Hidden" and not hidden_too:
                continue
            yield field


def send(form: webtest.forms.Form, value: str, hidden_too: bool) -> webtest.TestResponse | None:
    fields = list(typed_fields(form, hidden_too))
    if not fields:
        return None
    for field in fields:
        field.force_value(value)
    return form.submit(expect_errors=True)


def table_counts(registry) -> dict[str, int]:
    inspector = sa.inspect(get_engine(registry))
    with get_engine(registry).connect() as connection:
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in inspector.get_table_names()
            if name not in REFUSAL_TABLES and not name.startswith("audit_entry_fts")
        }


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_refuses_control_characters_and_stores_nothing(app, registry, demo, login_name, password, site):
    signed_in(app, login_name, password, site)
    forms = walk(app, site)
    before = table_counts(registry)
    sent = 0
    for value in HOSTILE:
        for page, form in forms:
            answer = send(form, value, hidden_too=False)
            if answer is None:
                continue
            sent += 1
            where = f"{form.method} {form.action} (from {page})"
            assert answer.status_int == 400, f"{where}: {answer.status}"
            text = answer.json["error"] if answer.content_type == "application/json" else answer.text
            assert "caractère invisible" in text, where
    assert sent, "no form had a field to type in"  # each account reaches one at least (a deletion, a search…)
    assert table_counts(registry) == before


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_takes_crafted_values_without_a_server_error(app, registry, demo, login_name, password, site):
    signed_in(app, login_name, password, site)
    forms = walk(app, site)
    # Typed fields alone first (hidden ones as the page gave them, so the checks behind reach the value), then all.
    for value, hidden_too in itertools.product(CORPUS, (False, True)):
        for page, form in forms:
            answer = send(form, value, hidden_too)
            if answer is None:
                continue
            where = f"{form.method} {form.action} (from {page}) with {value[:40]!r}, hidden fields too: {hidden_too}"
            assert answer.status_int < 500, f"{where}: {answer.status}"
            assert MARKUP not in answer.text, f"{where}: the markup came back unescaped"
