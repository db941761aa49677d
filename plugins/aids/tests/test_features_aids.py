"""Step definitions of features/aids/*.feature (French Gherkin)."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import zipfile
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import webtest
from api_instruction_steps import *  # noqa: F403  (the steps of api_instruction.feature)
from cagou_aids.interfaces import IDocumentRequests, IMessages, IWorkflows
from cagou_aids.jobs import SCHEDULED_JOBS
from cagou_aids.models import INSTRUCTORS, Application, Procedure, StoredFile
from conftest import CITIZEN_PASSWORD, business_aid_published, company_signed_in
from opinion_steps import *  # noqa: F403  (the steps of avis.feature)
from pyramid.registry import Registry
from pytest_bdd import given, parsers, scenarios, then, when
from queue_steps import *  # noqa: F403  (the steps of file_attente.feature and actions_groupees.feature)
from steps_acts import *  # noqa: F403  (the envelope's and the acts' steps)
from steps_annotations import *  # noqa: F403  (annotations.feature and triage.feature)
from steps_attribution import *  # noqa: F403  (attribution.feature's steps)
from steps_letters import *  # noqa: F403  (the decision letters and « Actes à signer » in actes.feature)
from test_scanning import send_files
from test_scanning import submit as submit_files
from test_services import ANSWERS, SETTINGS, published, submit

from cagou.clock import FrozenClock
from cagou.kit import AGENT, PUBLIC, IAccounts, IClock, IFileStorage, IModuleStates, Refused, act_as, transaction_scope
from cagou.testing import INFECTED_PDF, Clamd, delivered_mail, login
from cagou.testing_checks import PDF_SAMPLE, PUBLIC_TOKENS, token_with_every_scope

scenarios("aids")

NOUMEA = ZoneInfo("Pacific/Noumea")
STEP = "formulaire-etape"
REVIEW = "formulaire-verification"
NEW = "formulaire-nouvelle-demarche"


class Browser:
    """What the person sees: the application and the last page it answered."""

    def __init__(self, app: webtest.TestApp) -> None:
        self.app = app
        self.page: webtest.TestResponse | None = None
        #: The application the person submitted (suivi.feature).
        self.receipt = ""

    @property
    def current(self) -> webtest.TestResponse:
        assert self.page is not None, "no page opened yet"
        return self.page


@pytest.fixture
def browser(app: webtest.TestApp) -> Browser:
    return Browser(app)


@given(parsers.parse('la démarche "{title}" est publiée'))
def procedure_published(registry: Registry, title: str) -> None:
    assert title == SETTINGS.title
    published(registry)


def procedure_ids(registry: Registry) -> list[int]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(Procedure.id).order_by(Procedure.id)))


@given("je suis connecté comme usager")
def citizen_signed_in(browser: Browser, citizen_app: webtest.TestApp) -> None:
    assert browser.app is citizen_app  # the conftest's fixture signed the resident in on the same application


@given(parsers.parse("{count:d} demandes y sont déposées"))
def applications_submitted(registry: Registry, count: int) -> None:
    procedure_id = procedure_ids(registry)[0]
    for number in range(count):
        submit(registry, procedure_id, f"clef-{number}")


def agent_signed_in(browser: Browser, registry: Registry, login_name: str, name: str, role: str) -> None:
    """An agent holding ``role`` everywhere, signed in on the intranet in place of whoever was."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        account = accounts.create(login_name, name, AGENT, password=CITIZEN_PASSWORD)
        accounts.grant(account, role)
    browser.app.reset()
    login(browser.app, login_name, CITIZEN_PASSWORD)


@given("je suis connecté comme instructeur")
def instructor_signed_in(browser: Browser, registry: Registry) -> None:
    agent_signed_in(browser, registry, "instructeur", "Léa Instructrice", "aids:instructor")


def receipt(number: int) -> str:
    return f"RAP-{datetime.datetime.now(datetime.UTC).astimezone(NOUMEA).year}-{number:06d}"


@when(parsers.parse("je cherche la demande numéro {number:d}"))
def look_for(browser: Browser, number: int) -> None:
    page = browser.app.get("/intranet/demarches/").click(description=SETTINGS.title)
    form = page.forms["filtres-demandes"]
    form["q"] = receipt(number)
    browser.page = form.submit()
    assert [link.text for link in browser.page.html.select("#demandes td:first-child a")] == [receipt(number)]


