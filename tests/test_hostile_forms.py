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

Modules are covered as soon as their pages are linked from the navigation:
here the sample module's; a module's own suite walks its forms with the same
checks (cagou.testing_checks; plugins/helpdesk/tests/test_hostile_forms_helpdesk.py).
"""

from __future__ import annotations

import pytest

from cagou.testing_checks import (
    assert_forms_refuse_control_characters,
    assert_forms_take_crafted_values,
    signed_in,
    walk,
)

ACCOUNTS = [
    ("admin", "demo-admin-2026", "intranet"),
    ("agent", "demo-agent-2026", "intranet"),
    ("technicien", "demo-technicien-2026", "intranet"),
    ("citoyen", "demo-citoyen-2026", "public"),
    ("entreprise", "demo-entreprise-2026", "public"),
    (None, None, "public"),
    (None, None, "intranet"),
]


@pytest.fixture
def demo(app, demonstration):
    """The demonstration."""


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_refuses_control_characters_and_stores_nothing(app, registry, demo, login_name, password, site):
    signed_in(app, login_name, password, site)
    assert_forms_refuse_control_characters(registry, walk(app, site))


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_takes_crafted_values_without_a_server_error(app, registry, demo, login_name, password, site):
    signed_in(app, login_name, password, site)
    assert_forms_take_crafted_values(walk(app, site))
