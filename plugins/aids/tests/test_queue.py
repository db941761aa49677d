"""The instructors' queue: full-text search, filters on answers, columns, keyset pages, saved views, bad addresses."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, Procedure
from pyramid.registry import Registry

from cagou.kit import AGENT, IAccounts, transaction_scope
from cagou.testing import is_postgresql, login

PASSWORD = "lagon-vanille-tricot-2026"


def account(registry: Registry, name: str, roles: tuple[str, ...] = ("aids:instructor",)) -> None:
    """An agent ``name`` holding ``roles`` in the Service des aides aux entreprises."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        created = accounts.create(name, name.title(), AGENT, password=PASSWORD)
        for role in roles:
            accounts.grant(created, role, accounts.directorate("DEFE-SAE"))


def agent(app: webtest.TestApp, registry: Registry, name: str, roles: tuple[str, ...] = ("aids:instructor",)) -> None:
    """:func:`account`, signed in on ``app``."""
    account(registry, name, roles)
    login(app, name, PASSWORD)


@pytest.fixture
def instructor(app: webtest.TestApp, registry: Registry, demonstration: None) -> webtest.TestApp:
    agent(app, registry, "lea")
    return app


def business(registry: Registry) -> tuple[int, list[tuple[str, str, dict[str, Any]]]]:
    """The business aid's id, and its applications' (receipt, state, answers)."""
    with transaction_scope(registry) as request:
        procedure = request.db.scalar(sa.select(Procedure.id).where(Procedure.receipt_prefix == "AIDE"))
        rows = request.db.execute(sa.select(Application.receipt, Application.state, Application.answers)
                                  .where(Application.procedure_id == procedure)).all()  # fmt: skip
    return procedure, [tuple(row) for row in rows]  # type: ignore[misc]


def receipts(page: webtest.TestResponse) -> list[str]:
    return [link.text for link in page.html.select("#demandes td:first-child a")]


def total(page: webtest.TestResponse) -> int:
    """The number of results the page says (past 1,000: "Plus de 1 000", read as 1,001)."""
    text = page.html.find(id="resultats").text
    return 1001 if text.startswith("Plus de") else int(text.split()[0])


def test_the_search_finds_the_applicant_s_name_and_answers(instructor: webtest.TestApp, registry: Registry) -> None:
    procedure, rows = business(registry)
    # Two words of the applicant's name (« Boulangerie Wamytan »), neither a word of another answer.
    name = next(
        answers["raison_sociale"]
        for _, _, answers in rows
        if answers["raison_sociale"].split()[0] in ("Boulangerie", "Garage", "Snack", "Boutique")
    )
    page = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"q": name.lower()})
    expected = sorted(receipt for receipt, _, answers in rows if answers["raison_sociale"] == name)
    assert total(page) == len(expected) > 0
    assert set(receipts(page)) <= set(expected)
    by_receipt = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"q": rows[5][0]})
    assert receipts(by_receipt) == [rows[5][0]]
    nothing = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"q": "zygomatique"})
    assert total(nothing) == 0 and "Aucune demande ne correspond." in nothing.text
    if is_postgresql():  # French stemming: the plural finds the singular
        word = name.split()[0]
        plural = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"q": f"{word}s"})
        assert total(plural) == sum(1 for _, _, answers in rows if answers["raison_sociale"].startswith(word))


def test_filters_on_answers_show_the_chosen_columns_as_the_pages_do(
    instructor: webtest.TestApp, registry: Registry
) -> None:  # fmt: skip
    procedure, rows = business(registry)
    query = [("r.commune", "Thio"), ("r.montant_demande.min", "400 000"), ("r.raison_sociale", "garage"),
             ("col", "montant_demande"), ("col", "commune"), ("tri", "ancien")]  # fmt: skip
    page = instructor.get(f"/intranet/demarches/{procedure}/demandes", query)
    expected = sorted(
        receipt
        for receipt, _, answers in rows
        if answers["commune"] == "Thio"
        and answers["montant_demande"] >= 400_000
        and "garage" in answers["raison_sociale"].lower()
    )
    assert total(page) == len(expected) > 0
    assert receipts(page) == expected[:50]  # oldest first: in receipt order
    header = [cell.text for cell in page.html.select("#demandes thead th")]
    assert header[4:6] == ["Montant de l'aide demandée", "Commune du siège"]
    amounts = [row.select("td")[4].text for row in page.html.select("#demandes tbody tr")]
    assert all(amount.endswith("\u00a0F\u00a0CFP") and int(amount[:-6].replace("\u00a0", "")) >= 400_000
               for amount in amounts)  # fmt: skip
    at_most = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"r.salaries.max": "0"})
    assert total(at_most) == sum(1 for _, _, answers in rows if answers["salaries"] == 0)
    sector = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"r.secteur": "Tourisme", "etat": "deposee"})
    assert total(sector) == sum(1 for _, _, answers in rows if answers["secteur"] == "Tourisme")


def test_submission_dates_filter_in_noumea_time(instructor: webtest.TestApp, registry: Registry) -> None:
    procedure, rows = business(registry)
    everything = instructor.get(f"/intranet/demarches/{procedure}/demandes")
    april = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"du": "01/04/2020", "au": "2020-04-30"})
    assert (
        total(everything) == 1001
        and "Plus de 1\u00a0000 demandes correspondent." in everything.html.find(id="resultats").text
    )
    assert 0 < total(april) < len(rows)
    days = [row.select("td")[2].text[:10] for row in april.html.select("#demandes tbody tr")]
    assert all(day.endswith("/04/2020") for day in days)