@when(parsers.parse("j'ouvre la demande numéro {number:d}"))
def open_application(browser: Browser, number: int) -> None:
    browser.page = browser.current.click(description=receipt(number))


@when("j'exporte les demandes en CSV")
def export_csv(browser: Browser) -> None:
    page = browser.app.get("/intranet/demarches/").click(description=SETTINGS.title)
    browser.page = page.click(description="Exporter en CSV")


@then(parsers.parse("le fichier compte {count:d} demandes"))
def file_counts(browser: Browser, count: int) -> None:
    assert browser.current.content_type == "text/csv"
    assert len(browser.current.body.decode("utf-8-sig").splitlines()) == count + 1


@when("j'ouvre le catalogue des démarches")
def open_catalogue(browser: Browser) -> None:
    browser.page = browser.app.get("/demarches/")


@then(parsers.parse('le catalogue liste "{title}"'))
def catalogue_lists(browser: Browser, title: str) -> None:
    assert title in [link.text for link in browser.current.html.select("#demarches h2 a")]


@when("je commence la démarche")
def start(browser: Browser) -> None:
    page = browser.app.get("/demarches/").click(href="/demarches/recensement")
    browser.page = page.forms["formulaire-commencer"].submit().follow()


@when(parsers.parse('je remplis l\'étape avec "{values}"'))
def fill_step(browser: Browser, values: str) -> None:
    form = browser.current.forms[STEP]
    for pair in values.split(", "):
        name, _, value = pair.partition("=")
        form[name] = value
    browser.page = form.submit("action", value="suivant", expect_errors=True).maybe_follow()


@when("j'atteste sur l'honneur et je dépose")
def submit_with_declaration(browser: Browser) -> None:
    form = browser.current.forms[REVIEW]
    form["declaration"] = "oui"
    answer = form.submit(expect_errors=True)  # a refusal (a closed procedure: 409) is read on its page
    browser.page = answer.maybe_follow() if answer.status_int in (302, 303) else answer


@when("je dépose sans attester")
def submit_without_declaration(browser: Browser) -> None:
    browser.page = browser.current.forms[REVIEW].submit(expect_errors=True)


@then(parsers.parse('je lis "{text}"'))
def reads(browser: Browser, text: str) -> None:
    assert text in " ".join(browser.current.html.get_text().split())  # as read: entities decoded


@then("un courriel de confirmation m'est envoyé")
def confirmation_sent(registry: Registry) -> None:
    [message] = delivered_mail(registry)
    assert message["Subject"].startswith("Demande enregistrée : RAP-")


@then(parsers.parse('le champ "{name}" dit "{message}"'))
def field_says(browser: Browser, name: str, message: str) -> None:
    assert browser.current.status_int == 400
    assert browser.current.html.find(id=f"erreur-{name}").text == message


@then(parsers.parse('le champ "{name}" contient encore "{value}"'))
def field_keeps(browser: Browser, name: str, value: str) -> None:
    assert browser.current.html.find(id=f"champ-{name}")["value"] == value


# --- conception.feature ------------------------------------------------------------------------------------


@given("je suis connecté comme concepteur")
def designer_signed_in(browser: Browser, registry: Registry) -> None:
    agent_signed_in(browser, registry, "conceptrice", "Anne Conceptrice", "aids:designer")


@when(parsers.parse('je crée la démarche "{title}" d\'une page blanche'))
def create_blank(browser: Browser, title: str) -> None:
    form = browser.app.get("/intranet/demarches/").click(description="Nouvelle démarche").forms[NEW]
    form["title"], form["receipt_prefix"] = title, "REC"
    browser.page = form.submit().follow()


@when(parsers.parse('j\'ajoute le champ obligatoire "{label}" de type "{kind}"'))
def add_field(browser: Browser, label: str, kind: str) -> None:
    form = browser.current.forms["formulaire-ajout-champ"]
    form["type"].force_value(kind)
    form["label"], form["required"] = label, True
    browser.page = form.submit(expect_errors=True).maybe_follow()


@then(parsers.parse('l\'aperçu montre le champ "{label}"'))
def preview_shows(browser: Browser, label: str) -> None:
    labels = [" ".join(tag.text.split()) for tag in browser.current.html.select("#apercu label, #apercu legend")]
    assert label in labels


