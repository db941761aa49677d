"""A request for documents is closed when an instructor takes the workflow out of "complement" by hand."""

from __future__ import annotations

import sqlalchemy as sa
import webtest
from cagou_aids.models import COMPLEMENT, Application, ApplicationEvent, DocumentRequest
from pyramid.registry import Registry
from test_messages import application_path, audit_actions, instructor_app
from test_receipts import applied_with_files
from test_requests import ask

from cagou.kit import IAccounts, transaction_scope
from cagou.testing_checks import PDF_SAMPLE as PDF


def test_taking_the_workflow_out_of_complement_closes_the_open_request_and_locks_its_fields_again(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = applied_with_files(company_app, registry)
    instructor = instructor_app(company_app, registry)
    path = application_path(registry, receipt)
    ask(instructor, path, ["rib"], "Le RIB est illisible : envoyez-en un autre.")
    page = company_app.get(f"/mes-demarches/{receipt}")
    complement = page.click(description="Envoyer les compléments demandés")  # the applicant's form stays open…

    resumed = instructor.get(path).forms["transition-complement_recu"].submit(status=303).follow()  # …meanwhile
    assert resumed.html.find(id="etat-actuel").text == "En instruction"
    assert "formulaire-complements" not in resumed.forms and resumed.html.find(id="complements") is None

    form = complement.forms["formulaire-complements"]
    form["rib"] = webtest.Upload("rib.pdf", PDF, "application/pdf")
    form.submit(status=404)  # the request is no longer open: its fields are locked again
    mine = company_app.get(f"/mes-demarches/{receipt}")
    assert "Envoyer les compléments demandés" not in mine.text and mine.html.find(id="complements") is None
    assert "Demande de compléments close par le service instructeur" in mine.html.find(id="historique").text
    company_app.get(f"/mes-demarches/{receipt}/complements", status=404)
    with transaction_scope(registry) as request:
        closed = request.db.scalars(sa.select(DocumentRequest)).one()
        instructor_id = request.find_service(IAccounts).by_login("instructeur").id
        assert (closed.closed_by_id, closed.answered_at is not None) == (instructor_id, True)
        application = request.db.scalars(sa.select(Application)).one()
        assert application.state == "en_instruction"
        texts = list(request.db.scalars(sa.select(ApplicationEvent.text).order_by(ApplicationEvent.id)))
    assert texts[-2:] == [
        "Complément reçu, instruction reprise.",
        "Demande de compléments close par le service instructeur : elle n'attend plus de réponse.",
    ]
    actions = [action for action in audit_actions(registry) if action != "aids:application:read"]
    assert actions[-2:] == ["aids:application:transition", "aids:request:close"]
    assert "aids:request:answer" not in actions


def test_the_service_refuses_the_answer_of_a_closed_request_with_its_reason(
    company_app: webtest.TestApp, registry: Registry
) -> None:
    from cagou_aids.interfaces import IDocumentRequests, IWorkflows
    from webob.multidict import MultiDict

    from cagou.kit import Refused, act_as

    receipt = applied_with_files(company_app, registry)
    instructor = instructor_app(company_app, registry)
    ask(instructor, application_path(registry, receipt), ["rib"], "Un autre RIB, s'il vous plaît.")
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_login("instructeur"))
        application = request.db.scalars(sa.select(Application)).one()
        assert application.state == COMPLEMENT
        request.find_service(IWorkflows).take(application, "classer", {"motivation": "Dossier abandonné."})
        document_request = request.db.scalars(sa.select(DocumentRequest)).one()
        try:
            request.find_service(IDocumentRequests).answer(document_request, MultiDict(), {}, None)
        except Refused as refused:
            assert refused.status == 409 and "a clos cette demande de compléments" in refused.message
        else:
            raise AssertionError("the answer of a closed request was taken")
