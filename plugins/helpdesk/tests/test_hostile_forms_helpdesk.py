"""Every helpdesk form the demonstration's agents reach, sent crafted values: never a 5xx, never stored half-way.

The walk and the checks are the core's (cagou.testing_checks, as the core's
tests/test_hostile_forms.py runs them on its own forms): control characters
must be refused with a 400 in French and nothing stored; a corpus of values a
person or an attacker could type, in every field and in the hidden ones,
never brings a 5xx nor markup unescaped. Here the forms are the helpdesk's
(their action under /intranet/assistance/), as the intranet's people reach
them from their home page; citizens and companies reach none.
"""

from __future__ import annotations

import pytest

from cagou.testing import login
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
]
HELPDESK = "/intranet/assistance/"


@pytest.fixture
def demo(app, demonstration):
    """The demonstration, and a ticket of the agent's for the ticket pages' forms."""
    login(app, "agent", "demo-agent-2026")
    form = app.get("/intranet/assistance/nouvelle").forms["formulaire-demande"]
    form["title"], form["category"], form["description"] = "Écran noir", "Logiciels", "Depuis ce matin."
    form.submit().follow()
    app.reset()


def helpdesk_forms(app, site: str):
    """The forms of the walk whose action is the helpdesk's."""
    return [(page, form) for page, form in walk(app, site) if (form.action or page).startswith(HELPDESK)]


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_refuses_control_characters_and_stores_nothing(app, registry, demo, login_name, password, site):
    signed_in(app, login_name, password, site)
    assert_forms_refuse_control_characters(registry, helpdesk_forms(app, site))


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_takes_crafted_values_without_a_server_error(app, registry, demo, login_name, password, site):
    signed_in(app, login_name, password, site)
    assert_forms_take_crafted_values(helpdesk_forms(app, site))