@when("je publie la démarche")
def publish(browser: Browser) -> None:
    browser.page = browser.current.forms["formulaire-publier"].submit(expect_errors=True).maybe_follow()


@then("la page est refusée")
def page_refused(browser: Browser) -> None:
    assert 400 <= browser.current.status_int < 500


@when(parsers.parse('j\'importe une démarche dont un champ est de type "{kind}"'))
def import_unknown(browser: Browser, kind: str) -> None:
    definition = {"pages": [{"title": "Vous", "fields": [{"name": "nom", "type": kind, "label": "Nom"}]}]}
    content = {"format": "cagou-demarche/1", "procedure": {"title": "Importée", "audience": "particuliers",
               "receipt_prefix": "IMP"}, "directorate": None, "definition": definition}  # fmt: skip
    form = browser.app.get("/intranet/demarches/nouvelle").forms["formulaire-import"]
    form["file"] = webtest.Upload("demarche.json", json.dumps(content).encode(), "application/json")
    browser.page = form.submit(expect_errors=True)


@then("aucune démarche n'est créée")
def nothing_created(registry: Registry) -> None:
    assert procedure_ids(registry) == []


# -- the public extension's API --------------------------------------------------------------------


class Program:
    """A resident's program: its token, and the answers the API gave it."""

    def __init__(self) -> None:
        self.token = ""
        self.answers: list[webtest.TestResponse] = []

    def send(self, app: webtest.TestApp, registry: Registry, key: str, answers: dict[str, object]) -> None:
        with transaction_scope(registry) as request:
            slug = request.db.scalars(sa.select(Procedure.slug)).one()
        self.answers.append(app.post_json(
            f"/api/v1/demarches/{slug}/demandes", {"answers": answers}, expect_errors=True,
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": key},
        ))  # fmt: skip


@pytest.fixture
def program() -> Program:
    return Program()


@given("je crée un jeton d'API sur mon compte")
def token_made(browser: Browser, program: Program) -> None:
    program.token = token_with_every_scope(browser.app, PUBLIC_TOKENS)


@when(parsers.parse('mon programme dépose la demande avec la clé "{key}"'))
@when(parsers.parse('mon programme dépose la même demande avec la clé "{key}"'))
def program_sends(browser: Browser, registry: Registry, program: Program, key: str) -> None:
    program.send(browser.app, registry, key, ANSWERS)


@when(parsers.parse('mon programme dépose la demande avec "{values}"'))
def program_sends_wrong(browser: Browser, registry: Registry, program: Program, values: str) -> None:
    changed = dict(pair.split("=", 1) for pair in values.split(", "))
    program.send(browser.app, registry, "essai-refuse", {**ANSWERS, **changed})


@then("une seule demande est enregistrée, et les deux réponses donnent son numéro")
def one_application(registry: Registry, program: Program) -> None:
    with transaction_scope(registry) as request:
        receipts = list(request.db.scalars(sa.select(Application.receipt)))
    assert len(receipts) == 1
    assert [answer.status_int for answer in program.answers] == [201, 201]
    assert [answer.json["receipt"] for answer in program.answers] == receipts * 2


@then(parsers.parse('mon programme lit que la demande est "{label}"'))
def program_reads_state(browser: Browser, program: Program, label: str) -> None:
    receipt = program.answers[-1].json["receipt"]
    state = browser.app.get(f"/api/v1/demandes/{receipt}", headers={"Authorization": f"Bearer {program.token}"})
    assert state.json["state_label"] == label


@then(parsers.parse('l\'API refuse la demande avec le statut {status:d} pour le champ "{name}"'))
def api_refuses(program: Program, status: int, name: str) -> None:
    answer = program.answers[-1]
    assert answer.status_int == status and set(answer.json["errors"]) == {name}


@then("aucune demande n'est enregistrée")
def nothing_stored(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Application)) == 0


# -- the virus scan (antivirus.feature, tagged @antivirus: the platform of its scenarios scans with clamd) --


