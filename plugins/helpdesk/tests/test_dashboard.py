"""The managers' dashboard: exact figures from tickets made through the services, scopes, bad filters, exports.

Every ticket is opened, answered, resolved and rated through
``cagou_helpdesk.services`` while the frozen clock moves, so that each figure
is known in advance: counts per Nouméa day and week, business-time delays,
service levels, satisfaction, categories, backlog, load, and the peak week.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
import sqlalchemy as sa
import webtest

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing_checks import read_xlsx
from cagou_helpdesk import checks
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import IN_PROGRESS, RESOLVED, Ticket

UTC = datetime.UTC
DASHBOARD = "/intranet/assistance/tableau-de-bord/"
DATA = DASHBOARD + "donnees.json"
CSV_EXPORT = DASHBOARD + "export.csv"
XLSX_EXPORT = DASHBOARD + "export.xlsx"


# ---------------------------------------------------------------------------
# Making tickets through the services
# ---------------------------------------------------------------------------


class Desk:
    """Acts on tickets as the bureau's people would, each step in its own transaction."""

    def __init__(self, registry, clock) -> None:
        self.registry = registry
        self.clock = clock
        self.ids: dict[str, int] = {}

    def person(self, request, login: str):
        return request.find_service(IAccounts).by_login(login)

    def open(self, name: str, requester: str, category: str, urgency: str = "2", title: str = "") -> None:
        with transaction_scope(self.registry) as request:
            data = checks.TicketInput(
                title=title or f"Demande {name}",
                description="Décrite au téléphone.",
                category=category,
                urgency=urgency,
                impact="1",
            )
            self.ids[name] = request.find_service(ITickets).open(data, self.person(request, requester)).id

    def ticket(self, request, name: str) -> Ticket:
        return request.db.get_one(Ticket, self.ids[name])

    def take(self, name: str, technician: str) -> None:
        with transaction_scope(self.registry) as request:
            request.find_service(ITickets).take(self.ticket(request, name), self.person(request, technician))

    def reply(self, name: str, technician: str) -> None:
        with transaction_scope(self.registry) as request:
            request.find_service(ITickets).add_message(
                self.ticket(request, name), self.person(request, technician), "Voici la marche à suivre."
            )

    def status(self, name: str, technician: str, status: str) -> None:
        with transaction_scope(self.registry) as request:
            request.find_service(ITickets).change_status(
                self.ticket(request, name), status, technician=self.person(request, technician)
            )

    def rate(self, name: str, rating: int) -> None:
        with transaction_scope(self.registry) as request:
            request.find_service(ITickets).rate(self.ticket(request, name), str(rating), "")

    def at(self, year: int, month: int, day: int, hour: int, minute: int = 0) -> None:
        """Move the clock to a moment of Nouméa (UTC+11)."""
        self.clock.instant = datetime.datetime(year, month, day, hour, minute, tzinfo=UTC) - datetime.timedelta(
            hours=11
        )


@pytest.fixture
def desk(registry, clock, helpdesk) -> Desk:
    return Desk(registry, clock)


