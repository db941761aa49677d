"""The helpdesk administrator's pages: who opens them, the overview, the pages in English.

The pages themselves are tested in test_admin_categories.py, test_admin_groups.py
and test_admin_rules.py; each checks what the database holds afterwards, what the
page says and what the audit log recorded; bad input answers 400 with the message
next to its field and stores nothing.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from admin_helpers import (
    ADMIN,
    PAGES,
    categories_by_path,
    page_url,
    text_of,
)

from cagou.db import transaction_scope
from cagou.testing import csrf_token
from cagou_helpdesk.models import Category, Group, PriorityRule, ServiceLevel

# --- Access -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["agent", "tech1", "chef"])
@pytest.mark.parametrize("template", PAGES)
def test_only_the_helpdesk_administrator_opens_the_administration(app, sign_in, helpdesk, name, template):
    sign_in(name)
    app.get(page_url(template, helpdesk), status=403)


@pytest.mark.parametrize("template", PAGES)
def test_the_helpdesk_administrator_opens_every_page(app, sign_in, helpdesk, template):
    sign_in("hdadmin")
    page = app.get(page_url(template, helpdesk), status=200)
    assert page.html.find("nav", class_="console-tabs") is not None


def test_a_technician_cannot_post_to_the_administration(app, sign_in, helpdesk, registry):
    sign_in("tech1")
    token = csrf_token(app.get("/intranet/assistance/"))
    app.post(f"{ADMIN}/categories/", {"csrf_token": token, "name": "Imprimantes", "parent": ""}, status=403)
    app.post(f"{ADMIN}/groupes/", {"csrf_token": token, "code": "PIRATE", "name": "Pirates"}, status=403)
    assert "Imprimantes" not in categories_by_path(registry)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Group)) == 2


def test_the_overview_sums_up_the_configuration(app, sign_in, helpdesk, registry):
    with transaction_scope(registry) as request:
        request.db.add(PriorityRule(urgency=1, impact=1, priority=3))
        request.db.add(ServiceLevel(priority=2, first_response_minutes=90, resolution_minutes=600))
        request.db.get_one(Category, helpdesk.categories["logiciels"]).active = False
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/")
    text = text_of(page.html.find("main"))
    assert "Catégories : 6, dont désactivées : 1." in text
    assert "Cases qui diffèrent des valeurs d'origine : 1 sur 9." in text
    assert "P2 — haute 1 h 30 10 h" in text
    assert "Bureau de l'assistance aux utilisateurs (BAU, groupe par défaut)" in text


def test_the_pages_speak_english_too(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/niveaux-de-service?_LOCALE_=en")
    assert page.html.find("h1").text == "Service levels"
    assert "Monday to Friday, except New Caledonia's public holidays" in text_of(page.html.find("main"))