@pytest.fixture
def settings(settings: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.node.get_closest_marker("antivirus") is None:
        return settings
    clamd: Clamd = request.getfixturevalue("clamd")
    return {**settings, "cagou.clamd": clamd.address, "cagou.clamd.timeout": "5"}


@given(parsers.parse('la démarche "{title}" est publiée pour les entreprises'))
def business_procedure_published(registry: Registry, title: str) -> None:
    assert title == "Aide aux entreprises"
    business_aid_published(registry)


@given("je suis connecté comme entreprise")
def company_signed_in_step(browser: Browser, registry: Registry) -> None:
    company_signed_in(browser.app, registry)


@given("l'antivirus est injoignable")
def scanner_down(clamd: Clamd) -> None:
    clamd.stop()


@when("j'envoie mes pièces avec une attestation CAFAT infectée")
def send_infected(browser: Browser) -> None:
    browser.page = send_files(browser.app, INFECTED_PDF, status=400)


@when("j'envoie mes pièces et je dépose")
def send_and_submit(browser: Browser) -> None:
    submit_files(browser.app, PDF_SAMPLE)


@when("un instructeur ouvre la demande déposée")
def instructor_opens(browser: Browser, registry: Registry) -> None:
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application)).one()
        path = f"/intranet/demarches/{application.procedure_id}/demandes/{application.receipt}"
        signed_in = request.find_service(IAccounts).by_login("instructeur") is not None
    if not signed_in:
        instructor_signed_in(browser, registry)
    browser.page = browser.app.get(path)


@when("l'antivirus répond de nouveau et que l'analyse des fichiers en quarantaine passe")
def scanner_back(clamd: Clamd, registry: Registry) -> None:
    clamd.start()
    [job] = [job for job in SCHEDULED_JOBS if job.name == "aids.files.scan"]
    job.run(registry)


@then(parsers.parse('le fichier "{filename}" n\'est plus conservé'))
def file_gone(registry: Registry, filename: str) -> None:
    with transaction_scope(registry) as request:
        assert request.db.scalars(sa.select(StoredFile).where(StoredFile.filename == filename)).all() == []
        assert not request.find_service(IFileStorage).exists(hashlib.sha256(INFECTED_PDF).hexdigest())


@then(parsers.parse('le téléchargement de "{filename}" est refusé : "{message}"'))
def download_refused(browser: Browser, registry: Registry, filename: str, message: str) -> None:
    assert browser.current.html.find("a", string=filename) is None
    with transaction_scope(registry) as request:
        stored = request.db.scalars(sa.select(StoredFile).where(StoredFile.filename == filename)).one()
    refused = browser.app.get(f"{browser.current.request.path}/fichiers/{stored.id}", status=409)
    assert message in refused.text


@then(parsers.parse('je télécharge "{filename}"'))
def downloads(browser: Browser, filename: str) -> None:
    assert browser.current.click(description=filename).body == PDF_SAMPLE


# -- following an application (suivi.feature) ------------------------------------


@given("j'ai déposé une demande")
def applied(browser: Browser, registry: Registry) -> None:
    from test_following import submitted_by

    browser.receipt = submitted_by(registry, "marie.wamytan@example.nc")


@given(parsers.parse('le service instructeur m\'a écrit "{text}"'))
def instructors_wrote(registry: Registry, text: str) -> None:
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application)).one()
        request.find_service(IMessages).write(application, INSTRUCTORS, text, [], None)


@given(parsers.parse('le service instructeur m\'a demandé de préciser "{field}"'))
def instructors_asked(registry: Registry, field: str) -> None:
    with transaction_scope(registry) as request:
        instructor = request.find_service(IAccounts).create("instructrice", "Léa Instructrice", AGENT)
        application = request.db.scalars(sa.select(Application)).one()
        request.find_service(IDocumentRequests).ask(application, [field], "Précisez, s'il vous plaît.", instructor)


@when("j'ouvre ma demande dans « Mes démarches »")
def open_mine(browser: Browser) -> None:
    browser.page = browser.app.get("/mes-demarches/").click(description=browser.receipt)


@when(parsers.parse('je télécharge "{link}"'))
@when(parsers.parse('je suis le lien "{link}"'))
def follow_link(browser: Browser, link: str) -> None:
    browser.page = browser.current.click(description=link)


@then(parsers.parse('le PDF dit "{text}"'))
def pdf_says(browser: Browser, text: str) -> None:
    from test_receipts import pdf_text

    assert browser.current.content_type == "application/pdf"
    assert text in pdf_text(browser.current.body)