@pytest.fixture
def monday_and_tuesday(desk: Desk) -> Desk:
    """Four tickets over Monday 30 and Tuesday 31 March 2026 (week 14), with known delays.

    - A, Réseau > VPN (INFRA, P3), taken by reseau, resolved Tuesday 9:00 without a public reply: 8 business hours
      (Monday 9:00-11:30 and 12:30-16:30, Tuesday 7:30-9:00), both as first response (late: 4 h allowed) and
      resolution (on time: 24 h); rated 3.
    - B, Matériel > Ordinateur portable (BAU, P3), taken by tech1, answered at 10:00 (1 h, on time), resolved at
      11:00 (2 h, on time); rated 5.
    - C, Logiciels, high urgency (BAU, P2), taken by tech2, answered at 14:00: 4 business hours (lunch excluded)
      where P2 allows 1 h; still in progress.
    - D, Logiciels, low urgency (BAU, P4), opened Tuesday 9:00, in nobody's hands.
    """
    desk.clock.advance(days=6)  # Monday 30 March 2026, 9:00 in Nouméa
    desk.open("A", "agent", "Réseau > VPN")
    desk.open("B", "agent", "Matériel > Ordinateur portable")
    desk.open("C", "agente", "Logiciels", urgency="3")
    desk.take("A", "reseau")
    desk.take("B", "tech1")
    desk.take("C", "tech2")
    desk.status("C", "tech2", IN_PROGRESS)
    desk.clock.advance(hours=1)  # 10:00
    desk.reply("B", "tech1")
    desk.clock.advance(hours=1)  # 11:00
    desk.status("B", "tech1", RESOLVED)
    desk.rate("B", 5)
    desk.clock.advance(hours=3)  # 14:00
    desk.reply("C", "tech2")
    desk.clock.advance(hours=19)  # Tuesday 31 March, 9:00
    desk.status("A", "reseau", RESOLVED)
    desk.rate("A", 3)
    desk.open("D", "agente", "Logiciels", urgency="1")
    return desk


def figures(app: webtest.TestApp, **params: str) -> dict:
    return app.get(DATA, params=params).json


def text_of(element) -> str:
    """What the person reads, ordinary white space collapsed (no-break spaces kept: they are part of figures)."""
    return re.sub(r"[ \t\r\n]+", " ", element.get_text()).strip()


def table(page: webtest.TestResponse, ident: str) -> list[list[str]]:
    """The rows of a table of the page, header included, as the cells' texts."""
    return [[text_of(cell) for cell in row.find_all(["th", "td"])] for row in page.html.find(id=ident).find_all("tr")]


# ---------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------


def test_the_figures_of_two_days_are_exact(app, sign_in, monday_and_tuesday):
    sign_in("hdadmin")
    data = figures(app)
    # The last six weeks by default: from Monday of week 9 to today, Tuesday 31 March.
    assert data["period"] == {"from": "2026-02-23", "to": "2026-03-31", "timezone": "Pacific/Noumea"}
    assert data["all_groups"] is True and data["groups"] == ["BAU", "INFRA"]
    assert data["totals"] == {"opened": 4, "resolved": 2, "backlog": 2}
    busy = [day for day in data["per_day"] if day["opened"] or day["resolved"]]
    assert busy == [
        {"day": "2026-03-30", "opened": 3, "resolved": 1},
        {"day": "2026-03-31", "opened": 1, "resolved": 1},
    ]
    assert len(data["per_day"]) == 37
    assert [week["week"] for week in data["per_week"]] == [f"2026-W{n:02d}" for n in range(9, 15)]
    assert data["per_week"][-1] == {"week": "2026-W14", "opened": 4, "resolved": 2, "partial": True}
    assert data["per_week"][0] == {"week": "2026-W09", "opened": 0, "resolved": 0, "partial": False}
    # Business minutes: first responses 60 (B), 240 (C), 480 (A); resolutions 120 (B), 480 (A).
    assert data["durations"] == {
        "unit": "business_minutes",
        "first_response": {"count": 3, "median": 240.0, "p90": 480.0},
        "resolution": {"count": 2, "median": 300.0, "p90": 480.0},
    }
    assert data["service_levels"] == {
        "first_response": {"met": 1, "total": 3, "rate": pytest.approx(1 / 3)},
        "resolution": {"met": 2, "total": 2, "rate": 1.0},
    }
    assert data["satisfaction"] == {
        "count": 2,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
    }
    assert data["top_categories"] == [
        {"category": "Logiciels", "count": 2},
        {"category": "Matériel > Ordinateur portable", "count": 1},
        {"category": "Réseau > VPN", "count": 1},
    ]
    assert data["backlog"] == [
        {"group": "BAU", "by_priority": {"1": 0, "2": 1, "3": 0, "4": 1}, "total": 2},
        {"group": "INFRA", "by_priority": {"1": 0, "2": 0, "3": 0, "4": 0}, "total": 0},
    ]
    assert data["technicians"] == [
        {"login": "tech2", "name": "Inès Technicienne", "open": 1, "resolved": 0},
        {"login": "reseau", "name": "Rémi Réseau", "open": 0, "resolved": 1},
        {"login": "tech1", "name": "Théo Technicien", "open": 0, "resolved": 1},
    ]
    # No week before the first ticket: nothing to compare the week with.
    assert data["peak"] == {
        "week": "2026-W14",
        "count": 4,
        "average": None,
        "ratio": None,
        "weeks": [{"week": "2026-W14", "count": 4, "role": "chosen"}],
    }


