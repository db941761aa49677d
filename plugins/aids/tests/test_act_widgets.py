"""The widget « Actes à signer » on the intranet home: the unsigned acts of the signatory's directorates only."""

from __future__ import annotations

import pytest
import webtest
from bs4 import Tag
from pyramid.registry import Registry
from test_acts import FIRST, SECOND, THIRD, create_act, on_act, validated
from test_assignment import signed_in
from test_workflows import agents, business

from cagou.kit import AGENT, IAccounts, transaction_scope


@pytest.fixture
def people(registry: Registry, demonstration: None) -> dict[str, int]:
    found = agents(registry)
    with transaction_scope(registry) as request:  # a signatory of another directorate
        accounts = request.find_service(IAccounts)
        other = accounts.create("marc", "Marc", AGENT, password="lagon-vanille-tricot-2026")
        accounts.grant(other, "aids:signer", accounts.directorate("DSI"))
        found["marc"] = other.id
    return found


def widget(app: webtest.TestApp) -> Tag | None:
    """The home's region titled « Actes à signer », if the agent is shown one."""
    home = app.get("/intranet/")
    return next((region for region in home.html.select("section.widget") if region.h2.text == "Actes à signer"), None)


def text_of(region: Tag | None) -> str:
    assert region is not None
    return " ".join(region.text.split())


def test_the_signatory_sees_the_unsigned_acts_of_their_directorate_with_count_and_links(
    app: webtest.TestApp, registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    for receipt in (FIRST, SECOND, THIRD):
        validated(registry, people, receipt, "100000")
    first = create_act(registry, people["lea"], FIRST, SECOND)
    second = create_act(registry, people["lea"], THIRD)
    with transaction_scope(registry) as request:
        procedure = business(request).id
    signed_in(app, "sofia")
    region = widget(app)
    assert "2 acte(s) à signer" in text_of(region)
    assert region is not None
    links = [a["href"] for a in region.select("li a")]
    assert links == [f"/intranet/demarches/{procedure}/arretes/{act}" for act in (first, second)]
    assert "2 bénéficiaire(s)" in text_of(region) and "1 bénéficiaire(s)" in text_of(region)
    for link in [*links, region.select("p a")[-1]["href"]]:
        app.get(link, status=200)
    on_act(registry, people["sofia"], first, "sign")
    assert "1 acte(s) à signer" in text_of(widget(app))
    on_act(registry, people["sofia"], second, "sign")
    assert "Aucun arrêté n'attend votre signature." in text_of(widget(app))


def test_another_directorate_s_signatory_sees_none_and_an_instructor_no_widget(
    app: webtest.TestApp, registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    validated(registry, people, FIRST, "100000")
    create_act(registry, people["lea"], FIRST)
    signed_in(app, "marc")
    assert "Aucun arrêté n'attend votre signature." in text_of(widget(app))
    app.reset()
    signed_in(app, "lea")
    assert widget(app) is None