@then("le ZIP contient le récépissé")
def zip_holds_the_receipt(browser: Browser) -> None:
    with zipfile.ZipFile(io.BytesIO(browser.current.body)) as archive:
        assert archive.namelist() == [f"recepisse-{browser.receipt}.pdf"]


@when(parsers.re(r'je réponds "(?P<text>[^"]*)"'))
def answer(browser: Browser, text: str) -> None:
    form = browser.current.forms["formulaire-message"]
    form["texte"] = text
    browser.page = form.submit(expect_errors=True).maybe_follow()


@when(parsers.parse('j\'envoie le complément "{values}"'))
def send_complement(browser: Browser, values: str) -> None:
    form = browser.current.forms["formulaire-complements"]
    for pair in values.split(", "):
        name, _, value = pair.partition("=")
        form[name] = value
    browser.page = form.submit(expect_errors=True).maybe_follow()


@then(parsers.parse('l\'état de ma demande est "{state}"'))
def state_is(browser: Browser, state: str) -> None:
    assert browser.current.html.find(id="etat").text.startswith(state)


# -- protections.feature: duplicates, robots, closed procedures, the module switched off, retention ---------


@given("une demande est déjà déposée pour Marie Wamytan, née le 3 juillet 1985")
def first_application(registry: Registry, clock: FrozenClock) -> None:
    submit(registry, procedure_ids(registry)[0], "premiere")


@when(parsers.parse('je remplis les quatre étapes pour "{last}", "{first}", née le "{born}"'))
def four_steps(browser: Browser, last: str, first: str, born: str) -> None:
    start(browser)
    for values in (f"nom={last}, prenoms={first}, date_naissance={born}, commune=Nouméa",
                   "pays=AU, ville=Sydney, depuis=10/02/2020", "accompagne=non",
                   "telephone=25 12 34, courriel=marie@example.nc"):  # fmt: skip
        fill_step(browser, values)


@then(parsers.parse("{count:d} demandes sont enregistrées, la seconde signalée comme doublon possible de la première"))
def flagged(registry: Registry, count: int) -> None:
    with transaction_scope(registry) as request:
        stored = request.db.scalars(sa.select(Application).order_by(Application.id)).all()
        assert len(stored) == count and stored[0].duplicate_of_id is None
        assert stored[1].duplicate_of_id == stored[0].id


@when("je dépose en remplissant le champ caché")
def robot_submits(browser: Browser) -> None:
    form = browser.current.forms[REVIEW]
    form["declaration"], form["laisser_vide"] = "oui", "https://exemple.invalid"
    browser.page = form.submit(status=400)


@when("la démarche ferme avant que je dépose")
def closes_meanwhile(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        procedure = request.db.get(Procedure, procedure_ids(registry)[0])
        procedure.closes_at = request.find_service(IClock).now() - datetime.timedelta(minutes=1)


@when("l'informatique ferme les démarches en ligne sur le site public")
@when("l'informatique les rouvre")
def switch_public_site(registry: Registry) -> None:
    with transaction_scope(registry) as scope:
        states = scope.find_service(IModuleStates)
        states.set_enabled(scope, "aids", PUBLIC, not states.is_enabled("aids", PUBLIC))


@then(parsers.parse('le catalogue répond 503 avec "{notice}"'))
def catalogue_closed(browser: Browser, notice: str) -> None:
    assert notice in browser.app.get("/demarches/", status=503).text


@then('mon brouillon est toujours dans "Mes démarches"')
def draft_kept(browser: Browser) -> None:
    assert len(browser.app.get("/mes-demarches/").html.select("#brouillons li")) == 1


@when("25 mois ont passé et que la tâche de conservation s'exécute")
def retention_runs(registry: Registry, clock: FrozenClock) -> None:
    clock.advance(days=25 * 31)
    [job] = [job for job in SCHEDULED_JOBS if job.name == "aids.retention"]
    job.run(registry)


@then("la demande garde son numéro mais plus aucune réponse")
def anonymised(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application)).one()
        assert application.receipt.startswith("RAP-") and application.answers == {} and application.email == ""


@then(parsers.parse('le journal d\'audit dit "{text}"'))
def audit_says(registry: Registry, text: str) -> None:
    with transaction_scope(registry) as request:
        summaries = request.db.scalars(sa.text("SELECT summary FROM audit_entry WHERE module = 'aids'")).all()
    assert any(text in summary for summary in summaries), summaries


