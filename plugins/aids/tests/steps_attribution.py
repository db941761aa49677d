"""Step definitions of features/aids/attribution.feature, imported by test_features_aids.py (its scenarios)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from cagou_aids.interfaces import IAssignments, IInstructorGroups, IMessages
from cagou_aids.models import APPLICANT, Application, Procedure
from pyramid.registry import Registry
from pytest_bdd import given, parsers, then, when

from cagou.kit import AGENT, IAccounts, act_as, transaction_scope
from cagou.testing import delivered_mail

COLLEAGUE_PASSWORD = "lagon-vanille-tricot-2026"


def first_procedure(request: Any) -> Procedure:
    found: Procedure = request.db.scalar(sa.select(Procedure).order_by(Procedure.id).limit(1))
    return found


def receipt_of(registry: Registry, number: int) -> str:
    with transaction_scope(registry) as request:
        return str(request.db.scalar(sa.select(Application.receipt).order_by(Application.id).offset(number - 1)))


@given(parsers.parse('ses groupes instructeurs sont "{first}" pour la commune "{commune}" et "{default}" par défaut'))
def groups_by_commune(registry: Registry, first: str, commune: str, default: str) -> None:
    with transaction_scope(registry) as request:
        groups = request.find_service(IInstructorGroups)
        procedure = first_procedure(request)
        groups.save(procedure, first, "commune", [commune], [])
        groups.save(procedure, default, "", [], [], is_default=True)


@given(parsers.parse('un collègue "{name}" instruit aussi la démarche'))
def colleague(registry: Registry, name: str) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        account = accounts.create("hugo", name, AGENT, email="hugo@example.nc", password=COLLEAGUE_PASSWORD)
        accounts.grant(account, "aids:instructor")


@given(parsers.parse('"{name}" suit la demande numéro {number:d}'))
def colleague_follows(registry: Registry, name: str, number: int) -> None:
    receipt = receipt_of(registry, number)
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_login("hugo"))
        application = request.db.scalar(sa.select(Application).where(Application.receipt == receipt))
        request.find_service(IAssignments).follow(application)


@given(parsers.parse('le demandeur de la demande numéro {number:d} a écrit "{text}"'))
def applicant_wrote(registry: Registry, number: int, text: str) -> None:
    receipt = receipt_of(registry, number)
    with transaction_scope(registry) as request:
        application = request.db.scalar(sa.select(Application).where(Application.receipt == receipt))
        request.find_service(IMessages).write(application, APPLICANT, text, [], None)


@when(parsers.parse('je clique "{label}"'))
def click_button(browser: Any, label: str) -> None:
    page = browser.current
    tags = page.html.find_all("form")
    pressed = [index for index, tag in enumerate(tags) if tag.find("button", string=label)]
    assert len(pressed) == 1, f"no single button {label!r}"
    answer = page.forms[pressed[0]].submit(expect_errors=True)
    browser.page = answer.follow() if answer.status_int == 303 else answer


@when(parsers.re(r'je transmets la demande à "(?P<name>[^"]*)" avec le message "(?P<text>[^"]*)"'))
def transfer(browser: Any, name: str, text: str) -> None:
    page = browser.current
    form = page.forms["formulaire-transmettre"]
    form.select("collegue", text=name)
    form["message"] = text
    answer = form.submit(expect_errors=True)
    browser.page = answer.follow() if answer.status_int == 303 else answer


@then(parsers.parse('le groupe instructeur affiché est "{name}"'))
def shown_group(browser: Any, name: str) -> None:
    assert browser.current.html.find(id="groupe-instructeur").text.strip() == name


@then(parsers.parse('la demande est attribuée à "{name}"'))
def assigned_to(browser: Any, name: str) -> None:
    assert browser.current.html.find(id="attribuee-a").text.strip() == name


@then(parsers.parse('elle est suivie par "{name}"'))
def followed_by(browser: Any, name: str) -> None:
    assert name in browser.current.html.find(id="suivie-par").text


@then(parsers.parse("« Mes dossiers » liste la demande numéro {number:d}"))
def my_files_list(browser: Any, registry: Registry, number: int) -> None:
    page = browser.app.get("/intranet/demarches/mes-dossiers")
    assert [link.text for link in page.html.select("#mes-dossiers td:first-child a")] == [receipt_of(registry, number)]


@then(parsers.parse('le message à mon collègue dit "{message}"'))
def transfer_error(browser: Any, message: str) -> None:
    page = browser.current
    assert page.status_int == 400
    assert page.html.find(id="erreur-message").text == message
    assert page.html.find(id="champ-message")["aria-describedby"] == "erreur-message"


@then(parsers.parse('"{address}" a reçu un courriel "{start}"'))
def colleague_mailed(registry: Registry, address: str, start: str) -> None:
    assert any(mail["To"] == address and mail["Subject"].startswith(start) for mail in delivered_mail(registry))


@then(parsers.parse('la liste dit "{text}" pour la demande numéro {number:d}'))
def list_badge(browser: Any, registry: Registry, text: str, number: int) -> None:
    row = browser.current.html.select_one("#demandes tbody tr")
    assert receipt_of(registry, number) in row.text and text in " ".join(row.text.split())


@then(parsers.parse("la liste ne dit rien de nouveau pour la demande numéro {number:d}"))
def no_badge(browser: Any, registry: Registry, number: int) -> None:
    row = browser.current.html.select_one("#demandes tbody tr")
    assert receipt_of(registry, number) in row.text and "nouveau" not in row.text
