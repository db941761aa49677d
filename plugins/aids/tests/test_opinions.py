"""Expert opinions: asked of another directorate or of an outside expert, answered, reminded, closed at the deadline."""

from __future__ import annotations

import datetime
import re
import threading

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IOpinions
from cagou_aids.jobs import SCHEDULED_JOBS
from cagou_aids.models import Application, StoredFile
from cagou_aids.models.opinions import Opinion, OpinionFile
from pyramid.registry import Registry
from test_instruction import procedure_in
from test_services import submit

from cagou.clock import FrozenClock
from cagou.kit import AGENT, CITIZEN, IAccounts, IFileStorage, Refused, transaction_scope
from cagou.testing import delivered_mail, freeze_clock, is_postgresql, login
from cagou.testing_checks import PDF_SAMPLE as PDF
from cagou.testing_checks import PROGRAM_SAMPLE as PROGRAM

PASSWORD = "lagon-vanille-tricot-2026"
TITLE = "Recensement pour avis"
QUESTION = "Le séjour de cette personne en Australie relève-t-il d'un motif médical ?"
EXPERT = "docteur.kasarherou@example.nc"
#: A Monday morning in Nouméa (the tests' frozen instant is 09:00 on 24 March 2026, local time).
START = datetime.datetime(2026, 3, 23, 22, 0, tzinfo=datetime.UTC)


