"""Step definitions of features/aids/enveloppe.feature and actes.feature, imported by test_features_aids.py.

The agents are those of the features' context: "instructeur" (every role it is given, everywhere), and the
validators and the signer created here on first use.
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IActs, IEnvelopes, IWorkflows
from cagou_aids.models import Act, Application, Procedure
from conftest import CITIZEN_PASSWORD
from pyramid.registry import Registry
from pytest_bdd import given, parsers, then, when

from cagou.kit import AGENT, IAccounts, Refused, act_as, transaction_scope
from cagou.testing import login

PASSWORD = "lagon-vanille-tricot-2026"
SPACES = re.compile(r"[\s\u00a0\u202f]+")


def plain(text: str) -> str:
    """Text with every kind of space as one plain space: the pages write thousands with narrow no-break spaces."""
    return SPACES.sub(" ", text).strip()


def numbered(number: int) -> str:
    return f"RAP-{datetime.datetime.now(datetime.UTC).astimezone(ZoneInfo('Pacific/Noumea')).year}-{number:06d}"


def agent(request: Any, login_name: str, role: str) -> Any:
    accounts = request.find_service(IAccounts)
    account = accounts.by_login(login_name)
    if account is None:
        account = accounts.create(login_name, login_name.title(), AGENT, password=PASSWORD)
        accounts.grant(account, role)
    act_as(request, account)
    return account


def first_procedure(request: Any) -> Procedure:
    found: Procedure = request.db.scalar(sa.select(Procedure).order_by(Procedure.id).limit(1))
    return found


def take_as(registry: Registry, login_name: str, role: str, number: int, code: str, amount: str = "") -> None:
    with transaction_scope(registry) as request:
        agent(request, login_name, role)
        application = request.db.scalar(sa.select(Application).where(Application.receipt == numbered(number)))
        request.find_service(IWorkflows).take(application, code, {"motivation": "Éligible.", "montant": amount})


def propose(registry: Registry, number: int, amount: str) -> None:
    take_as(registry, "instructeur", "aids:instructor", number, "instruire")
    take_as(registry, "instructeur", "aids:instructor", number, "proposer", amount)


@given("je suis aussi concepteur")
def also_designer(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("instructeur"), "aids:designer")


@given(parsers.parse('l\'enveloppe de la démarche est de "{amount}"'))
def envelope_is(registry: Registry, amount: str) -> None:
    with transaction_scope(registry) as request:
        request.find_service(IEnvelopes).set(first_procedure(request), int(plain(amount).replace(" ", "")))


@when(parsers.parse('je fixe l\'enveloppe à "{amount}"'))
def set_envelope(browser: Any, amount: str) -> None:
    page = (
        browser.app.get("/intranet/demarches/")
        .click(href=r"/demandes$", index=0)
        .click(description="Enveloppe budgétaire")
    )
    page.forms["formulaire-enveloppe"]["montant"] = amount
    browser.page = page.forms["formulaire-enveloppe"].submit(expect_errors=True).maybe_follow()


@given(parsers.parse('la demande numéro {number:d} est proposée à "{amount}"'))
@when(parsers.parse('la demande numéro {number:d} est proposée à "{amount}"'))
def proposed(registry: Registry, number: int, amount: str) -> None:
    propose(registry, number, amount)


@given(parsers.parse('la demande numéro {number:d} est proposée à "{amount}" puis validée'))
@when(parsers.parse('la demande numéro {number:d} est proposée à "{amount}" puis validée'))
def proposed_and_validated(registry: Registry, number: int, amount: str) -> None:
    propose(registry, number, amount)
    take_as(registry, "valideur", "aids:validator", number, "valider")


@when(parsers.parse("un validateur tente de valider la demande numéro {number:d}"))
def try_to_validate(registry: Registry, browser: Any, number: int) -> None:
    try:
        take_as(registry, "valideur", "aids:validator", number, "valider")
    except Refused as refused:
        browser.refusal = refused
    else:
        browser.refusal = None


@then(parsers.parse('la validation est refusée : "{message}"'))
def validation_refused(browser: Any, message: str) -> None:
    assert browser.refusal is not None and browser.refusal.status == 409
    assert plain(message) in plain(browser.refusal.message)


@then(parsers.parse('l\'enveloppe affiche "{label}" à "{amount}"'))
def envelope_shows(browser: Any, label: str, amount: str) -> None:
    page = browser.app.get(browser.current.request.path)
    rows = {plain(row.th.text): plain(row.td.text) for row in page.html.select("table.figures tbody tr")}
    assert rows[label] == f"{plain(amount)} F CFP"
    browser.page = page


@when("je crée un arrêté avec toutes les demandes validées")
def create_act(browser: Any) -> None:
    page = browser.app.get("/intranet/demarches/").click(href=r"/demandes$", index=0).click(description="Arrêtés")
    browser.page = page.forms["formulaire-arrete"].submit(expect_errors=True).maybe_follow()


@then(parsers.parse('l\'arrêté affiche un total de "{amount}"'))
def act_total(browser: Any, amount: str) -> None:
    assert plain(browser.current.html.find(id="total-arrete").text) == f"{plain(amount)} F CFP"


@when("un signataire signe l'arrêté")
def signer_signs(browser: Any, registry: Registry) -> None:
    with transaction_scope(registry) as request:
        agent(request, "signataire", "aids:signer")
    path = browser.current.request.path
    browser.app.reset()
    login(browser.app, "signataire", PASSWORD)
    browser.page = browser.app.get(path).forms["signer"].submit(expect_errors=True).maybe_follow()


@when("je retire l'arrêté")
def withdraw_act(browser: Any) -> None:
    browser.page = browser.current.forms["retirer"].submit(expect_errors=True).maybe_follow()


@then(parsers.parse('l\'arrêté est "{state}"'))
def act_state(browser: Any, state: str) -> None:
    assert browser.current.html.find(id="etat-arrete").text == state


@when("je télécharge le PDF de l'arrêté")
def download_act(browser: Any) -> None:
    browser.page = browser.app.get(browser.current.request.path + "/arrete.pdf")


@then("l'arrêté signé ne peut plus être retiré")
def signed_act_frozen(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        agent(request, "instructeur", "aids:instructor")
        act = request.db.scalar(sa.select(Act).order_by(Act.id.desc()).limit(1))
        try:
            request.find_service(IActs).withdraw(act)
        except Refused as refused:
            assert refused.status == 409 and "ne change plus" in refused.message
        else:
            raise AssertionError("a signed act was withdrawn")


@when("l'instructeur met l'arrêté en paiement")
def order_payment(browser: Any) -> None:
    path = browser.current.request.path.removesuffix("/arrete.pdf")
    browser.app.reset()
    login(browser.app, "instructeur", CITIZEN_PASSWORD)
    browser.page = browser.app.get(path).forms["payer"].submit(expect_errors=True).maybe_follow()


@when(parsers.parse('le payeur retourne "{status}" pour la demande numéro {number:d} à "{amount}"'))
def payer_returns(browser: Any, status: str, number: int, amount: str) -> None:
    form = browser.current.forms["retour"]
    content = f"numero;montant;statut;motif\n{numbered(number)};{amount};{status};Compte clos\n"
    form["fichier"] = webtest.Upload("retour.csv", content.encode())
    browser.page = form.submit(expect_errors=True).maybe_follow()


@then(parsers.parse('le retour est refusé : "{message}"'))
def return_refused(browser: Any, message: str) -> None:
    assert browser.current.status_int == 400
    assert plain(message) in plain(browser.current.html.find(id="erreur-fichier").text)