def test_the_page_shows_the_same_figures_in_charts_and_tables(app, sign_in, monday_and_tuesday):
    sign_in("hdadmin")
    page = app.get(DASHBOARD)
    assert page.status_int == 200
    assert page.html.find(id="chiffre-ouverts").text == "4"
    assert page.html.find(id="chiffre-resolus").text == "2"
    assert page.html.find(id="chiffre-stock").text == "2"
    assert page.html.find(id="chiffre-premiere-reponse").text == "4 h"
    assert page.html.find(id="chiffre-resolution").text == "5 h"
    assert page.html.find(id="chiffre-engagement").text == "100\u00a0%"
    assert page.html.find(id="chiffre-satisfaction").text == "4,0 sur 5"
    assert table(page, "tableau-delais")[1:] == [
        ["Première réponse", "3", "4 h", "8 h"],
        ["Résolution", "2", "5 h", "8 h"],
    ]
    assert table(page, "tableau-engagements")[1:] == [
        ["Première réponse", "1", "3", "33\u00a0%"],
        ["Résolution", "2", "2", "100\u00a0%"],
    ]
    assert table(page, "tableau-satisfaction")[1:] == [
        ["1/5", "0"],
        ["2/5", "0"],
        ["3/5", "1"],
        ["4/5", "0"],
        ["5/5", "1"],
    ]
    assert table(page, "tableau-categories")[1:] == [
        ["1", "Logiciels", "2"],
        ["2", "Matériel > Ordinateur portable", "1"],
        ["3", "Réseau > VPN", "1"],
    ]
    assert table(page, "tableau-stock") == [
        ["Groupe", "P1 — critique", "P2 — haute", "P3 — normale", "P4 — basse", "Total"],
        ["Bureau de l'assistance aux utilisateurs", "0", "1", "0", "1", "2"],
        ["Bureau des infrastructures", "0", "0", "0", "0", "0"],
    ]
    assert table(page, "tableau-techniciens")[1:] == [
        ["Inès Technicienne", "1", "0"],
        ["Rémi Réseau", "0", "1"],
        ["Théo Technicien", "0", "1"],
    ]
    days = table(page, "tableau-jours")
    assert ["30/03/2026", "3", "1"] in days and ["31/03/2026", "1", "1"] in days
    assert table(page, "tableau-semaines")[-1] == ["S14 (en partie dans la période)", "30/03/2026", "4", "2"]
    # Every chart is an image with a name, drawn without any inline style, and followed by its figures.
    svgs = page.html.select("svg.chart")
    assert len(svgs) == 9
    for svg in svgs:
        assert svg["role"] == "img" and svg["aria-label"]
        assert svg.find_parent("figure").find("figcaption").text.strip()
        assert not svg.find_all(style=True)
    assert "style=" not in page.text
    names = [svg["aria-label"] for svg in svgs]
    assert "du 23/02/2026 au 31/03/2026 : 4 ouverts, 2 résolus." in names[1]
    # Monday's bars: opened 3 in solid blue, resolved 1 hatched (a pattern, not the colour alone).
    days_chart = page.html.select_one("svg[aria-label^='Graphique en barres des tickets par jour']")
    assert len(days_chart.select("rect.serie-ouverts")) == 2
    hatched = days_chart.select("rect.serie-resolus")
    assert len(hatched) == 2 and all(rect["fill"] == "url(#graphique-jours-motif)" for rect in hatched)
    stylesheet = app.get(page.html.find("link", href=re.compile(r"dashboard\.css$"))["href"])
    assert stylesheet.content_type == "text/css" and b".serie-choisie" in stylesheet.body


