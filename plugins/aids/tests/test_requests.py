"""Requests for documents: an instructor reopens chosen fields, the applicant answers only those."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IDocumentRequests
from cagou_aids.models import COMPLEMENT, SUBMITTED, Application, ApplicationEvent, DocumentRequest, StoredFile
from pyramid.registry import Registry
from test_files import PDF
from test_following import submitted_by
from test_messages import CONTACT, application_path, audit_actions, instructor_app
from test_receipts import applied_with_files
from webob.multidict import MultiDict

from cagou.kit import AGENT, IAccounts, Refused, transaction_scope
from cagou.testing import delivered_mail, is_postgresql
from cagou.testing_checks import PROGRAM_SAMPLE as PROGRAM


def ask(
    instructor: webtest.TestApp, path: str, fields: list[str], text: str, status: int = 303
) -> webtest.TestResponse:
    form = instructor.get(path).forms["formulaire-complements"]
    for checkbox in form.fields["champs"]:
        checkbox.checked = checkbox._value in fields
    form["demande"] = text
    return form.submit(status=status)


def state_of(registry: Registry) -> str:
    with transaction_scope(registry) as request:
        return str(request.db.scalar(sa.select(Application.state)))


def test_an_instructor_asks_for_a_new_rib_and_the_company_sends_only_that(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = applied_with_files(company_app, registry)
    instructor = instructor_app(company_app, registry)
    path = application_path(registry, receipt)
    asked = ask(instructor, path, ["rib"], "Le RIB est illisible : envoyez-en un autre.").follow()
    assert "Compléments demandés au demandeur." in asked.text
    assert state_of(registry) == COMPLEMENT
    mail = delivered_mail(registry)[-1]
    assert mail["To"] == "contact@boulangerie.nc" and "Le RIB est illisible" in mail.get_content()

    page = company_app.get(f"/mes-demarches/{receipt}")
    assert page.html.find(id="etat").text.startswith("Compléments demandés")
    complement = page.click(description="Envoyer les compléments demandés")
    form = complement.forms["formulaire-complements"]
    assert [name for name in form.fields if name not in ("csrf_token", None)] == ["rib"]  # nothing else to edit
    assert "Boulangerie du Mont-Dore" in complement.html.find(id="autres-reponses").text  # shown, read-only
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-rib").text == "Ce champ est obligatoire."
    form = refused.forms["formulaire-complements"]
    form["rib"] = webtest.Upload("rib.pdf", PROGRAM, "application/pdf")
    refused = form.submit(status=400)
    assert "n'est pas d'un type accepté" in refused.html.find(id="erreur-rib").text
    assert state_of(registry) == COMPLEMENT
    form = refused.forms["formulaire-complements"]
    form["rib"] = webtest.Upload("nouveau-rib.pdf", PDF, "application/pdf")
    done = form.submit(status=303).follow()
    assert "Vos compléments sont envoyés au service instructeur." in done.text
    assert state_of(registry) == SUBMITTED
    assert "nouveau-rib.pdf" in done.text and "rib du compte.png" not in done.text
    assert delivered_mail(registry)[-1]["To"] == CONTACT
    history = [item.text.split(" — ", 1)[1] for item in instructor.get(path).html.select("#historique li")]
    assert history[-1] == "Compléments envoyés : « Relevé d'identité bancaire »."

    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application)).one()
        assert application.answers["rib"] == [hashlib.sha256(PDF).hexdigest()]
        assert application.answers["raison_sociale"] == "Boulangerie du Mont-Dore"
        assert application.version.number == 1
        events = list(request.db.scalars(sa.select(ApplicationEvent.text).order_by(ApplicationEvent.id)))
        replaced = request.db.scalar(
            sa.select(StoredFile.replaced_at).where(StoredFile.filename == "../rib du compte.png")
        )
        assert replaced is not None  # kept with the application (retention erases it), no longer listed
    assert events[1:] == ["Compléments demandés : « Relevé d'identité bancaire ».",
                          "Compléments envoyés : « Relevé d'identité bancaire »."]  # fmt: skip
    actions = audit_actions(registry)
    assert actions.index("aids:request:ask") < actions.index("aids:request:answer")
    company_app.get(f"/mes-demarches/{receipt}/complements", status=404)  # answered: nothing is asked any more


def test_a_request_naming_an_unknown_field_or_none_or_without_a_text_is_refused_and_nothing_is_kept(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    instructor = instructor_app(citizen_app, registry)
    path = application_path(registry, receipt)
    refused = ask(instructor, path, [], "Précisez.", status=400)
    assert refused.html.find(id="erreur-champs").text == "Cochez au moins un champ à rouvrir."
    refused = ask(instructor, path, ["ville"], "", status=400)
    assert refused.html.find(id="erreur-demande").text == "La demande est obligatoire."
    token = refused.forms["formulaire-complements"]["csrf_token"].value
    crafted = instructor.post(path + "/complements", {"champs": "mot_de_passe", "demande": "x", "csrf_token": token},
                              status=400)  # fmt: skip
    assert crafted.html.find(id="erreur-champs").text.startswith("Ce formulaire n'a pas de champ « mot_de_passe »")
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(DocumentRequest)) == 0
    assert state_of(registry) == SUBMITTED
    assert "aids:request:ask" not in audit_actions(registry)


def test_a_census_answer_reopened_is_read_with_the_version_s_rules(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    instructor = instructor_app(citizen_app, registry)
    ask(instructor, application_path(registry, receipt), ["depuis"], "Depuis quand êtes-vous à Sydney ?")
    form = citizen_app.get(f"/mes-demarches/{receipt}/complements").forms["formulaire-complements"]
    assert form["depuis"].value == "2020-02-10"
    form["depuis"] = "31/02/2020"
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-depuis").text == "Une date au format JJ/MM/AAAA, par exemple 21/03/2020."
    token = refused.forms["formulaire-complements"]["csrf_token"].value
    # "nom" was not asked: not a field of the form, and ignored when a crafted post sends it
    sent = {"depuis": "01/03/2020", "nom": "Autre", "csrf_token": token}
    citizen_app.post(f"/mes-demarches/{receipt}/complements", sent, status=303)
    with transaction_scope(registry) as request:
        answers = request.db.scalar(sa.select(Application.answers))
    assert (answers["depuis"], answers["nom"]) == ("2020-03-01", "Wamytan")


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_complements_sent_twice_at_once_are_kept_once(citizen: Any, registry: Registry) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    with transaction_scope(registry) as request:
        instructor = request.find_service(IAccounts).create("instructrice", "Léa Instructrice", AGENT)
        application = request.db.scalars(sa.select(Application).where(Application.receipt == receipt)).one()
        request.find_service(IDocumentRequests).ask(application, ["ville"], "Quelle ville ?", instructor)
    outcomes: list[str] = []

    def client(city: str) -> None:
        with transaction_scope(registry) as request:
            asked = request.db.scalars(sa.select(DocumentRequest)).one()
            try:
                request.find_service(IDocumentRequests).answer(asked, MultiDict({"ville": city}), {}, None)
                outcomes.append("kept")
            except Refused as refused:
                outcomes.append(str(refused.status))

    threads = [threading.Thread(target=client, args=(city,)) for city in ("Melbourne", "Perth", "Brisbane")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "409", "kept"]
    with transaction_scope(registry) as request:
        sent = request.db.scalars(
            sa.select(ApplicationEvent.text).where(ApplicationEvent.text.like("Compléments envoyés%"))
        )
        assert len(list(sent)) == 1
