"""Robots kept off the public side without a CAPTCHA: rate limits, a honeypot, a minimum time; nothing stored."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.abuse import DRAFTS_PER_ADDRESS, HONEYPOT
from cagou_aids.models import Draft
from pyramid.registry import Registry
from test_applying import SLUG, stored
from test_services import ANSWERS, published

from cagou.clock import FrozenClock
from cagou.kit import transaction_scope


def review_page(app: webtest.TestApp, registry: Registry) -> webtest.TestResponse:
    """A started draft holding every answer, and its review page."""
    app.get(f"/demarches/{SLUG}").forms["formulaire-commencer"].submit(status=303)
    with transaction_scope(registry) as request:
        draft = request.db.scalars(sa.select(Draft).order_by(Draft.id.desc())).first()
        draft.answers = dict(ANSWERS)
        token = draft.token
    return app.get(f"/demarches/{SLUG}/brouillon/{token}/verification")


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The module's default minimum time, which the other tests' settings set to nothing."""
    return {**settings, "aids.min_seconds": "3"}


@pytest.fixture
def ready(citizen_app: webtest.TestApp, registry: Registry, clock: FrozenClock) -> webtest.TestResponse:
    published(registry)
    return review_page(citizen_app, registry)


def test_a_submission_sent_at_once_after_the_review_page_is_refused(
    ready: webtest.TestResponse, registry: Registry, clock: FrozenClock
) -> None:
    form = ready.forms["formulaire-verification"]
    form["declaration"] = "oui"
    refused = form.submit(status=400)
    assert "Prenez le temps de relire vos réponses, puis déposez votre demande." in refused.text
    assert stored(registry) == []
    clock.advance(seconds=5)
    refused.forms["formulaire-verification"]["declaration"] = "oui"
    refused.forms["formulaire-verification"].submit(status=303)
    assert len(stored(registry)) == 1


def test_the_honeypot_filled_is_refused_and_stores_nothing(
    ready: webtest.TestResponse, registry: Registry, clock: FrozenClock
) -> None:
    clock.advance(seconds=5)
    form = ready.forms["formulaire-verification"]
    form["declaration"] = "oui"
    form[HONEYPOT] = "http://spam.example"
    refused = form.submit(status=400)
    assert "laissez vide le champ « Ne pas remplir »" in refused.text
    assert stored(registry) == []


def test_starting_drafts_beyond_the_limit_is_refused_with_when_to_come_back(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    published(registry)
    page = citizen_app.get(f"/demarches/{SLUG}")
    for _ in range(DRAFTS_PER_ADDRESS.attempts):
        page.forms["formulaire-commencer"].submit(status=303)
    refused = page.forms["formulaire-commencer"].submit(status=429)
    message = refused.html.select_one(".alert-error").text.strip()
    assert re.fullmatch(r"Trop de tentatives depuis votre connexion : réessayez dans \d+ minute\(s\)\.", message)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Draft)) == DRAFTS_PER_ADDRESS.attempts