def test_days_are_noumea_days(app, sign_in, desk):
    # 23:30 on Monday and 0:30 on Tuesday in Nouméa are both on Monday in UTC.
    desk.at(2026, 3, 30, 23, 30)
    desk.open("late", "agent", "Logiciels")
    desk.at(2026, 3, 31, 0, 30)
    desk.open("early", "agent", "Logiciels")
    assert desk.clock.instant.date() == datetime.date(2026, 3, 30)
    sign_in("chef")
    data = figures(app, du="30/03/2026", au="2026-03-31")
    assert data["per_day"] == [
        {"day": "2026-03-30", "opened": 1, "resolved": 0},
        {"day": "2026-03-31", "opened": 1, "resolved": 0},
    ]
    assert data["per_week"] == [{"week": "2026-W14", "opened": 2, "resolved": 0, "partial": True}]
    only_monday = figures(app, du="2026-03-30", au="2026-03-30")
    assert only_monday["totals"]["opened"] == 1


def test_durations_are_in_business_hours_across_a_weekend(app, sign_in, desk):
    desk.at(2026, 3, 27, 16, 0)  # Friday 16:00: half an hour before closing
    desk.open("friday", "agent", "Logiciels")
    desk.take("friday", "tech1")
    desk.at(2026, 3, 30, 8, 0)  # Monday 8:00: 30 + 30 business minutes later, 2 days and 16 hours on the wall
    desk.reply("friday", "tech1")
    desk.status("friday", "tech1", RESOLVED)
    sign_in("chef")
    data = figures(app, du="2026-03-27", au="2026-03-30")
    assert data["durations"]["first_response"] == {"count": 1, "median": 60.0, "p90": 60.0}
    assert data["durations"]["resolution"] == {"count": 1, "median": 60.0, "p90": 60.0}
    assert data["service_levels"]["resolution"] == {"met": 1, "total": 1, "rate": 1.0}


def test_a_long_period_keeps_its_daily_figures_in_a_table(app, sign_in, monday_and_tuesday):
    sign_in("chef")
    page = app.get(DASHBOARD, params={"du": "01/12/2025"})
    assert "La période dépasse 92 jours : le graphique par jour laisse la place au graphique par semaine" in page.text
    assert not page.html.select("svg[aria-label^='Graphique en barres des tickets par jour']")
    days = table(page, "tableau-jours")
    assert len(days) == 1 + 121 and ["30/03/2026", "2", "1"] in days


def test_the_dashboard_speaks_english_too(app, sign_in, monday_and_tuesday):
    sign_in("chef")
    page = app.get(DASHBOARD, params={"_LOCALE_": "en"})
    assert page.html.find("h1").text == "Helpdesk dashboard"
    assert table(page, "tableau-semaines")[0] == ["Week", "From Monday", "Opened", "Resolved"]
    assert table(page, "tableau-semaines")[-1][0] == "W14 (partly in the period)"
    assert page.html.find(id="chiffre-ouverts").find_previous("dt").text == "Tickets opened"
    assert page.html.select_one("svg[aria-label^='Bar chart of the tickets per day']")


# ---------------------------------------------------------------------------
# The peak week
# ---------------------------------------------------------------------------


