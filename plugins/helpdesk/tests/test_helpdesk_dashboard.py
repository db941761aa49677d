"""The helpdesk dashboard in a real browser, on the demonstration's six weeks of tickets.

The clock is frozen on a Monday morning in Nouméa before the demonstration
loads. Its six weeks are calendar weeks ending with the current one: two
ordinary ones, the first week of lockdown, the slow return, then week 14,
which has just begun; that is weeks 9 to 14 of 2026, the peak in week 11.
The demonstration's manager is made a helpdesk administrator, so that she
sees both groups (the VPN tickets go to the infrastructure bureau).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect
from pyramid.registry import Registry

from cagou.clock import FrozenClock
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import freeze_clock
from cagou.testing_browser import OpenPage, assert_accessible, sign_in

pytestmark = pytest.mark.browser

DASHBOARD = "/intranet/assistance/tableau-de-bord/"
MANAGER = ("responsable", "demo-responsable-2026")
#: Monday 30 March 2026, 6:00 in Nouméa (UTC+11): week 14 has just begun.
MONDAY = datetime.datetime(2026, 3, 29, 19, 0, tzinfo=datetime.UTC)


@pytest.fixture
def demonstration_instant() -> datetime.datetime:
    """The demonstration is loaded at this moment, like everything else in these tests."""
    return MONDAY


@pytest.fixture(autouse=True)
def monday(registry: Registry) -> FrozenClock:
    """Set before anything else (autouse), so that the demonstration loads at this moment."""
    return freeze_clock(registry, MONDAY)


@pytest.fixture
def manager(monday: FrozenClock, live_server: str, registry: Registry) -> tuple[str, str]:
    """The demonstration's manager, who also administers the helpdesk (she sees every group)."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login(MANAGER[0]), "helpdesk:admin")
    return MANAGER


@pytest.fixture
def browser_errors(open_page: OpenPage) -> Iterator[tuple[Page, list[str]]]:
    """A page with the real Content-Security-Policy, and the errors it logs (a CSP violation is one)."""
    page = open_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _keep_error(errors, message))
    page.on("response", lambda response: _keep_failure(errors, response))
    yield page, errors


def _keep_error(errors: list[str], message: ConsoleMessage) -> None:
    # Chromium asks for /favicon.ico on its own and logs its 404; the page's own requests are checked below.
    if message.type == "error" and "404" not in message.text:
        errors.append(message.text)


def _keep_failure(errors: list[str], response: Response) -> None:
    """Any request of the page that fails: the stylesheet, htmx, a swapped fragment."""
    if response.status >= 400:
        errors.append(f"{response.status} {response.url}")


def bar_height(page: Page, selector: str) -> list[float]:
    return [
        float(value)
        for value in page.locator(selector).evaluate_all("rects => rects.map(r => r.getAttribute('height'))")
    ]


def test_the_lockdown_week_stands_out(browser_errors: tuple[Page, list[str]], manager: tuple[str, str]) -> None:
    page, errors = browser_errors
    sign_in(page, *manager)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Tableau de bord de l'assistance"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord de l'assistance")
    callout = page.locator("#pic-resume")
    expect(callout).to_contain_text("S11 (semaine du 09/03/2026)")
    text = callout.inner_text()
    count, ratio = re.search(r": (\d+) tickets ouverts, soit ×\s(\d+,\d) une semaine habituelle", text).groups()
    # About 450 tickets against about 110 in the two ordinary weeks before it.
    assert 400 <= int(count) <= 460
    assert 3.5 <= float(ratio.replace(",", ".")) <= 4.5
    chart = page.get_by_role("img", name=re.compile(r"^Graphique en barres des tickets ouverts par semaine\."))
    expect(chart).to_be_visible()
    [chosen] = bar_height(page, "#pic-resume ~ figure svg.chart rect.serie-choisie")
    counted = bar_height(page, "#pic-resume ~ figure svg.chart rect.serie-autre")
    assert len(counted) == 2 and all(chosen > 3.5 * height for height in counted)
    # The same figures, in a table behind a disclosure, opened with the keyboard.
    summary = page.get_by_text("Les chiffres du graphique : tickets ouverts par semaine")
    summary.focus()
    page.keyboard.press("Enter")
    chosen_row = page.locator("tr.chosen")
    expect(chosen_row).to_be_visible()
    expect(chosen_row).to_contain_text(f"S11 (choisie) 09/03/2026 {count}")
    assert not errors, errors


def test_the_dashboard_is_accessible(open_page: OpenPage, manager: tuple[str, str]) -> None:
    # axe-core is injected as an inline script, which the application's CSP forbids: bypassed for the check only.
    page = open_page(bypass_csp=True)
    sign_in(page, *manager)
    page.goto(DASHBOARD)
    for summary in page.locator("details summary").all():
        summary.click()
    assert_accessible(page)
    response = page.goto(DASHBOARD + "?du=31/02/2026&priorite=9")
    assert response is not None and response.status == 400
    expect(page.get_by_label("Du", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#erreur-priorite")).to_have_text("Choisissez une priorité de la liste.")
    assert_accessible(page)


def test_filters_update_the_charts_with_htmx(browser_errors: tuple[Page, list[str]], manager: tuple[str, str]) -> None:
    page, errors = browser_errors
    sign_in(page, *manager)
    page.goto(DASHBOARD)
    everything = int(page.locator("#chiffre-ouverts").inner_text().replace("\u202f", ""))
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Groupe", exact=True).select_option(label="Bureau des infrastructures")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(r"groupe=INFRA"))
    expect(page.locator("#tableau-stock tbody tr")).to_have_count(1)
    infrastructure = int(page.locator("#chiffre-ouverts").inner_text().replace("\u202f", ""))
    assert 0 < infrastructure < everything
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not a new page
    # A bad value comes back next to its field, in place too.
    page.get_by_label("Semaine à comparer").evaluate("input => { input.type = 'text'; input.value = 'semaine 99'; }")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#erreur-semaine")).to_contain_text("Saisissez une semaine au format AAAA-Wnn")
    assert page.evaluate("window.notReloaded") is True
    assert not errors, errors


def test_filters_and_exports_work_without_javascript(open_page: OpenPage, manager: tuple[str, str]) -> None:
    page = open_page(java_script_enabled=False, accept_downloads=True)
    sign_in(page, *manager)
    page.goto(DASHBOARD)
    page.get_by_label("Catégorie (début du chemin)").fill("Réseau")
    page.get_by_label("Priorité", exact=True).select_option("1")
    with page.expect_navigation():
        page.get_by_role("button", name="Afficher").click()
    assert "categorie=R%C3%A9seau" in page.url and "priorite=1" in page.url
    expect(page.get_by_label("Catégorie (début du chemin)")).to_have_value("Réseau")
    opened = int(page.locator("#chiffre-ouverts").inner_text().replace("\u202f", ""))
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter ces tickets en CSV (Excel)").click()
    assert re.fullmatch(r"tickets-assistance-20260330-0600\.csv", download.value.suggested_filename)
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Référence", "Ouvert le (heure de Nouméa)", "Titre"]
    assert len(rows) - 1 == opened
    assert {row[3].split(" > ")[0] for row in rows[1:]} == {"Réseau"}
    assert {row[7] for row in rows[1:]} == {"P1 — critique"}
