"""The workflow's pages: transitions as forms on the application's page, hostile input, the diagram, the counts."""

from __future__ import annotations

import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, Procedure, TransitionTaken
from pyramid.registry import Registry
from test_workflows import RECEIPT, agents

from cagou.kit import transaction_scope
from cagou.testing import login


def business_id(registry: Registry) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(Procedure.id).where(Procedure.receipt_prefix == "AIDE")))


def signed_in(app: webtest.TestApp, registry: Registry) -> int:
    agents(registry)
    login(app, "lea", "lagon-vanille-tricot-2026")
    return business_id(registry)


def test_an_instructor_takes_transitions_from_the_application_page(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    procedure = signed_in(app, registry)
    page = app.get(f"/intranet/demarches/{procedure}/demandes/{RECEIPT}")
    assert page.html.find(id="etat-actuel").text == "Déposée"
    assert page.html.select_one('.workflow li[aria-current="step"] .state-name').text == "Déposée"
    assert "Proposer une décision → Proposée (instructeur)" in page.html.find(class_="workflow").text
    done = page.forms["transition-instruire"].submit(status=303).follow()
    assert done.html.find(id="etat-actuel").text == "En instruction"
    refused = done.forms["transition-refuser"].submit(status=400)
    error = refused.html.find(id="motivation-refuser-erreur")
    assert "motivation" in error.text.lower()
    assert refused.html.find(id="motivation-refuser")["aria-describedby"] == "motivation-refuser-erreur"
    assert "transition-instruire" not in done.forms  # "Prendre en instruction" no longer leaves "en instruction"
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state).where(Application.receipt == RECEIPT)) == "en_instruction"


def test_hostile_or_stale_posts_get_a_4xx_and_change_nothing(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    procedure = signed_in(app, registry)
    page = app.get(f"/intranet/demarches/{procedure}/demandes/{RECEIPT}")
    form = page.forms["transition-instruire"]
    token = form["csrf_token"].value
    url = f"/intranet/demarches/{procedure}/demandes/{RECEIPT}/circuit"
    assert app.post(url, {"csrf_token": token, "transition": "valider", "etat": "deposee"}, status=403)
    assert app.post(url, {"csrf_token": token, "transition": "x" * 5000, "etat": "<script>"}, status=404)
    assert app.post(url, {"csrf_token": token, "transition": "instruire", "etat": "proposee"}, status=409)
    long = app.post(url, {"csrf_token": token, "transition": "classer", "etat": "deposee", "motivation": "a" * 6000},
                    status=400)  # fmt: skip
    assert long.html.find(id="motivation-classer-erreur") is not None
    app.post(f"/intranet/demarches/{procedure}/demandes/NULLE/circuit", {"csrf_token": token}, status=404)
    app.post(url, {"transition": "instruire", "etat": "deposee"}, status=400)  # no CSRF token
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(TransitionTaken)) == 0
        assert request.db.scalar(sa.select(Application.state).where(Application.receipt == RECEIPT)) == "deposee"


def test_the_diagram_and_the_counts_per_state(app: webtest.TestApp, registry: Registry, demonstration: None) -> None:
    procedure = signed_in(app, registry)
    diagram = app.get(f"/intranet/demarches/{procedure}/circuit")
    boxes = [item.find(class_="state-name").text for item in diagram.html.select(".workflow > li")]
    assert boxes[:4] == ["Déposée", "En instruction", "Compléments demandés", "Proposée"] and "Payée" in boxes
    listing = app.get(f"/intranet/demarches/{procedure}/demandes")
    counts = listing.html.find(id="comptes-etats").text
    assert "Déposée : 2400" in " ".join(counts.split())
    page = app.get(f"/intranet/demarches/{procedure}/demandes/{RECEIPT}")
    page.forms["transition-instruire"].submit(status=303)
    filtered = app.get(f"/intranet/demarches/{procedure}/demandes", {"etat": "en_instruction"})
    assert [link.text for link in filtered.html.select("#demandes td:first-child a")] == [RECEIPT]
    unknown = app.get(f"/intranet/demarches/{procedure}/demandes", {"etat": "<inconnu>"}, status=400)
    assert unknown.html.find(id="erreur-adresse").text == "Cette démarche n'a pas d'état « <inconnu> »."
