"""Every aids form the demonstration's people reach, sent crafted values: never a 5xx, never stored half-way.

The walk and the checks are the core's (cagou.testing_checks): control
characters are refused with a 400 in French and nothing is stored; a corpus
of values a person or an attacker could type, in every field and in the
hidden ones, never brings a 5xx nor markup unescaped. The citizen has a
draft of the repatriation census, so that the walk reaches the form's pages
from "Mes démarches"; the demo agent reaches the instructors' filters.
"""

from __future__ import annotations

import pytest
import webtest
from pyramid.registry import Registry

from cagou.testing import login
from cagou.testing_checks import (
    assert_forms_refuse_control_characters,
    assert_forms_take_crafted_values,
    signed_in,
    walk,
)

ACCOUNTS = [
    (None, None, "public"),  # a guest: the form to apply without an account
    ("citoyen", "demo-citoyen-2026", "public"),
    ("agent", "demo-agent-2026", "intranet"),
]
AIDS = ("/demarches/", "/mes-demarches/", "/intranet/demarches/")


@pytest.fixture
def demo(app: webtest.TestApp, demonstration: None) -> None:
    """The demonstration, and a draft of the citizen's for the form's pages."""
    login(app, "citoyen", "demo-citoyen-2026", site="public")
    page = app.get("/demarches/").click(description="Recensement des résidents de la province Sud bloqués à l'étranger")
    page.forms["formulaire-commencer"].submit().follow()
    app.reset()


def aids_forms(app: webtest.TestApp, site: str) -> list[tuple[str, webtest.forms.Form]]:
    return [(page, form) for page, form in walk(app, site) if (form.action or page).startswith(AIDS)]


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_refuses_control_characters_and_stores_nothing(
    app: webtest.TestApp, registry: Registry, demo: None, login_name: str | None, password: str | None, site: str
) -> None:
    signed_in(app, login_name, password, site)
    forms = aids_forms(app, site)
    assert forms
    assert_forms_refuse_control_characters(registry, forms)


@pytest.mark.parametrize(("login_name", "password", "site"), ACCOUNTS, ids=lambda value: str(value))
def test_every_form_takes_crafted_values_without_a_server_error(
    app: webtest.TestApp, registry: Registry, demo: None, login_name: str | None, password: str | None, site: str
) -> None:
    signed_in(app, login_name, password, site)
    assert_forms_take_crafted_values(aids_forms(app, site))
