"""Messages both ways: the instructors write from the application's page, the applicant reads and answers on theirs."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, ApplicationEvent, ApplicationMessage, Procedure, StoredFile
from pyramid.registry import Registry
from test_following import submitted_by
from test_guests import guest_applied

from cagou.kit import AGENT, IAccounts, transaction_scope
from cagou.testing import csrf_token, delivered_mail, login
from cagou.testing_checks import PDF_SAMPLE as PDF
from cagou.testing_checks import PROGRAM_SAMPLE as PROGRAM

PASSWORD = "lagon-vanille-tricot-2026"
CONTACT = "recensement@province-sud.nc"


def instructor_app(app: webtest.TestApp, registry: Registry) -> webtest.TestApp:
    """Another browser on the same platform, an instructor signed in on the intranet."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.create("instructeur", "Léa Instructrice", AGENT, password=PASSWORD), "aids:instructor")
        request.db.execute(sa.update(Procedure).values(contact_email=CONTACT))
    other = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(other, "instructeur", PASSWORD)
    return other


def application_path(registry: Registry, receipt: str) -> str:
    with transaction_scope(registry) as request:
        procedure_id = request.db.scalar(sa.select(Application.procedure_id).where(Application.receipt == receipt))
    return f"/intranet/demarches/{procedure_id}/demandes/{receipt}"


def audit_actions(registry: Registry) -> list[str]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.text("SELECT action FROM audit_entry WHERE module = 'aids' ORDER BY id")))


def test_an_instructor_writes_with_a_file_and_the_applicant_reads_downloads_and_answers(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    instructor = instructor_app(citizen_app, registry)
    form = instructor.get(application_path(registry, receipt)).forms["formulaire-message"]
    form["texte"] = "Merci d'envoyer votre billet d'avion."
    form["pieces"] = [webtest.Upload("modele.pdf", PDF, "application/pdf")]
    written = form.submit(status=303).follow()
    assert "Message envoyé au demandeur." in written.text
    mail = delivered_mail(registry)[-1]
    assert mail["To"] == "marie.wamytan@example.nc" and receipt in mail["Subject"]
    assert "Merci d'envoyer votre billet d'avion." in mail.get_content()

    page = citizen_app.get(f"/mes-demarches/{receipt}")
    [shown] = page.html.select("#messages .messages > li")
    assert "Le service instructeur" in shown.text and "Merci d'envoyer votre billet d'avion." in shown.text
    assert page.click(description="modele.pdf").body == PDF
    form = page.forms["formulaire-message"]
    form["texte"] = "Le voici."
    form["pieces"] = [webtest.Upload("billet.pdf", PDF, "application/pdf")]
    answered = form.submit(status=303).follow()
    assert "Votre message est envoyé au service instructeur." in answered.text
    mail = delivered_mail(registry)[-1]
    assert mail["To"] == CONTACT and "Le voici." in mail.get_content()

    detail = instructor.get(application_path(registry, receipt))
    assert [item.select_one("strong").text for item in detail.html.select("#messages .messages > li")] == [
        "Le service instructeur", "Le demandeur"]  # fmt: skip
    assert detail.click(description="billet.pdf").body == PDF
    with transaction_scope(registry) as request:
        events = list(request.db.scalars(sa.select(ApplicationEvent.text).order_by(ApplicationEvent.id)))
        # the messages' files are the messages', not the form's: the receipt and the ZIP list the form's
        assert request.db.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 2
    assert events[1:] == ["Message : le service instructeur a écrit (1 fichier(s) joint(s)).",
                          "Message : le demandeur a écrit (1 fichier(s) joint(s))."]  # fmt: skip
    assert audit_actions(registry).count("aids:message:send") == 2
    # the applicant's copy of their data holds the messages both ways and their files
    with zipfile.ZipFile(io.BytesIO(citizen_app.get(f"/mes-demarches/{receipt}/demande.zip").body)) as archive:
        assert archive.namelist()[1:] == ["messages.txt", "messages/1/modele.pdf", "messages/2/billet.pdf"]
        text = archive.read("messages.txt").decode()
    assert "1. " in text and "Le service instructeur :\nMerci d'envoyer votre billet d'avion." in text
    assert "2. " in text and "Le demandeur :\nLe voici.\n  [fichier joint, messages/2/] billet.pdf" in text


def test_an_empty_a_too_long_message_or_a_refused_file_is_said_next_to_its_field_and_nothing_is_kept(
    citizen_app: webtest.TestApp, registry: Registry
) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    sent = len(delivered_mail(registry))
    page = citizen_app.get(f"/mes-demarches/{receipt}")
    form = page.forms["formulaire-message"]
    form["texte"] = "   "
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-texte").text == "Le message est obligatoire."
    assert refused.html.find(id="champ-texte")["aria-describedby"] == "erreur-texte"
    form = refused.forms["formulaire-message"]
    form["texte"] = "x" * 100_000
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-texte").text.startswith("Le message fait 5 000 caractères au plus")
    form = refused.forms["formulaire-message"]
    form["texte"] = "Voici mon attestation."
    form["pieces"] = [webtest.Upload("attestation.pdf", PROGRAM, "application/pdf")]
    refused = form.submit(status=400)
    assert "n'est pas d'un type accepté" in refused.html.find(id="erreur-pieces").text
    assert refused.html.find(id="champ-texte").text == "Voici mon attestation."  # what was typed stays
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(ApplicationMessage)) == 0
        assert request.db.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert len(delivered_mail(registry)) == sent
    assert "aids:message:send" not in audit_actions(registry)


def test_a_guest_answers_through_the_private_link(app: webtest.TestApp, registry: Registry) -> None:
    token, followed = guest_applied(app, registry)
    app.reset()  # the link only
    page = app.get(followed.request.path)
    form = page.forms["formulaire-message"]
    form["texte"] = "Mon vol est prévu le 12 avril."
    done = form.submit(status=303).follow()
    assert done.request.path == followed.request.path
    assert "Mon vol est prévu le 12 avril." in done.html.find(id="messages").text
    with transaction_scope(registry) as request:
        message = request.db.scalars(sa.select(ApplicationMessage)).one()
        assert (message.author, message.account_id) == ("demandeur", None)
    other = followed.request.path.replace(token, token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb"))
    app.post(other + "/messages", {"texte": "intrus", "csrf_token": csrf_token(done)}, status=404)


def test_an_anonymised_application_takes_no_more_message(citizen_app: webtest.TestApp, registry: Registry) -> None:
    receipt = submitted_by(registry, "marie.wamytan@example.nc")
    page = citizen_app.get(f"/mes-demarches/{receipt}")
    with transaction_scope(registry) as request:  # its retention period ended while the page was open
        request.db.execute(sa.update(Application).values(anonymised_at=sa.func.now(), email=""))
    form = page.forms["formulaire-message"]
    form["texte"] = "Bonjour ?"
    refused = form.submit(status=409)
    assert "anonymisée" in refused.html.find(class_="alert").text
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(ApplicationMessage)) == 0
