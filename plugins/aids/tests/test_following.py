"""The applicant follows their application: its state in plain French, its history, their answers, withdrawal."""

from __future__ import annotations

import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IApplications
from cagou_aids.models import WITHDRAWN, Application, Procedure
from pyramid.registry import Registry
from test_services import ANSWERS, published

from cagou.kit import CITIZEN, IAccounts, transaction_scope
from cagou.testing import csrf_token


def submitted_by(registry: Registry, login: str) -> str:
    """An application of the account ``login``, through the service as the review page submits it."""
    procedure_id = published(registry)
    with transaction_scope(registry) as request:
        person = request.find_service(IAccounts).by_login(login)
        procedure = request.db.get(Procedure, procedure_id)
        application = request.find_service(IApplications).submit(procedure, dict(ANSWERS), "clef", person.email, person)
        return application.receipt


def test_the_applicant_reads_the_state_history_and_answers(citizen_app: webtest.TestApp, registry: Registry) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    page = citizen_app.get("/mes-demarches/").click(description=receipt)
    # The census follows "Recensement et tri": its label and meaning of the submitted state.
    assert page.html.find(id="etat").text.startswith("Nouvelle : Votre inscription est enregistrée.")
    assert [item.text.split(" — ")[1] for item in page.html.select("#historique li")] == [
        f"Demande déposée, numéro {receipt}."]  # fmt: skip
    assert "Australie" in page.text


def test_withdrawing_needs_a_confirmation_then_is_kept_in_the_history_and_audited(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    page = citizen_app.get(f"/mes-demarches/{receipt}")
    refused = page.forms["formulaire-retrait"].submit(status=400)
    assert refused.html.find(id="erreur-confirmer").text == "Cochez la case pour confirmer le retrait."
    refused.forms["formulaire-retrait"]["confirmer"] = "oui"
    done = refused.forms["formulaire-retrait"].submit(status=303).follow()
    assert f"Votre demande {receipt} est retirée." in done.text
    assert done.html.find(id="etat").text.startswith("Retirée : Vous avez retiré cette demande")
    assert "formulaire-retrait" not in done.forms
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state)) == WITHDRAWN
        actions = request.db.scalars(sa.text("SELECT action FROM audit_entry WHERE module = 'aids' ORDER BY id")).all()
    assert actions[-1] == "aids:application:withdraw"


def test_someone_else_s_application_does_not_exist_for_you(citizen_app: webtest.TestApp, registry: Registry) -> None:
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).create("autre", "Autre personne", CITIZEN, email="autre@example.nc")
    receipt = submitted_by(registry, "autre")
    citizen_app.get(f"/mes-demarches/{receipt}", status=404)
    token = csrf_token(citizen_app.get("/mes-demarches/"))
    citizen_app.post(f"/mes-demarches/{receipt}/retirer", {"confirmer": "oui", "csrf_token": token}, status=404)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state)) == "deposee"


def test_the_public_home_shows_mes_demarches_with_the_latest_application(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    home = citizen_app.get("/")
    widget = home.html.find("section", class_="widget")
    assert widget.find("h2").text == "Mes démarches" and "aucune démarche en cours" in widget.text
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    widget = citizen_app.get("/").html.find("section", class_="widget")
    assert f"{receipt} — Recensement des résidents bloqués à l'étranger : Nouvelle" in " ".join(widget.text.split())
    assert citizen_app.get("/").click(description=receipt).html.find(id="etat") is not None
