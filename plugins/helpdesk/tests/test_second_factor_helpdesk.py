"""The helpdesk's menu waits for the IT administrator's second factor, as every module's does.

The core's test (tests/test_second_factor.py) checks it with the sample
module's entry; here with the helpdesk's, which the demonstration's IT
administrator reaches as the helpdesk's administrator.
"""

from __future__ import annotations

import webtest

from cagou.testing import totp_code

FORM = "formulaire-second-facteur"


def password_step(app: webtest.TestApp) -> webtest.TestResponse:
    page = app.get("/intranet/connexion")
    page.forms[0]["login"] = "admin"
    page.forms[0]["password"] = "demo-admin-2026"
    return page.forms[0].submit()


def test_no_helpdesk_menu_until_the_second_factor_is_given(app, registry, demonstration):
    page = password_step(app).follow()
    assert page.html.find(id=FORM) is not None
    assert page.html.find("nav", attrs={"aria-label": "Navigation principale"}) is None
    assert "Assistance" not in page.html.find("header").get_text()
    form = page.forms[FORM]
    form["code"] = totp_code(registry, "admin")
    form.submit(status=200)
    space = app.get("/intranet/")
    nav = space.html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert "Assistance" in nav.text and "Console informatique" in nav.text
