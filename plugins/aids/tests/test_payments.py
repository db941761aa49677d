"""The payment of a signed act: its file for the payer, and the payer's return checked whole before anything changes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IPayments
from cagou_aids.models import Act
from pyramid.registry import Registry
from test_acts import FIRST, SECOND, create_act, on_act, validated
from test_acts_pages import as_agent
from test_workflow_pages import business_id
from test_workflows import agents, state_of

from cagou.kit import IAccounts, Invalid, Refused, act_as, transaction_scope
from cagou.testing import delivered_mail
from cagou.testing_checks import read_xlsx


@pytest.fixture
def people(registry: Registry, demonstration: None) -> dict[str, int]:
    found = agents(registry)
    validated(registry, found, FIRST, "300000")
    validated(registry, found, SECOND, "200000")
    return found


def signed_act(registry: Registry, people: dict[str, int]) -> int:
    act_id = create_act(registry, people["lea"], FIRST, SECOND)
    on_act(registry, people["sofia"], act_id, "sign")
    return act_id


def on_payments(registry: Registry, who: int, act_id: int, action: str, *arguments: Any) -> Any:
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_id(who))
        payments = request.find_service(IPayments)
        result = getattr(payments, action)(request.db.get(Act, act_id), *arguments)
        return list(result) if action == "payment_rows" else result


def test_a_signed_act_goes_into_payment_and_its_file_lists_the_bank_details(
    registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    act_id = create_act(registry, people["lea"], FIRST, SECOND)
    with pytest.raises(Refused) as unsigned:
        on_payments(registry, people["lea"], act_id, "order")
    assert unsigned.value.status == 409
    on_act(registry, people["sofia"], act_id, "sign")
    assert on_payments(registry, people["lea"], act_id, "order") == 2
    assert (state_of(registry, FIRST), state_of(registry, SECOND)) == ("mise_paiement", "mise_paiement")
    with pytest.raises(Refused):  # nothing left to put into payment
        on_payments(registry, people["lea"], act_id, "order")
    rows = on_payments(registry, people["lea"], act_id, "payment_rows")
    assert [row[3] for row in rows] == [300_000, 200_000] and all(row[2] for row in rows)  # the IBAN
    assert rows[0][4] == FIRST and rows[0][5].endswith("-0001")
    with transaction_scope(registry) as request:
        read = request.db.scalar(sa.text("SELECT count(*) FROM audit_entry WHERE action = 'aids:act:payment_file'"))
        assert read == 1


def test_the_return_file_is_refused_whole_then_applied(registry: Registry, people: dict[str, int]) -> None:
    act_id = signed_act(registry, people)
    on_payments(registry, people["lea"], act_id, "order")
    wrong = (f"numero;montant;statut;motif\nAIDE-2020-999999;1;payé;\n{FIRST};300 001;payé;\n{SECOND};200000;perdu;\n"
             ).encode()  # fmt: skip
    with pytest.raises(Invalid) as refused:
        on_payments(registry, people["lea"], act_id, "import_return", wrong)
    message = refused.value.errors["fichier"]
    for expected in ("ligne 2 : la demande « AIDE-2020-999999 » n'est pas en paiement", "ligne 3 : montant",
                     "ligne 4 : statut « perdu » inconnu"):  # fmt: skip
        assert expected in message
    assert state_of(registry, FIRST) == "mise_paiement"
    with pytest.raises(Invalid):
        on_payments(registry, people["lea"], act_id, "import_return", b"n;importe;quoi\n")
    good = f"numero;montant;statut;motif\n{FIRST};300 000;payé;\n{SECOND};200000;rejeté;Compte clos\n".encode()
    assert on_payments(registry, people["lea"], act_id, "import_return", good) == (1, 1)
    assert (state_of(registry, FIRST), state_of(registry, SECOND)) == ("payee", "acte_signe")
    subjects = [mail["Subject"] for mail in delivered_mail(registry)]
    assert f"Votre aide est payée : {FIRST}" in subjects
    assert f"Corrigez vos coordonnées bancaires : {SECOND}" in subjects
    assert on_payments(registry, people["lea"], act_id, "order") == 1  # the rejected one, paid again later


def test_the_payment_files_and_the_return_from_the_act_page(
    app: webtest.TestApp, registry: Registry, people: dict[str, int]
) -> None:  # fmt: skip
    act_id = signed_act(registry, people)
    procedure = business_id(registry)
    as_agent(app, "lea")
    page = app.get(f"/intranet/demarches/{procedure}/arretes/{act_id}")
    page = page.forms["payer"].submit(status=303).follow()
    csv_file = app.get(f"/intranet/demarches/{procedure}/arretes/{act_id}/paiement.csv")
    assert FIRST in csv_file.text and "300000" in csv_file.text
    xlsx = app.get(f"/intranet/demarches/{procedure}/arretes/{act_id}/paiement.xlsx")
    rows, _ = read_xlsx(xlsx.body, "Paiement")
    assert rows[0][:4] == ["Bénéficiaire", "RIDET", "IBAN", "Montant (F CFP)"] and rows[1][3] == 300_000
    form = page.forms["retour"]
    form["fichier"] = webtest.Upload("retour.csv", f"numero;montant;statut\n{FIRST};1;payé\n".encode())
    refused = form.submit(status=400)
    assert "l'arrêté attribue" in refused.html.find(id="erreur-fichier").text
    form = refused.forms["retour"]
    form["fichier"] = webtest.Upload("retour.csv", f"numero;montant;statut\n{FIRST};300000;payé\n".encode())
    form.submit(status=303)
    assert state_of(registry, FIRST) == "payee"
