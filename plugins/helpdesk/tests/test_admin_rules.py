"""The helpdesk administrator's rules: the priority matrix and the service levels."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
import webtest
from admin_helpers import (
    ADMIN,
    PASSWORD,
    audit_entries,
    error_of,
    flashed,
    open_ticket,
    text_of,
)

from cagou import configure
from cagou.db import transaction_scope
from cagou.testing import csrf_token, login
from cagou_helpdesk import rules
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import PriorityRule, ServiceLevel, Ticket

# --- Priority matrix ----------------------------------------------------------------------------------------------


def matrix_form(page: webtest.TestResponse, **changes: str) -> dict[str, str]:
    values = {}
    for select in page.html.find("table", class_="priority-matrix").find_all("select"):
        values[select["name"]] = select.find("option", selected=True)["value"]
    values.update({name.replace("_", "-"): value for name, value in changes.items()})
    return values


def test_the_matrix_shows_the_default_priorities(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/priorites")
    table = page.html.find("table", class_="priority-matrix")
    assert table.find("caption").text == "Priorité pour chaque urgence (en ligne) et chaque impact (en colonne)"
    assert matrix_form(page) == {f"cell-{u}-{i}": str(p) for (u, i), p in rules.DEFAULT_MATRIX.items()}
    label = page.html.find("label", attrs={"for": "champ-cell-3-2"})
    assert label.text == "Urgence : Haute, impact : Un service"


def test_saving_the_matrix_sets_the_priority_of_new_tickets(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    before = open_ticket(registry, "Logiciels", urgency="2", impact="1")
    page = app.get(f"{ADMIN}/priorites")
    response = app.post(f"{ADMIN}/priorites", {"csrf_token": csrf_token(page), **matrix_form(page, cell_2_1="2")})
    assert flashed(response.follow()) == [
        "Matrice des priorités enregistrée (1 case modifiée) : elle s'applique aux nouveaux tickets."
    ]
    with transaction_scope(registry) as request:
        stored = {(r.urgency, r.impact): r.priority for r in request.db.scalars(sa.select(PriorityRule))}
        assert stored == {**rules.DEFAULT_MATRIX, (2, 1): 2}
        assert rules.priority_matrix(request)[(2, 1)] == 2
    after = open_ticket(registry, "Logiciels", urgency="2", impact="1")
    with transaction_scope(registry) as request:
        assert request.db.get_one(Ticket, before).priority == 3
        assert request.db.get_one(Ticket, after).priority == 2
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:priority_matrix:update")
    assert summary == "Matrice des priorités modifiée (urgence normale × une personne : P3 → P2)."
    assert object_id is None
    assert changes == {"before": {"2-1": 3}, "after": {"2-1": 2}}
    assert matrix_form(app.get(f"{ADMIN}/priorites"))["cell-2-1"] == "2"


@pytest.mark.parametrize("value", ["0", "5", "", "P1", "-1"])
def test_a_bad_cell_is_refused_next_to_it(app, sign_in, helpdesk, registry, value):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/priorites")
    form = matrix_form(page, cell_1_1="1", cell_3_3=value)
    response = app.post(f"{ADMIN}/priorites", {"csrf_token": csrf_token(page), **form}, status=400)
    assert error_of(response, "cell-3-3") == (
        "Urgence « haute », impact « toute une direction ou plus » : choisissez une priorité de la liste."
    )
    assert response.html.find(id="champ-cell-1-1").find("option", selected=True)["value"] == "1"
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(PriorityRule)) == 0
    assert audit_entries(registry, "helpdesk:priority_matrix:update") == []


def test_saving_an_unchanged_matrix_stores_nothing(app, sign_in, helpdesk, registry):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/priorites")
    response = app.post(f"{ADMIN}/priorites", {"csrf_token": csrf_token(page), **matrix_form(page)})
    assert flashed(response.follow()) == ["Aucune modification."]
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(PriorityRule)) == 0


# --- Service levels -----------------------------------------------------------------------------------------------


def save_levels(app, status: int = 303, **values: str) -> webtest.TestResponse:
    page = app.get(f"{ADMIN}/niveaux-de-service")
    form = {field["name"]: field["value"] for field in page.html.find_all("input", type="number")}
    form.update(values)
    return app.post(f"{ADMIN}/niveaux-de-service", {"csrf_token": csrf_token(page), **form}, status=status)


def test_the_service_levels_page_shows_the_levels_and_the_working_hours_in_force(app, sign_in, helpdesk):
    sign_in("hdadmin")
    page = app.get(f"{ADMIN}/niveaux-de-service")
    facts = text_of(page.html.find(id="horaires-titre").find_parent("section"))
    assert "Horaires de 07:30 à 11:30, de 12:30 à 16:30 (Pacific/Noumea)" in facts
    assert "Jours du lundi au vendredi, sauf les jours fériés de Nouvelle-Calédonie" in facts
    assert "Une journée ouvrée 8 h" in facts
    assert (
        "Ces horaires viennent des réglages de la plateforme, helpdesk.working_hours et helpdesk.working_days" in facts
    )
    assert page.html.find(id="champ-first_response-1-hours")["value"] == "0"
    assert page.html.find(id="champ-first_response-1-minutes")["value"] == "30"
    assert page.html.find(id="champ-resolution-4-hours")["value"] == "40"
    label = page.html.find("label", attrs={"for": "champ-resolution-4-hours"})
    assert " ".join(label.text.split()) == "Heures (Résolution, P4 — basse)"


def test_the_working_hours_shown_are_those_of_the_settings(settings, helpdesk):
    custom = {**settings, "helpdesk.working_hours": "08:00-12:00 13:00-15:30", "helpdesk.working_days": "1-4,6"}
    browser = webtest.TestApp(configure(custom).make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    login(browser, "hdadmin", PASSWORD)
    page = browser.get(f"{ADMIN}/niveaux-de-service")
    facts = text_of(page.html.find(id="horaires-titre").find_parent("section"))
    assert "Horaires de 08:00 à 12:00, de 13:00 à 15:30 (Pacific/Noumea)" in facts
    assert "Jours du lundi au jeudi, samedi, sauf les jours fériés" in facts
    assert "Une journée ouvrée 6 h 30" in facts


def test_saving_a_service_level_applies_to_new_tickets(app, sign_in, helpdesk, registry, clock):
    sign_in("hdadmin")
    page = save_levels(app, **{"first_response-1-hours": "0", "first_response-1-minutes": "45",
                               "resolution-1-hours": "6", "resolution-1-minutes": "15"})  # fmt: skip
    assert flashed(page.follow()) == [
        "Niveaux de service enregistrés (P1 — critique) : ils s'appliquent aux tickets ouverts désormais."
    ]
    with transaction_scope(registry) as request:
        stored = [
            (s.priority, s.first_response_minutes, s.resolution_minutes)
            for s in request.db.scalars(sa.select(ServiceLevel))
        ]
        assert stored == [(1, 45, 375)]
        assert rules.service_levels(request) == {**rules.DEFAULT_SERVICE_LEVELS, 1: (45, 375)}
    ticket_id = open_ticket(registry, "Logiciels", urgency="3", impact="3")
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, ticket_id)
        calendar = helpdesk_settings.get(registry).calendar
        assert ticket.priority == 1
        assert ticket.first_response_due == calendar.add(ticket.created_at, datetime.timedelta(minutes=45))
        assert ticket.resolution_due == calendar.add(ticket.created_at, datetime.timedelta(minutes=375))
    [(summary, object_id, changes)] = audit_entries(registry, "helpdesk:service_level:update")
    assert (
        summary
        == "Niveau de service P1 — critique : première réponse en 45 min, résolution en 6 h 15 (heures ouvrées)."
    )
    assert object_id == "1"
    assert changes == {
        "before": {"first_response_minutes": 30, "resolution_minutes": 240},
        "after": {"first_response_minutes": 45, "resolution_minutes": 375},
    }


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"resolution-2-hours": "0", "resolution-2-minutes": "30"}, "resolution-2",
         "Résolution en P2 — haute : le délai de résolution ne peut pas être plus court que celui de la première "
         "réponse (1 h)."),
        ({"first_response-3-hours": "0", "first_response-3-minutes": "0"}, "first_response-3",
         "Première réponse en P3 — normale : le délai doit être positif (au moins une minute ouvrée)."),
        ({"first_response-3-hours": "", "first_response-3-minutes": ""}, "first_response-3",
         "Première réponse en P3 — normale : le délai doit être positif (au moins une minute ouvrée)."),
        ({"first_response-2-minutes": "60"}, "first_response-2",
         "Première réponse en P2 — haute : les minutes vont de 0 à 59."),
        ({"resolution-4-hours": "-3"}, "resolution-4",
         "Résolution en P4 — basse : écrivez un nombre entier d'heures et de minutes."),
        ({"resolution-4-hours": "2,5"}, "resolution-4",
         "Résolution en P4 — basse : écrivez un nombre entier d'heures et de minutes."),
        ({"resolution-4-hours": "1001"}, "resolution-4", "Résolution en P4 — basse : 1000 heures ouvrées au plus."),
    ],
)  # fmt: skip
def test_a_bad_service_level_is_refused_next_to_its_fields(app, sign_in, helpdesk, registry, values, field, message):
    sign_in("hdadmin")
    page = save_levels(app, status=400, **{"first_response-1-minutes": "20", **values})
    error = page.html.find(id=f"erreur-{field}")
    assert error.text == message
    for part in ("hours", "minutes"):
        control = page.html.find(id=f"champ-{field}-{part}")
        assert control["aria-invalid"] == "true" and control["aria-describedby"] == f"erreur-{field}"
    assert page.html.find(id="champ-first_response-1-minutes")["value"] == "20"  # what was typed stays
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(ServiceLevel)) == 0
    assert audit_entries(registry, "helpdesk:service_level:update") == []
