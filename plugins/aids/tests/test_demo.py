"""The demonstration: both procedures open, their 2020 applications numbered, the demo agent designing."""

from __future__ import annotations

import sqlalchemy as sa
import webtest
from cagou_aids.demo import SCALES
from cagou_aids.models import Application, Procedure, ReceiptCounter
from pyramid.registry import Registry

from cagou.demo import load_demo
from cagou.kit import IAccounts, transaction_scope


def counts(registry: Registry) -> dict[str, int]:
    with transaction_scope(registry) as request:
        query = (
            sa.select(Procedure.receipt_prefix, sa.func.count(Application.id)).join(Application).group_by(Procedure.id)
        )
        return {prefix: count for prefix, count in request.db.execute(query)}


def test_the_demonstration_opens_both_procedures_with_their_2020_applications(
    demonstration: None, app: webtest.TestApp, registry: Registry
) -> None:
    registrations, businesses = SCALES["demo"]
    assert counts(registry) == {"RAP": registrations, "AIDE": businesses}
    with transaction_scope(registry) as request:
        last = request.db.scalar(sa.select(Application.receipt).order_by(Application.submitted_at.desc()).limit(1))
        counter = request.db.get(ReceiptCounter, ("AIDE", 2020))
        assert counter is not None and counter.last == businesses
        agent = request.find_service(IAccounts).by_login("agent")
        assert {grant.role for grant in agent.grants} >= {"aids:designer"}
    assert last is not None and last.startswith(("RAP-2020-", "AIDE-2020-"))
    titles = [link.text for link in app.get("/demarches/").html.select("#demarches h2 a")]
    assert titles == ["Aide exceptionnelle aux entreprises — plan de soutien COVID-19",
                      "Recensement des résidents de la province Sud bloqués à l'étranger"]  # fmt: skip


def test_loading_the_demonstration_again_changes_nothing(demonstration: None, registry: Registry) -> None:
    before = counts(registry)
    with transaction_scope(registry) as request:
        load_demo(request)
    assert counts(registry) == before