def agent(app: webtest.TestApp, registry: Registry, login_name: str, grants: list[tuple[str, str]]) -> webtest.TestApp:
    """Another browser on the same platform, an agent holding ``grants`` (role, directorate code) signed in."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        account = accounts.create(login_name, login_name.title(), AGENT, password=PASSWORD,
                                  email=f"{login_name}@province-sud.nc")  # fmt: skip
        for role, code in grants:
            accounts.grant(account, role, accounts.directorate(code))
    browser = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(browser, login_name, PASSWORD)
    return browser


@pytest.fixture
def clock(registry: Registry) -> FrozenClock:
    return freeze_clock(registry, START)


@pytest.fixture
def case(app: webtest.TestApp, registry: Registry, demonstration: None, clock: FrozenClock) -> dict[str, object]:
    """A census application of the Service des aides aux entreprises with one file; its instructor signed in."""
    procedure_id = procedure_in(registry, "DEFE-SAE", TITLE)
    receipt = submit(registry, procedure_id, "clef-avis")
    with transaction_scope(registry) as request:
        application = request.db.scalar(sa.select(Application).where(Application.receipt == receipt))
        key = request.find_service(IFileStorage).store(PDF, "billet.pdf", "application/pdf")
        stored = StoredFile(
            application_id=application.id, field="billet", sha256="0" * 64, filename="billet.pdf", size=len(PDF),
            content_type="application/pdf", storage_key=key, created_at=START,
        )  # fmt: skip
        request.db.add(stored)
        request.db.flush()
        file_id = stored.id
    instructor = agent(app, registry, "instructrice", [("aids:instructor", "DEFE-SAE")])
    path = f"/intranet/demarches/{procedure_id}/demandes/{receipt}"
    return {"instructor": instructor, "path": path, "receipt": receipt, "file": file_id, "procedure": procedure_id}


def directorate_id(registry: Registry, code: str) -> int:
    with transaction_scope(registry) as request:
        return int(request.find_service(IAccounts).directorate(code).id)


def ask(case: dict[str, object], status: int = 303, **values: object) -> webtest.TestResponse:
    instructor = case["instructor"]
    assert isinstance(instructor, webtest.TestApp)
    form = instructor.get(str(case["path"])).forms["formulaire-avis"]
    form["question"] = QUESTION
    for name, value in values.items():
        form[name] = value
    return form.submit(status=status)


def audit_actions(registry: Registry) -> list[str]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.text("SELECT action FROM audit_entry WHERE module = 'aids' ORDER BY id")))


def test_a_directorate_s_expert_answers_and_only_the_asker_and_validators_read_a_confidential_opinion(
    app: webtest.TestApp, registry: Registry, case: dict[str, object]
) -> None:
    finances = directorate_id(registry, "DFI")
    expert = agent(app, registry, "experte", [("aids:expert", "DFI")])
    elsewhere = agent(app, registry, "autre", [("aids:expert", "DFI-SB")])  # a service below: not the directorate
    asked = ask(case, direction=str(finances), fichiers=[str(case["file"])]).follow()
    assert "Avis demandé." in asked.text
    [shown] = asked.html.select("#liste-avis > li")
    assert "Direction des finances" in shown.text and "En attente de réponse." in shown.text

    listed = expert.get("/intranet/avis/")
    assert QUESTION[:40] in listed.html.find(id="avis-demandes").text
    page = listed.click(description=QUESTION[:40])
    assert page.html.find(id="question").text == QUESTION
    assert page.click(description="billet.pdf").body == PDF
    assert case["receipt"] not in page.text  # the expert reads the question and the files only
    assert "Aucun avis" in elsewhere.get("/intranet/avis/").text
    elsewhere.get(page.request.path, status=404)
    expert.get(str(case["path"]), status=403)  # nor the application itself

    form = page.forms["formulaire-reponse-avis"]
    form["texte"] = "Oui : le certificat du médecin de Sydney en atteste."
    refused = form.submit(status=400)
    assert refused.html.find(id="erreur-avis").text == "Choisissez votre avis : favorable ou défavorable."
    form = refused.forms["formulaire-reponse-avis"]
    form["avis"] = "oui"
    form["pieces"] = [webtest.Upload("analyse.pdf", PDF, "application/pdf")]
    done = form.submit(status=303).follow()
    assert "Votre avis est rendu" in done.text
    assert any(mail["To"] == "instructrice@province-sud.nc" and mail["Subject"] == f"Avis rendu : {case['receipt']}"
               for mail in delivered_mail(registry))  # fmt: skip
    again = expert.get(page.request.path)
    assert "Cet avis est rendu." in again.text and "formulaire-reponse-avis" not in again.forms

    instructor = case["instructor"]
    assert isinstance(instructor, webtest.TestApp)
    answered = instructor.get(str(case["path"]))
    assert "Avis favorable" in answered.html.find(id="liste-avis").text
    assert answered.click(description="analyse.pdf").body == PDF
    colleague = agent(app, registry, "collegue", [("aids:instructor", "DEFE-SAE")])
    assert "Aucun avis que vous puissiez lire." in colleague.get(str(case["path"])).text  # confidential
    validator = agent(app, registry, "valideur", [("aids:validator", "DEFE-SAE")])
    assert "Avis favorable" in validator.get(str(case["path"])).html.find(id="liste-avis").text
    attachment = answered.html.find("a", string="analyse.pdf")["href"]
    colleague.get(attachment, status=404)
    assert audit_actions(registry).count("aids:opinion:ask") == 1
    assert audit_actions(registry).count("aids:opinion:answer") == 1


def test_a_shared_opinion_is_read_by_every_instructor_and_never_by_the_applicant(
    app: webtest.TestApp, registry: Registry, case: dict[str, object]
) -> None:
    agent(app, registry, "experte", [("aids:expert", "DFI")])
    ask(case, direction=str(directorate_id(registry, "DFI")), visibilite="partage")
    colleague = agent(app, registry, "collegue", [("aids:instructor", "DEFE-SAE")])
    assert QUESTION in colleague.get(str(case["path"])).html.find(id="liste-avis").text
    with transaction_scope(registry) as request:  # the applicant's page: signed in as the census' applicant
        accounts = request.find_service(IAccounts)
        person = accounts.create("marie", "Marie", CITIZEN, email="marie@example.nc", password=PASSWORD)
        request.db.execute(sa.update(Application).values(applicant_id=person.id))
    applicant = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(applicant, "marie", PASSWORD, site="public")
    mine = applicant.get(f"/mes-demarches/{case['receipt']}")
    assert mine.html.find(id="etat") is not None  # the applicant's own page…
    assert QUESTION not in mine.text and mine.html.find(id="avis") is None  # …shows nothing of the opinion
    assert "Direction des finances" not in mine.text


def test_the_ask_form_refuses_next_to_each_field_and_keeps_nothing(
    app: webtest.TestApp, registry: Registry, case: dict[str, object]
) -> None:
    agent(app, registry, "experte", [("aids:expert", "DFI")])
    own = directorate_id(registry, "DEFE-SAE")
    refused = ask(case, status=400, question=" ", echeance="31/02/2026")
    assert refused.html.find(id="erreur-question").text == "La question est obligatoire."
    assert refused.html.find(id="erreur-echeance").text.startswith("Saisissez une date valide")
    assert refused.html.find(id="erreur-direction").text.startswith("Choisissez une autre direction")
    refused.forms["formulaire-avis"]["direction"].force_value(str(own))
    again = refused.forms["formulaire-avis"]
    again["question"] = QUESTION
    again["echeance"] = "01/01/2027"
    refused = again.submit(status=400)
    assert refused.html.find(id="erreur-direction").text.startswith("Choisissez une autre direction")
    assert refused.html.find(id="erreur-echeance").text == "La date limite va d'aujourd'hui à 90 jours au plus."
    refused = ask(case, status=400, destinataire="expert", courriel="pas-une-adresse")
    assert "Adresse électronique invalide" in refused.html.find(id="erreur-courriel").text
    assert refused.html.find(id="champ-question").text == QUESTION  # what was typed stays
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Opinion)) == 0
    assert "aids:opinion:ask" not in audit_actions(registry)


def mailed_link(registry: Registry) -> str:
    [mail] = [mail for mail in delivered_mail(registry) if mail["To"] == EXPERT][-1:]
    found = re.search(r"http://[^\s]+/avis/[\w-]+", mail.get_content())
    assert found is not None
    return found.group(0).split("localhost", 1)[-1] if "localhost" in found.group(0) else found.group(0)


def path_of(link: str) -> str:
    return "/avis/" + link.rsplit("/avis/", 1)[1]


def test_an_outside_expert_answers_once_through_the_link_and_the_link_then_expires(
    app: webtest.TestApp, registry: Registry, case: dict[str, object]
) -> None:
    ask(case, destinataire="expert", courriel=EXPERT, fichiers=[str(case["file"])])
    link = path_of(mailed_link(registry))
    with transaction_scope(registry) as request:
        opinion = request.db.scalars(sa.select(Opinion)).one()
        assert opinion.token_hash is not None and link.rsplit("/", 1)[1] not in opinion.token_hash  # hashed
    outsider = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    page = outsider.get(link)
    assert page.html.find(id="question").text == QUESTION
    assert str(case["receipt"]) not in page.text and "Wamytan" not in page.text
    shared = page.click(description="billet.pdf")
    assert shared.body == PDF
    form = page.forms["formulaire-reponse-avis"]
    form["avis"] = "non"
    form["texte"] = "Aucun motif médical."
    form["pieces"] = [webtest.Upload("avis.pdf", PROGRAM, "application/pdf")]
    refused = form.submit(status=400)
    assert "n'est pas d'un type accepté" in refused.html.find(id="erreur-pieces").text
    form = refused.forms["formulaire-reponse-avis"]
    form["pieces"] = [webtest.Upload("avis.pdf", PDF, "application/pdf")]
    form.submit(status=303)
    gone = outsider.get(link, status=410)
    assert "Ce lien a expiré" in gone.text and str(case["receipt"]) not in gone.text
    outsider.get(shared.request.path, status=410)
    unknown = outsider.get("/avis/" + "x" * 43, status=404)
    assert "Ce lien n'existe pas" in unknown.text
    with transaction_scope(registry) as request:
        opinion = request.db.scalars(sa.select(Opinion)).one()
        assert (opinion.favourable, opinion.answered_by_id, opinion.answer) == (False, None, "Aucun motif médical.")
        assert [stored.filename for stored in request.db.scalars(sa.select(OpinionFile))] == ["avis.pdf"]
        # the answer's files are the opinion's, never the application's (its pages, receipt and ZIP)
        assert request.db.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 1
    instructor = case["instructor"]
    assert isinstance(instructor, webtest.TestApp)
    assert "Avis défavorable" in instructor.get(str(case["path"])).html.find(id="liste-avis").text


def test_the_deadline_closes_the_link_with_a_410(
    app: webtest.TestApp, registry: Registry, case: dict[str, object], clock: FrozenClock
) -> None:
    ask(case, destinataire="expert", courriel=EXPERT, echeance="27/03/2026")
    link = path_of(mailed_link(registry))
    outsider = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    form = outsider.get(link).forms["formulaire-reponse-avis"]
    clock.advance(days=4)  # 28 March, 09:00 in Nouméa: past the 27th
    form["avis"], form["texte"] = "oui", "Trop tard ?"
    late = form.submit(status=410)
    assert "Ce lien a expiré" in late.text
    assert "Ce lien a expiré" in outsider.get(link, status=410).text


def test_the_reminder_job_mails_a_new_link_after_three_days_twice_at_most(
    app: webtest.TestApp, registry: Registry, case: dict[str, object], clock: FrozenClock
) -> None:
    ask(case, destinataire="expert", courriel=EXPERT)
    first = path_of(mailed_link(registry))
    [job] = [job for job in SCHEDULED_JOBS if job.name == "aids.opinions.remind"]
    job.run(registry)
    assert len([mail for mail in delivered_mail(registry) if mail["To"] == EXPERT]) == 1  # too soon
    links = [first]
    for _ in range(3):
        clock.advance(days=3)
        job.run(registry)
        links.append(path_of(mailed_link(registry)))
    mails = [mail for mail in delivered_mail(registry) if mail["To"] == EXPERT]
    assert [mail["Subject"] for mail in mails] == ["Votre avis est demandé par la province Sud"] + [
        "Rappel : Votre avis est demandé par la province Sud"] * 2  # fmt: skip
    outsider = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    outsider.get(first, status=404)  # replaced by the reminder's
    assert outsider.get(links[2]).html.find(id="question").text == QUESTION
    assert audit_actions(registry).count("aids:opinion:remind") == 2


@pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time: nothing runs at once there")
def test_two_answers_at_once_give_one_answer_and_a_409(registry: Registry, case: dict[str, object]) -> None:
    ask(case, destinataire="expert", courriel=EXPERT)
    token = path_of(mailed_link(registry)).rsplit("/", 1)[1]
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def expert(text: str) -> None:
        barrier.wait()
        try:
            with transaction_scope(registry) as request:
                opinions = request.find_service(IOpinions)
                outcomes.append(opinions.answer(opinions.by_token(token), True, text, [], None).answer)
        except Refused as error:
            outcomes.append(error.status)

    threads = [threading.Thread(target=expert, args=(text,)) for text in ("Oui.", "Oui, vraiment.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) in (sorted([409, "Oui."], key=str), sorted([409, "Oui, vraiment."], key=str))
    assert audit_actions(registry).count("aids:opinion:answer") == 1