@pytest.fixture
def five_weeks(desk: Desk) -> Desk:
    """1, 2, 3, 12 and 2 tickets in weeks 6 to 10 of 2026; today is Monday of week 11 (no ticket yet).

    The helpdesk's very first ticket comes on the Tuesday of week 6: that week did not have a whole service.
    """
    for week, count in ((6, 1), (7, 2), (8, 3), (9, 12), (10, 2)):
        monday = datetime.date.fromisocalendar(2026, week, 1)
        for number in range(count):
            day = monday + datetime.timedelta(days=(number + (week == 6)) % 5)
            desk.at(day.year, day.month, day.day, 9 + number // 5)
            desk.open(f"S{week}-{number}", "agent", "Logiciels")
    desk.at(2026, 3, 9, 9)  # Monday of week 11
    return desk


def test_the_peak_week_stands_out_against_the_usual_week(app, sign_in, five_weeks):
    sign_in("chef")
    data = figures(app)
    assert data["period"] == {"from": "2026-02-02", "to": "2026-03-09", "timezone": "Pacific/Noumea"}
    # The busiest week of the period, against the weeks before it: 7 and 8, (2 + 3) / 2 = 2.5, 4.8 times less.
    # Week 6 began before the first ticket, week 10 comes after, week 11 is not over: shown, not counted.
    assert data["peak"] == {
        "week": "2026-W09",
        "count": 12,
        "average": 2.5,
        "ratio": 4.8,
        "weeks": [
            {"week": "2026-W06", "count": 1, "role": "before_service"},
            {"week": "2026-W07", "count": 2, "role": "reference"},
            {"week": "2026-W08", "count": 3, "role": "reference"},
            {"week": "2026-W09", "count": 12, "role": "chosen"},
            {"week": "2026-W10", "count": 2, "role": "after"},
            {"week": "2026-W11", "count": 0, "role": "not_over"},
        ],
    }
    page = app.get(DASHBOARD)
    callout = text_of(page.html.find(id="pic-resume"))
    assert callout.startswith(
        "S9 (semaine du 23/02/2026) : 12 tickets ouverts, soit ×\u00a04,8 une semaine habituelle "
        "(2,5 en moyenne sur les 2 semaines précédentes)."
    )
    chart = page.html.select_one("svg[aria-label^='Graphique en barres des tickets ouverts par semaine']")
    assert chart["aria-label"].endswith("S9 : 12 tickets ; semaine habituelle : 2,5.")
    # The chosen week is the one bar drawn in the highlight colour, the tallest, its label in bold;
    # the weeks of the mean are solid, the others outlined (week 11 has no ticket: no bar).
    [chosen] = chart.select("rect.serie-choisie")
    counted = chart.select("rect.serie-autre")
    outlined = chart.select("rect.serie-hors")
    assert (len(counted), len(outlined)) == (2, 2)
    assert all(float(chosen["height"]) > 3 * float(other["height"]) for other in counted + outlined)
    assert chart.select_one("text.chart-strong").text == "S9"
    assert chart.select_one("line.chart-reference")
    rows = page.html.find(id="pic-resume").find_next("table").find("tbody").find_all("tr")
    assert [[text_of(cell) for cell in row.find_all(["th", "td"])] for row in rows] == [
        ["S6", "02/02/2026", "1", "Non : commencée avant le premier ticket"],
        ["S7", "09/02/2026", "2", "Oui"],
        ["S8", "16/02/2026", "3", "Oui"],
        ["S9 (choisie)", "23/02/2026", "12", "Non : semaine choisie"],
        ["S10", "02/03/2026", "2", "Non : après la semaine choisie"],
        ["S11", "09/03/2026", "0", "Non : semaine en cours"],
    ]


def test_any_week_can_be_compared_within_any_window(app, sign_in, five_weeks):
    sign_in("chef")
    quiet = figures(app, semaine="2026-W08")["peak"]
    assert (quiet["week"], quiet["count"], quiet["average"], quiet["ratio"]) == ("2026-W08", 3, 2.0, 1.5)
    narrow = figures(app, semaine="2026-S09", fenetre="1")["peak"]
    assert narrow["weeks"] == [
        {"week": "2026-W08", "count": 3, "role": "reference"},
        {"week": "2026-W09", "count": 12, "role": "chosen"},
        {"week": "2026-W10", "count": 2, "role": "after"},
    ]
    assert (narrow["average"], narrow["ratio"]) == (3.0, 4.0)
    page = app.get(DASHBOARD, params={"semaine": "2026-W09", "fenetre": "1"})
    assert "soit ×\u00a04,0 la semaine précédente (3,0)." in text_of(page.html.find(id="pic-resume"))
    assert page.html.find(id="champ-semaine")["value"] == "2026-W09"
    assert page.html.find(id="champ-fenetre")["value"] == "1"
    first = figures(app, semaine="2026-W06")["peak"]
    assert (first["count"], first["average"], first["ratio"]) == (1, None, None)
    alone = app.get(DASHBOARD, params={"semaine": "2026-W06"})
    assert "aucune semaine terminée avant elle ne permet de la comparer" in text_of(alone.html.find(id="pic-resume"))


# ---------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------


def test_a_manager_sees_the_groups_he_manages_only(app, sign_in, monday_and_tuesday):
    sign_in("chef")
    data = figures(app)
    assert data["all_groups"] is False and data["groups"] == ["BAU"]
    assert data["totals"] == {"opened": 3, "resolved": 1, "backlog": 2}
    assert [row["group"] for row in data["backlog"]] == ["BAU"]
    assert [row["login"] for row in data["technicians"]] == ["tech2", "tech1"]
    page = app.get(DASHBOARD)
    assert (
        "Vous voyez les groupes que vous dirigez ou dont vous êtes membre : Bureau de l'assistance aux utilisateurs."
        in text_of(page.html)
    )
    assert [option["value"] for option in page.html.select("#champ-groupe option")] == ["", "BAU"]


@pytest.mark.parametrize("login", ["tech1", "agent"])
@pytest.mark.parametrize("url", [DASHBOARD, DATA, CSV_EXPORT, XLSX_EXPORT])
def test_a_technician_or_an_agent_is_refused(app, sign_in, monday_and_tuesday, login, url):
    sign_in(login)
    assert app.get(url, expect_errors=True).status_int == 403


def test_a_manager_without_a_group_sees_an_empty_dashboard(app, sign_in, registry, desk):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agente"), "helpdesk:manager")
    desk.open("A", "agent", "Logiciels")
    sign_in("agente")
    data = figures(app)
    assert data["groups"] == [] and data["totals"] == {"opened": 0, "resolved": 0, "backlog": 0}
    page = app.get(DASHBOARD)
    assert "Vous ne dirigez aucun groupe de techniciens" in page.text


# ---------------------------------------------------------------------------
# Filters, good and bad
# ---------------------------------------------------------------------------


def test_filters_narrow_every_figure(app, sign_in, monday_and_tuesday):
    sign_in("hdadmin")
    network = figures(app, categorie="Réseau")
    assert network["totals"] == {"opened": 1, "resolved": 1, "backlog": 0}
    assert network["top_categories"] == [{"category": "Réseau > VPN", "count": 1}]
    urgent = figures(app, priorite="2")
    assert urgent["totals"] == {"opened": 1, "resolved": 0, "backlog": 1}
    assert urgent["technicians"] == [{"login": "tech2", "name": "Inès Technicienne", "open": 1, "resolved": 0}]
    infra = figures(app, groupe="INFRA")
    assert infra["totals"] == {"opened": 1, "resolved": 1, "backlog": 0}
    assert infra["backlog"] == [{"group": "INFRA", "by_priority": {"1": 0, "2": 0, "3": 0, "4": 0}, "total": 0}]
    monday = figures(app, du="30/03/2026", au="30/03/2026")
    assert monday["totals"] == {"opened": 3, "resolved": 1, "backlog": 2}
    assert monday["durations"]["resolution"] == {"count": 1, "median": 120.0, "p90": 120.0}
    # The form shows what was asked, and the exports carry the same filters.
    page = app.get(DASHBOARD, params={"categorie": "Réseau", "priorite": "3"})
    assert page.html.find(id="champ-categorie")["value"] == "Réseau"
    assert page.html.select_one("#champ-priorite option[selected]")["value"] == "3"
    export = page.html.find("a", href=re.compile("export.csv"))["href"]
    assert "categorie=R%C3%A9seau" in export and "priorite=3" in export and "du=2026-02-23" in export


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"du": "31/02/2026"}, "du", "Saisissez une date valide au format JJ/MM/AAAA (par exemple 23/03/2026)."),
        ({"au": "hier"}, "au", "Saisissez une date valide au format JJ/MM/AAAA (par exemple 23/03/2026)."),
        (
            {"du": "2026-03-31", "au": "2026-03-01"},
            "au",
            "La date de fin (01/03/2026) précède la date de début (31/03/2026) : inversez-les.",
        ),
        ({"du": "2020-01-01"}, "au", "La période est limitée à 731 jours (deux ans) : raccourcissez-la."),
        ({"groupe": "INFRA"}, "groupe", "Choisissez un groupe de la liste : vous ne voyez que les vôtres."),
        ({"priorite": "9"}, "priorite", "Choisissez une priorité de la liste."),
        (
            {"categorie": "Plomberie"},
            "categorie",
            "Aucune catégorie ne commence par « Plomberie » : tapez le début d'un chemin de la liste, "
            "par exemple « Réseau » ou « Matériel > Ordinateur portable ».",
        ),
        (
            {"semaine": "2026-W60"},
            "semaine",
            "Saisissez une semaine au format AAAA-Wnn (par exemple 2026-W13 pour la semaine 13).",
        ),
        ({"fenetre": "0"}, "fenetre", "Saisissez un nombre entier de semaines, de 1 à 52."),
    ],
)
def test_a_bad_filter_answers_400_with_its_message_next_to_the_field(
    app, sign_in, monday_and_tuesday, params, field, message
):
    sign_in("chef")  # manages BAU only: INFRA is not a choice for him
    page = app.get(DASHBOARD, params=params, expect_errors=True)
    assert page.status_int == 400
    assert page.html.find(id=f"erreur-{field}").text == message
    control = page.html.find(id=f"champ-{field}")
    assert control["aria-invalid"] == "true"
    assert f"erreur-{field}" in control["aria-describedby"].split()
    assert page.html.find(role="alert")
    assert page.html.title.text.startswith("Erreur")
    assert not page.html.select("svg.chart")  # no figure computed from a filter that was refused
    data = app.get(DATA, params=params, expect_errors=True)
    assert data.status_int == 400 and data.json == {"errors": {field: message}}
    for url in (CSV_EXPORT, XLSX_EXPORT):
        refused = app.get(url, params=params, expect_errors=True)
        assert refused.status_int == 400 and refused.content_type == "text/html"
        assert refused.html.find(id=f"erreur-{field}").text == message


