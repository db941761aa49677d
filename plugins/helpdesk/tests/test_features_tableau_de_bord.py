"""Step definitions of features/helpdesk/tableau_de_bord.feature (French Gherkin).

Tickets are opened, taken, answered, resolved and rated through the
helpdesk's services while the frozen clock moves to the times the steps name
(Nouméa time); the manager reads the dashboard, its JSON figures and its
exports over HTTP, as the page's links give them.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
import webtest
from feature_helpers import step
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou_helpdesk import checks
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import RESOLVED, Ticket

scenarios("helpdesk/tableau_de_bord.feature")

DASHBOARD = "/intranet/assistance/tableau-de-bord/"
NOUMEA = datetime.timedelta(hours=11)
MONTHS = {
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
}  # fmt: skip


@dataclass
class Desk:
    """The bureau's tickets by title, and what the manager's browser last received."""

    app: webtest.TestApp
    tickets: dict[str, int] = field(default_factory=dict)
    page: webtest.TestResponse | None = None

    @property
    def current(self) -> webtest.TestResponse:
        assert self.page is not None, "nothing opened yet"
        return self.page


@pytest.fixture
def desk(app) -> Desk:
    return Desk(app)


def local_moment(clock) -> datetime.datetime:
    return clock.instant + NOUMEA


def act(registry, login_name: str, action) -> None:
    with transaction_scope(registry) as request:
        action(request, request.find_service(IAccounts).by_login(login_name))


def open_ticket(registry, desk: Desk, login_name: str, title: str, category: str, urgency: str = "2") -> None:
    def open_it(request, account):
        data = checks.TicketInput(title=title, description="Décrit au téléphone.", category=category, urgency=urgency)
        desk.tickets[title] = request.find_service(ITickets).open(data, account).id

    act(registry, login_name, open_it)


def on_ticket(registry, desk: Desk, login_name: str, title: str, action) -> None:
    act(
        registry,
        login_name,
        lambda request, account: action(request, request.db.get_one(Ticket, desk.tickets[title]), account),
    )


def figures(desk: Desk) -> dict:
    return desk.app.get(DASHBOARD + "donnees.json").json


def text_of(element) -> str:
    return re.sub(r"[ \t\r\n]+", " ", element.get_text()).strip()


# ---------------------------------------------------------------------------
# Given
# ---------------------------------------------------------------------------


@given("le bureau d'assistance avec ses techniciens et ses catégories")
def bureau(helpdesk):
    return helpdesk


@given(
    parsers.re(
        r"nous sommes le \w+ (?P<day>\d+) (?P<month>\w+) (?P<year>\d{4}) "
        r"à (?P<hour>\d+) h (?P<minute>\d\d), heure de Nouméa$"
    )
)
def moment(clock, day, month, year, hour, minute):
    local = datetime.datetime(int(year), MONTHS[month], int(day), int(hour), int(minute), tzinfo=datetime.UTC)
    clock.instant = local - NOUMEA


@given(parsers.re(r"il est (?P<hour>\d+) h (?P<minute>\d\d)$"))
def later_that_day(clock, hour, minute):
    local = local_moment(clock)
    wanted = local.replace(hour=int(hour), minute=int(minute))
    assert wanted >= local, "the clock only moves forward within a scenario's day"
    clock.advance(seconds=(wanted - local).total_seconds())


@given(step('"…" ouvre la demande "…" dans la catégorie "…"', "login_name", "title", "category"))
def opens(registry, desk, login_name, title, category):
    open_ticket(registry, desk, login_name, title, category)


@given(step('"…" ouvre la demande urgente "…" dans la catégorie "…"', "login_name", "title", "category"))
def opens_urgent(registry, desk, login_name, title, category):
    open_ticket(registry, desk, login_name, title, category, urgency="3")


@given(step('"…" prend la demande "…"', "login_name", "title"))
def takes(registry, desk, login_name, title):
    on_ticket(
        registry,
        desk,
        login_name,
        title,
        lambda request, ticket, account: request.find_service(ITickets).take(ticket, account),
    )


@given(step('"…" répond à la demande "…"', "login_name", "title"))
def answers(registry, desk, login_name, title):
    on_ticket(
        registry,
        desk,
        login_name,
        title,
        lambda request, ticket, account: request.find_service(ITickets).add_message(
            ticket, account, "Voici la marche à suivre."
        ),
    )


@given(step('"…" résout la demande "…"', "login_name", "title"))
def resolves(registry, desk, login_name, title):
    on_ticket(
        registry,
        desk,
        login_name,
        title,
        lambda request, ticket, account: request.find_service(ITickets).change_status(
            ticket, RESOLVED, technician=account
        ),
    )


@given(parsers.re(r'"(?P<login_name>[^"]+)" note la demande "(?P<title>[^"]+)" (?P<rating>\d) sur 5$'))
def rates(registry, desk, login_name, title, rating):
    on_ticket(
        registry,
        desk,
        login_name,
        title,
        lambda request, ticket, account: request.find_service(ITickets).rate(ticket, rating, ""),
    )


def tickets_in_week(registry, clock, desk: Desk, year: int, week: int, count: int) -> None:
    monday = datetime.date.fromisocalendar(year, week, 1)
    for number in range(count):
        local = datetime.datetime.combine(monday, datetime.time(9 + number), tzinfo=datetime.UTC)
        clock.instant = local - NOUMEA
        open_ticket(registry, desk, "agent", f"Semaine {week}, demande {number + 1}", "Logiciels")


@given(
    parsers.re(
        r"(?P<count>\d+) demandes ont été ouvertes chaque semaine, "
        r"de la semaine (?P<first>\d+) à la semaine (?P<last>\d+) de (?P<year>\d{4})$"
    )
)
def weekly_tickets(registry, clock, desk, count, first, last, year):
    for week in range(int(first), int(last) + 1):
        tickets_in_week(registry, clock, desk, int(year), week, int(count))


@given(parsers.re(r"(?P<count>\d+) demandes ont été ouvertes la semaine (?P<week>\d+) de (?P<year>\d{4})$"))
def tickets_of_one_week(registry, clock, desk, count, week, year):
    tickets_in_week(registry, clock, desk, int(year), int(week), int(count))


# ---------------------------------------------------------------------------
# When
# ---------------------------------------------------------------------------


@when(step('"…" ouvre le tableau de bord', "login_name"))
def opens_dashboard(desk, sign_in, login_name):
    sign_in(login_name)
    desk.page = desk.app.get(DASHBOARD, expect_errors=True)


@when(step('"…" ouvre le tableau de bord du "…" au "…"', "login_name", "start", "end"))
def opens_dashboard_for(desk, sign_in, login_name, start, end):
    sign_in(login_name)
    desk.page = desk.app.get(DASHBOARD, params={"du": start, "au": end}, expect_errors=True)


@when(parsers.re(r'"(?P<login_name>[^"]+)" exporte les tickets en (?P<kind>CSV|XLSX)$'))
def exports(desk, sign_in, login_name, kind):
    sign_in(login_name)
    page = desk.app.get(DASHBOARD)
    link = page.html.find("a", string=re.compile(f"en {kind}"))
    desk.page = desk.app.get(link["href"])


# ---------------------------------------------------------------------------
# Then
# ---------------------------------------------------------------------------


@then(
    parsers.re(
        r"le tableau de bord compte (?P<opened>\d+) tickets? ouverts? et (?P<resolved>\d+) résolus? le (?P<day>[\d/]+)$"
    )
)
def counted_on(desk, opened, resolved, day):
    rows = [
        [text_of(cell) for cell in row.find_all(["th", "td"])] for row in desk.current.html.select("#tableau-jours tr")
    ]
    assert [day, opened, resolved] in rows


@then(step('la première réponse prend "…" en médiane et "…" au 90e centile', "median", "p90"))
def first_response_times(desk, median, p90):
    cells = [text_of(cell) for cell in desk.current.html.select("#tableau-delais tbody tr")[0].find_all(["th", "td"])]
    assert cells[0] == "Première réponse" and cells[2:] == [median, p90]


@then(step('la résolution prend "…" en médiane', "median"))
def resolution_time(desk, median):
    assert text_of(desk.current.html.find(id="chiffre-resolution")) == median


@then(parsers.re(r"les délais de première réponse sont tenus pour (?P<met>\d+) tickets? sur (?P<total>\d+)$"))
def first_response_kept(desk, met, total):
    cells = [
        text_of(cell) for cell in desk.current.html.select("#tableau-engagements tbody tr")[0].find_all(["th", "td"])
    ]
    assert cells[1:3] == [met, total]
    assert f"({met} sur {total})" in desk.current.text


@then(step('la satisfaction moyenne est de "…"', "average"))
def satisfaction(desk, average):
    assert text_of(desk.current.html.find(id="chiffre-satisfaction")) == average


@then(step('le tableau de bord ne montre que le groupe "…"', "name"))
def only_group(desk, name):
    rows = desk.current.html.select("#tableau-stock tbody tr th")
    assert [text_of(row) for row in rows] == [name]
    assert [option.text for option in desk.current.html.select("#champ-groupe option")][1:] == [name]


@then(parsers.re(r"la semaine de pointe est la semaine (?P<week>\d+), avec (?P<count>\d+) tickets ouverts$"))
def peak_week(desk, week, count):
    callout = text_of(desk.current.html.find(id="pic-resume"))
    assert callout.startswith(f"S{week} (semaine du ") and f": {count} tickets ouverts" in callout
    assert figures(desk)["peak"]["count"] == int(count)


@then(step('elle pèse "…" une semaine habituelle de "…" tickets', "ratio", "average"))
def weighs(desk, ratio, average):
    callout = text_of(desk.current.html.find(id="pic-resume")).replace("\u00a0", " ")
    assert f"soit {ratio} une semaine habituelle ({average} en moyenne" in callout


@then("sa barre est la seule mise en évidence dans le graphique des semaines")
def highlighted(desk):
    chart = desk.current.html.select_one("#pic-resume ~ figure svg.chart")
    [chosen] = chart.select("rect.serie-choisie")
    others = chart.select("rect.serie-autre, rect.serie-hors")
    assert others and all(float(chosen["height"]) > float(other["height"]) for other in others)


@then(parsers.parse("la page répond {status:d}"))
def answers_with(desk, status):
    assert desk.current.status_int == status


@then(step('le champ "…" signale "…"', "name", "message"))
def field_says(desk, name, message):
    assert text_of(desk.current.html.find(id=f"erreur-{name}")) == message
    assert f"erreur-{name}" in desk.current.html.find(id=f"champ-{name}")["aria-describedby"].split()


@then(parsers.re(r'l\'export contient (?P<count>\d+) tickets?, intitulés? "(?P<title>[^"]+)"$'))
def csv_rows(desk, count, title):
    assert desk.current.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(desk.current.body.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) - 1 == int(count)
    assert [row[2] for row in rows[1:]] == [title]


@then(parsers.re(r'le classeur a une feuille "(?P<name>[^"]+)" avec (?P<count>\d+) tickets?$'))
def workbook(desk, name, count):
    with zipfile.ZipFile(io.BytesIO(desk.current.body)) as package:
        assert f'name="{name}"' in package.read("xl/workbook.xml").decode()
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert len(re.findall(r"<row ", sheet)) - 1 == int(count)


@then(step('le journal d\'audit contient "…"', "summary"))
def audited(registry, summary):
    with transaction_scope(registry) as request:
        summaries = list(request.db.scalars(sa.select(AuditEntry.summary)))
    assert summary in summaries