def test_keyset_pages_go_forward_and_back_in_a_stable_order(instructor: webtest.TestApp, registry: Registry) -> None:
    procedure, _ = business(registry)
    first = instructor.get(f"/intranet/demarches/{procedure}/demandes", {"tri": "ancien"})
    assert receipts(first)[:2] == ["AIDE-2020-000001", "AIDE-2020-000002"] and "Précédent" not in first.text
    second = first.click(description="Suivant")
    assert receipts(second)[0] == "AIDE-2020-000051" and len(receipts(second)) == 50
    third = second.click(description="Suivant")
    back = third.click(description="Précédent")
    assert receipts(back) == receipts(second)
    assert receipts(back.click(description="Précédent")) == receipts(first)
    assert "OFFSET" not in third.request.url


@pytest.mark.parametrize(("query", "message"), [
    ({"r.inconnu": "x"}, "Ce formulaire n'a pas de champ « inconnu »"),
    ({"r.commune": "Atlantide"}, "n'a pas le choix « Atlantide »"),
    ({"etat": "envolee"}, "Cette démarche n'a pas d'état « envolee »"),
    ({"etat": "<script>alert(1)</script>"}, "« <script>alert(1)</script> »"),  # quoted as text, not markup
    ({"du": "31/02/2026"}, "saisissez une date"),
    ({"du": "02/03/2026", "au": "01/03/2026"}, "finit avant de commencer"),
    ({"apres": "hier_1"}, "Lien de page invalide"),
    ({"avant": "2020-01-01T00:00:00+00:00_99999999999999999999"}, "Lien de page invalide"),
    ({"tri": "hasard"}, "Tri inconnu"),
    ({"col": "iban' OR 1=1 --"}, "Colonnes"),
    ({"r.montant_demande.min": "beaucoup"}, "saisissez un nombre entier"),
    ({"r.salaries.max": "9" * 40}, "saisissez un nombre entier"),
    ({"q": "a\x00b"}, "caractère de contrôle"),
    ({"q": "x" * 101}, "100 caractères au plus"),
    ({f"p{n}": "1" for n in range(61)}, "Trop de paramètres"),
])  # fmt: skip
def test_a_bad_address_is_a_400_that_says_why(
    instructor: webtest.TestApp, registry: Registry, query: dict[str, str], message: str
) -> None:  # fmt: skip
    procedure, _ = business(registry)
    page = instructor.get(f"/intranet/demarches/{procedure}/demandes", query, status=400)
    assert message in page.html.find("main").text  # a control character: the core refuses it before the page
    assert "<script>" not in page.text


def test_odd_but_readable_searches_are_answered(instructor: webtest.TestApp, registry: Registry) -> None:
    procedure, _ = business(registry)
    for text in ('"', "'", "%", "_", "\\", "OR", "a & b | !c", "-", '"unterminated', "*", "NEAR(a b)", "é" * 100):
        instructor.get(f"/intranet/demarches/{procedure}/demandes", {"q": text}, status=200)
    instructor.get(f"/intranet/demarches/{procedure}/demandes", {"r.raison_sociale": "100%_"}, status=200)


def test_saved_views_are_links_of_their_agent_only(app: webtest.TestApp, registry: Registry,
                                                   demonstration: None) -> None:  # fmt: skip
    agent(app, registry, "lea")
    procedure, _ = business(registry)
    page = app.get(f"/intranet/demarches/{procedure}/demandes", {"r.commune": "Thio", "col": "commune"})
    form = page.forms["formulaire-vue"]
    form["nom"] = ""
    refused = form.submit(status=400)
    assert "Le nom de la vue est obligatoire." in refused.html.find(id="erreur-nom").text
    form["nom"] = "Thio"
    listed = form.submit().follow()
    link = listed.html.select_one("#vues-enregistrees a")
    assert link.text == "Thio" and link["href"].endswith("?r.commune=Thio&col=commune")
    opened = listed.click(description="Thio", href="col=commune")
    assert [th.text for th in opened.html.select("#demandes thead th")][4] == "Commune du siège"
    app.reset()
    agent(app, registry, "hugo")
    theirs = app.get(f"/intranet/demarches/{procedure}/demandes")
    assert theirs.html.find(id="vues-enregistrees") is None
    view_id = link.parent.form["action"].split("/")[-2] if link.parent.form else None
    assert view_id is not None
    token = theirs.forms["formulaire-vue"]["csrf_token"].value
    app.post(f"/intranet/demarches/{procedure}/vues/{view_id}/supprimer", {"csrf_token": token}, status=404)
    app.reset()
    login(app, "lea", PASSWORD)
    mine = app.get(f"/intranet/demarches/{procedure}/demandes")
    gone = mine.forms[next(key for key in mine.forms if "supprimer" in mine.forms[key].action)].submit().follow()
    assert gone.html.find(id="vues-enregistrees") is None
    with transaction_scope(registry) as request:
        actions = request.db.scalars(sa.text("SELECT action FROM audit_entry WHERE action LIKE 'aids:view:%' "
                                             "ORDER BY id")).all()  # fmt: skip
    assert actions == ["aids:view:save", "aids:view:delete"]