def test_htmx_swaps_the_results_even_when_a_filter_is_bad(app, sign_in, monday_and_tuesday):
    sign_in("chef")
    headers = {"HX-Request": "true", "HX-Target": "tableau-de-bord"}
    fragment = app.get(DASHBOARD, params={"priorite": "2"}, headers=headers)
    assert fragment.status_int == 200 and "<html" not in fragment.text
    assert fragment.html.find(id="tableau-de-bord").find(id="chiffre-ouverts").text == "1"
    bad = app.get(DASHBOARD, params={"du": "demain"}, headers=headers)
    assert bad.status_int == 200
    assert bad.html.find(id="erreur-du")


# ---------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------

HEADER = [
    "Référence",
    "Ouvert le (heure de Nouméa)",
    "Titre",
    "Catégorie",
    "Groupe",
    "Attribué à",
    "Demandeur",
    "Priorité",
    "Statut",
    "Première réponse le",
    "Résolu le",
    "Délais respectés",
    "Note de satisfaction",
]


def exports(registry) -> list[AuditEntry]:
    with transaction_scope(registry) as request:
        found = list(
            request.db.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "helpdesk:ticket:export").order_by(AuditEntry.id)
            )
        )
        request.db.expunge_all()
    return found


def test_the_csv_export_is_for_french_excel_and_audited(app, registry, sign_in, monday_and_tuesday):
    sign_in("chef")
    response = app.get(CSV_EXPORT)
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="tickets-assistance-20260331-0900.csv"'
    assert response.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    b, c, d = (monday_and_tuesday.ids[name] for name in "BCD")
    assert rows[1:] == [
        [f"HD-{b:06d}", "30/03/2026 09:00", "Demande B", "Matériel > Ordinateur portable",
         "Bureau de l'assistance aux utilisateurs", "Théo Technicien", "Paul Agent", "P3 — normale", "Résolu",
         "30/03/2026 10:00", "30/03/2026 11:00", "Oui", "5"],
        [f"HD-{c:06d}", "30/03/2026 09:00", "Demande C", "Logiciels", "Bureau de l'assistance aux utilisateurs",
         "Inès Technicienne", "Lucie Agente", "P2 — haute", "En cours", "30/03/2026 14:00", "", "Non", ""],
        [f"HD-{d:06d}", "31/03/2026 09:00", "Demande D", "Logiciels", "Bureau de l'assistance aux utilisateurs",
         "", "Lucie Agente", "P4 — basse", "Nouveau", "", "", "", ""],
    ]  # fmt: skip
    [entry] = exports(registry)
    assert entry.module == "helpdesk" and entry.category == "action" and entry.actor_login == "chef"
    assert entry.summary == "Export CSV de 3 tickets de l'assistance (du 23/02/2026 au 31/03/2026)."
    assert entry.changes == {"format": "csv", "filters": {"du": "2026-02-23", "au": "2026-03-31"}, "count": 3}


