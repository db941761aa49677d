"""The envelope's and the acts' pages: each form, its refusals next to their field, the signature by a signer."""

from __future__ import annotations

import sqlalchemy as sa
import webtest
from cagou_aids.models import Application
from pyramid.registry import Registry
from test_acts import FIRST, validated
from test_workflow_pages import business_id
from test_workflows import agents, take

from cagou.kit import IAccounts, transaction_scope
from cagou.testing import login

PASSWORD = "lagon-vanille-tricot-2026"


def as_agent(app: webtest.TestApp, name: str) -> None:
    app.reset()
    login(app, name, PASSWORD)


def test_the_designer_sets_the_envelope_and_reads_its_use(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    people = agents(registry)
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_id(people["lea"]), "aids:designer", accounts.directorate("DEFE-SAE"))
    procedure = business_id(registry)
    as_agent(app, "lea")
    page = app.get(f"/intranet/demarches/{procedure}/enveloppe")
    assert "1\u202f000\u202f000\u202f000\u00a0F\u00a0CFP" in page.html.find(id="enveloppe-montant").text  # the demo's
    page.forms["formulaire-enveloppe"]["montant"] = "beaucoup"
    refused = page.forms["formulaire-enveloppe"].submit(status=400)
    assert "nombre entier" in refused.html.find(id="erreur-montant").text
    assert "erreur-montant" in refused.html.find(id="champ-montant")["aria-describedby"]
    refused.forms["formulaire-enveloppe"]["montant"] = "1 000 000"
    done = refused.forms["formulaire-enveloppe"].submit(status=303).follow()
    assert "1\u202f000\u202f000\u00a0F\u00a0CFP" in done.html.find(id="enveloppe-montant").text
    validated(registry, people, FIRST, "250000")
    page = app.get(f"/intranet/demarches/{procedure}/enveloppe")
    assert "250\u202f000" in page.html.find(id="usage-validated").text
    assert page.html.find("svg", class_="envelope-chart")["role"] == "img"
    as_agent(app, "hugo")  # an instructor reads it, and may not set it
    page = app.get(f"/intranet/demarches/{procedure}/enveloppe")
    assert "formulaire-enveloppe" not in page.forms
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    app.post(f"/intranet/demarches/{procedure}/enveloppe", {"montant": "1", "csrf_token": token}, status=403)


def test_a_proposal_is_typed_with_its_amount_on_the_application_page(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    people = agents(registry)
    take(registry, people["lea"], "instruire")
    procedure = business_id(registry)
    as_agent(app, "lea")
    page = app.get(f"/intranet/demarches/{procedure}/demandes/{FIRST}")
    form = page.forms["transition-proposer"]
    form["motivation"] = "Éligible : perte de 60 %."
    refused = form.submit(status=400)
    assert refused.html.find(id="montant-proposer-erreur").text == "Montant proposé est obligatoire."
    assert "montant-proposer-erreur" in refused.html.find(id="montant-proposer")["aria-describedby"]
    refused.forms["transition-proposer"]["montant"] = "180 000"
    refused.forms["transition-proposer"]["motivation"] = "Éligible : perte de 60 %."
    refused.forms["transition-proposer"].submit(status=303)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.amount).where(Application.receipt == FIRST)) == 180_000


def test_an_act_is_created_from_its_page_and_signed_by_a_signer(
    app: webtest.TestApp, registry: Registry, demonstration: None
) -> None:  # fmt: skip
    people = agents(registry)
    validated(registry, people, FIRST, "300000")
    procedure = business_id(registry)
    as_agent(app, "lea")
    page = app.get(f"/intranet/demarches/{procedure}/arretes")
    form = page.forms["formulaire-arrete"]
    form["imputation"] = ""
    refused = form.submit(status=400)
    assert "imputation" in refused.html.find(id="erreur-imputation").text.lower()
    refused.forms["formulaire-arrete"]["imputation"] = "Chapitre 939, nature 6574"
    act = refused.forms["formulaire-arrete"].submit(status=303).follow()
    assert "300\u202f000" in act.html.find(id="total-arrete").text
    assert "signer" not in act.forms  # an instructor does not sign
    draft = app.get(act.request.path + "/arrete.pdf")
    assert draft.content_type == "application/pdf" and draft.body.startswith(b"%PDF")
    as_agent(app, "sofia")
    act = app.get(act.request.path)
    signed = act.forms["signer"].submit(status=303).follow()
    assert signed.html.find(id="etat-arrete").text == "Signé"
    assert "signer" not in signed.forms and "retirer" not in signed.forms
    pdf = app.get(act.request.path + "/arrete.pdf")
    assert pdf.body.startswith(b"%PDF")
    again = app.post(act.request.path + "/signer", {"csrf_token": act.forms["signer"]["csrf_token"].value},
                     status=409)  # fmt: skip
    assert "ne change plus" in again.text
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state).where(Application.receipt == FIRST)) == "acte_signe"