# instruction_workflow.feature


def census(request: Any) -> Procedure:
    found: Procedure = request.db.scalar(sa.select(Procedure).order_by(Procedure.id).limit(1))
    return found


@given(parsers.parse('la démarche suit le circuit "{code}" avec {levels:d} niveaux de validation'))
def follows_workflow(registry: Registry, code: str, levels: int) -> None:
    with transaction_scope(registry) as request:
        workflows = request.find_service(IWorkflows)
        workflows.attach(census(request), workflows.shipped(code), levels)


@given("je suis aussi validateur")
def also_validator(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("instructeur"), "aids:validator")


@when(parsers.re(r'je fais "(?P<label>[^"]*)"$'))
def take_transition(browser: Browser, label: str) -> None:
    take_with(browser, label, "")


@when(parsers.re(r'je fais "(?P<label>[^"]*)" en motivant "(?P<motivation>[^"]*)"$'))
def take_transition_with(browser: Browser, label: str, motivation: str) -> None:
    take_with(browser, label, motivation)


@when(parsers.parse('je fais "{label}" en motivant "{motivation}" avec le montant "{amount}"'))
def take_transition_with_amount(browser: Browser, label: str, motivation: str, amount: str) -> None:
    take_with(browser, label, motivation, amount)


def take_with(browser: Browser, label: str, motivation: str, amount: str = "") -> None:
    page = browser.current
    forms = [form for key, form in page.forms.items() if isinstance(key, str) and key.startswith("transition-")
             and page.html.find(id=key).find("button").text.strip() == label]  # fmt: skip
    assert len(forms) == 1, f"no single button {label!r}"
    if motivation:
        forms[0]["motivation"] = motivation
    if amount:
        forms[0]["montant"] = amount
    answer = forms[0].submit(expect_errors=True)
    browser.page = answer.follow() if answer.status_int == 303 else answer


@then(parsers.parse('l\'état affiché est "{label}"'))
def shown_state(browser: Browser, label: str) -> None:
    assert browser.current.html.find(id="etat-actuel").text == label


@then(parsers.parse('le demandeur a reçu un courriel "{start}" "{end}"'))
def applicant_mailed(registry: Registry, start: str, end: str) -> None:
    assert any(mail["Subject"].startswith(start) and mail["Subject"].endswith(end)
               for mail in delivered_mail(registry))  # fmt: skip


@then(parsers.parse('la motivation dit "{message}"'))
def motivation_error(browser: Browser, message: str) -> None:
    assert browser.current.status_int == 400
    errors = browser.current.html.select('.transitions .error-message[id^="motivation-"]')
    assert [error.text for error in errors] == [message]


@then(parsers.parse('la demande numéro {number:d} est toujours "{state}"'))
def stored_state(registry: Registry, number: int, state: str) -> None:
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.state).where(Application.receipt == receipt(number))) == state


def validate_as(registry: Registry, login_name: str, number: int) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        account = accounts.by_login(login_name)
        if account is None:
            account = accounts.create(login_name, login_name.title(), AGENT, password=CITIZEN_PASSWORD)
            accounts.grant(account, "aids:validator")
        act_as(request, account)
        application = request.db.scalar(sa.select(Application).where(Application.receipt == receipt(number)))
        request.find_service(IWorkflows).take(application, "valider", {})


@when(parsers.parse("un autre validateur valide la demande numéro {number:d}"))
def another_validates(registry: Registry, number: int) -> None:
    validate_as(registry, "valideur", number)


@when(parsers.parse("un troisième validateur valide la demande numéro {number:d}"))
def third_validates(registry: Registry, number: int) -> None:
    validate_as(registry, "valideuse", number)


@then("ce validateur ne peut pas la valider une seconde fois")
def not_twice(registry: Registry) -> None:
    with pytest.raises(Refused) as refused:
        validate_as(registry, "valideur", 1)
    assert refused.value.status == 403 and "déjà validé" in refused.value.message


@when("j'ouvre le circuit de la démarche")
def open_workflow(browser: Browser) -> None:
    page = browser.app.get("/intranet/demarches/").click(description=SETTINGS.title)
    browser.page = page.click(description="Circuit d'instruction")