def test_the_csv_export_defuses_formulas(app, sign_in, desk):
    desk.open("formula", "agent", "Logiciels", title='=HYPERLINK("http://pirate.example","Cliquez")')
    desk.open("minus", "agent", "Logiciels", title="-2+3 écrans noirs")
    desk.open("at", "agent", "Logiciels", title="@SUM(1) dans le tableur")
    desk.open("plain", "agent", "Logiciels", title="Écran noir - encore")
    sign_in("chef")
    rows = list(csv.reader(io.StringIO(app.get(CSV_EXPORT).body.decode("utf-8-sig")), delimiter=";"))
    assert [row[2] for row in rows[1:]] == [
        '\'=HYPERLINK("http://pirate.example","Cliquez")',
        "'-2+3 écrans noirs",
        "'@SUM(1) dans le tableur",
        "Écran noir - encore",
    ]


def test_the_xlsx_export_opens_with_real_dates_and_is_audited(app, registry, sign_in, monday_and_tuesday):
    desk = monday_and_tuesday
    desk.open("formula", "agent", "Logiciels", title="=1+1")
    sign_in("hdadmin")
    response = app.get(XLSX_EXPORT, params={"groupe": "BAU"})
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == 'attachment; filename="tickets-assistance-20260331-0900.xlsx"'
    assert int(response.headers["Content-Length"]) == len(response.body)
    rows, kinds = read_xlsx(response.body, "Tickets")
    assert rows[0] == HEADER
    b = desk.ids["B"]
    assert rows[1] == [
        f"HD-{b:06d}", datetime.datetime(2026, 3, 30, 9, 0), "Demande B", "Matériel > Ordinateur portable",
        "Bureau de l'assistance aux utilisateurs", "Théo Technicien", "Paul Agent", "P3 — normale", "Résolu",
        datetime.datetime(2026, 3, 30, 10, 0), datetime.datetime(2026, 3, 30, 11, 0), "Oui", 5,
    ]  # fmt: skip
    assert kinds["B2"] == "dd/mm/yyyy hh:mm" and kinds["M2"] == "number"
    assert [row[0] for row in rows[1:]] == [f"HD-{desk.ids[name]:06d}" for name in ("B", "C", "D", "formula")]
    assert rows[-1][2] == "=1+1"  # kept as typed, as text: never a formula
    [entry] = exports(registry)
    assert entry.summary == "Export XLSX de 4 tickets de l'assistance (du 23/02/2026 au 31/03/2026, groupe BAU)."
    assert entry.changes["format"] == "xlsx" and entry.changes["count"] == 4


def test_an_empty_export_still_has_its_header(app, sign_in, helpdesk):
    sign_in("chef")
    rows = list(csv.reader(io.StringIO(app.get(CSV_EXPORT).body.decode("utf-8-sig")), delimiter=";"))
    assert rows == [HEADER]
    sheet, _ = read_xlsx(app.get(XLSX_EXPORT).body, "Tickets")
    assert sheet == [HEADER]
