"""Step definitions of features/aids/*.feature (French Gherkin)."""

from __future__ import annotations

import datetime
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IDocumentRequests, IMessages
from cagou_aids.models import INSTRUCTORS, Application, Procedure
from conftest import CITIZEN_PASSWORD
from pyramid.registry import Registry
from pytest_bdd import given, parsers, scenarios, then, when
from test_services import SETTINGS, published, submit

from cagou.kit import AGENT, IAccounts, transaction_scope
from cagou.testing import delivered_mail, login

scenarios("aids")

NOUMEA = ZoneInfo("Pacific/Noumea")
STEP = "formulaire-etape"
REVIEW = "formulaire-verification"


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


@given("je suis connecté comme instructeur")
def instructor_signed_in(browser: Browser, registry: Registry) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        account = accounts.create("instructeur", "Léa Instructrice", AGENT, password=CITIZEN_PASSWORD)
        accounts.grant(account, "aids:instructor")
    browser.app.reset()
    login(browser.app, "instructeur", CITIZEN_PASSWORD)


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
    browser.page = form.submit().maybe_follow()


@when("je dépose sans attester")
def submit_without_declaration(browser: Browser) -> None:
    browser.page = browser.current.forms[REVIEW].submit(expect_errors=True)


@then(parsers.parse('je lis "{text}"'))
def reads(browser: Browser, text: str) -> None:
    assert text in browser.current.text


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
