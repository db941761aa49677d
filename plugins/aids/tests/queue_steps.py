"""Step definitions of features/aids/file_attente.feature and actions_groupees.feature (French Gherkin).

Imported by test_features_aids.py, whose ``scenarios("aids")`` runs every feature of the folder; the steps
they share with the other features (signing in, « je suis le lien », « le champ … dit ») are that module's.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from cagou_aids.demo import generated, insert_applications
from cagou_aids.interfaces import IBulkActions
from cagou_aids.models import Application, Procedure
from conftest import business_aid_published
from pyramid.registry import Registry
from pytest_bdd import given, parsers, then, when

from cagou.kit import AGENT, IAccounts, act_as, transaction_scope

BUSINESS = "Aide aux entreprises"
COLLEAGUE = "collegue"


def business_procedure(request: Any) -> Procedure:
    procedure = request.db.scalar(sa.select(Procedure).where(Procedure.receipt_prefix == "AIDE"))
    assert procedure is not None
    return procedure


@given(parsers.parse("l'aide aux entreprises a reçu {count:d} demandes"))
def business_applications(registry: Registry, count: int) -> None:
    """The business aid published, and ``count`` applications of the demonstration's kind (AIDE-2020-000001…)."""
    business_aid_published(registry)
    with transaction_scope(registry) as request:
        insert_applications(request, business_procedure(request), list(generated("business_aid", count)))


def receipts_from(first: int, last: int) -> list[str]:
    return [f"AIDE-2020-{number:06d}" for number in range(first, last + 1)]


def taken(registry: Registry, login_name: str, codes: list[str], first: int, last: int) -> None:
    """``login_name`` takes the transitions ``codes`` on the applications ``first`` to ``last``, as a bulk action."""
    with transaction_scope(registry) as request:
        act_as(request, request.find_service(IAccounts).by_login(login_name))
        procedure = business_procedure(request)
        ids = list(
            request.db.scalars(sa.select(Application.id).where(Application.receipt.in_(receipts_from(first, last))))
        )
        for code in codes:
            inputs = {"motivation": "Éligible.", "montant": "300 000"}
            report = request.find_service(IBulkActions).run(procedure, f"transition:{code}", ids, inputs)
            assert not report.refused, report.refused


@given(parsers.parse("j'ai proposé les demandes {first:d} à {last:d}"))
def proposed_by_me(registry: Registry, first: int, last: int) -> None:
    taken(registry, "instructeur", ["instruire", "proposer"], first, last)


@given(parsers.parse("j'ai pris en instruction les demandes {first:d} à {last:d}"))
def instructed_by_me(registry: Registry, first: int, last: int) -> None:
    taken(registry, "instructeur", ["instruire"], first, last)


@given(parsers.parse("un collègue a proposé les demandes {first:d} à {last:d}"))
def proposed_by_a_colleague(registry: Registry, first: int, last: int) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.create(COLLEAGUE, "Hugo Collègue", AGENT, password="lagon-vanille-tricot-2026"),
                       "aids:instructor")  # fmt: skip
    taken(registry, COLLEAGUE, ["instruire", "proposer"], first, last)


@given("j'ouvre la file de l'aide aux entreprises")
@when("j'ouvre la file de l'aide aux entreprises")
def open_queue(browser: Any) -> None:
    browser.page = browser.app.get("/intranet/demarches/").click(description=BUSINESS)


def queue_path(registry: Registry) -> str:
    with transaction_scope(registry) as request:
        return f"/intranet/demarches/{business_procedure(request).id}/demandes"


@when(parsers.parse('j\'ouvre la file avec "{query}"'))
def open_queue_with(browser: Any, registry: Registry, query: str) -> None:
    browser.page = browser.app.get(f"{queue_path(registry)}?{query}", expect_errors=True)


def control_for(page: Any, label: str, suffix: str = "") -> str:
    """The name of the filter form's control whose label is ``label`` (``min``/``max`` for a range's ends)."""
    form = page.html.find(id="filtres-demandes")
    found = next((tag for tag in form.find_all(["label", "legend"]) if tag.text.strip().startswith(label)), None)
    assert found is not None, f"no control labelled {label!r}"
    if found.name == "legend":
        control = found.parent.find("input", attrs={"name": lambda name: name and name.endswith(f".{suffix}")})
    else:
        control = form.find(id=found["for"])
    return str(control["name"])


def filter_form(browser: Any) -> Any:
    if getattr(browser, "filters", None) is None:
        browser.filters = browser.current.forms["filtres-demandes"]
    return browser.filters


@when(parsers.re(r'je choisis "(?P<value>[^"]*)" pour "(?P<label>[^"]*)"(?P<end> au moins| au plus)?$'))
def choose(browser: Any, value: str, label: str, end: str | None) -> None:
    suffix = {" au moins": "min", " au plus": "max"}.get(end or "", "")
    form = filter_form(browser)
    name = control_for(browser.current, label, suffix)
    field = form[name]
    if getattr(field, "options", None):  # a list: its option by its label, else by its value
        value = next((option[0] for option in field.options if option[2] == value), value)
    form[name] = value


@when(parsers.parse('j\'affiche la colonne "{label}"'))
def show_column(browser: Any, label: str) -> None:
    form = filter_form(browser)
    box = browser.current.html.find(
        "label", string=label, attrs={"for": lambda key: key and key.startswith("colonne-")}
    )
    form.get("col", index=[f.id for f in form.fields["col"]].index(box["for"])).checked = True


@when("je filtre")
def apply_filters(browser: Any) -> None:
    browser.page, browser.filters = filter_form(browser).submit(), None


def column(browser: Any, label: str) -> list[str]:
    header = [cell.text for cell in browser.current.html.select("#demandes thead th")]
    index = header.index(label)
    return [row.select("td")[index].text for row in browser.current.html.select("#demandes tbody tr")]


@then(parsers.parse('chaque demande listée a "{value}" dans la colonne "{label}"'))
def every_row_has(browser: Any, value: str, label: str) -> None:
    cells = column(browser, label)
    assert cells and set(cells) == {value}


@then(parsers.parse('chaque demande listée a un montant d\'au moins {amount} F CFP dans la colonne "{label}"'))
def every_amount_at_least(browser: Any, amount: str, label: str) -> None:
    least = int(amount.replace(" ", ""))
    for text in column(browser, label):
        assert text.endswith("\u00a0F\u00a0CFP") and int(text[: -len(" F CFP")].replace("\u00a0", "")) >= least


@then("la liste dit combien de demandes correspondent")
def says_how_many(browser: Any) -> None:
    words = browser.current.html.find(id="resultats").text.split()
    assert words[0].isdigit() and int(words[0]) >= len(browser.current.html.select("#demandes tbody tr"))


def listed(browser: Any) -> list[str]:
    return [link.text for link in browser.current.html.select("#demandes td:first-child a")]


@when(parsers.parse('je cherche le nom du demandeur de la demande "{receipt}"'))
def search_name(browser: Any, registry: Registry, receipt: str) -> None:
    with transaction_scope(registry) as request:
        answers = request.db.scalar(sa.select(Application.answers).where(Application.receipt == receipt))
    browser.searched = str(answers["raison_sociale"])
    form = browser.current.forms["filtres-demandes"]
    form["q"] = browser.searched
    browser.page = form.submit()


@then(parsers.parse('la demande "{receipt}" est listée'))
def is_listed(browser: Any, receipt: str) -> None:
    assert receipt in listed(browser)


@then("chaque demande listée est au nom cherché")
def every_name(browser: Any) -> None:
    names = [row.select("td")[1].text for row in browser.current.html.select("#demandes tbody tr")]
    assert names and all(name.lower() == browser.searched.lower() for name in names), (browser.searched, names)


@then(parsers.parse('la première demande listée est "{receipt}"'))
def first_listed(browser: Any, receipt: str) -> None:
    assert listed(browser)[0] == receipt


@when(parsers.parse('j\'enregistre la vue "{name}"'))
def save_view(browser: Any, name: str) -> None:
    form = browser.current.forms["formulaire-vue"]
    form["nom"] = name
    browser.page = form.submit().follow()


@then(parsers.parse('la vue "{name}" est dans mes vues'))
def view_listed(browser: Any, name: str) -> None:
    assert [link.text for link in browser.current.html.select("#vues-enregistrees a")] == [name]


@when(parsers.parse('j\'ouvre ma vue "{name}"'))
def open_view(browser: Any, name: str) -> None:
    link = browser.current.html.find("a", string=name)
    browser.page = browser.app.get(link["href"])


@when(parsers.parse('je supprime ma vue "{name}"'))
def delete_view(browser: Any, name: str) -> None:
    form = next(form for form in browser.current.forms.values() if form.action.endswith("/supprimer"))
    browser.page = form.submit().follow()


@then("je n'ai plus de vue enregistrée")
def no_view(browser: Any) -> None:
    assert browser.current.html.find(id="vues-enregistrees") is None


@then(parsers.parse('la page répond {status:d} avec "{text}"'))
def answers_with(browser: Any, status: int, text: str) -> None:
    assert browser.current.status_int == status and text in browser.current.html.find(id="erreur-adresse").text


# actions_groupees.feature


def bulk_form(browser: Any, registry: Registry, first: int, last: int, label: str) -> Any:
    """The oldest applications' page, ``first`` to ``last`` ticked, the action ``label`` chosen."""
    page = browser.app.get(queue_path(registry), {"tri": "ancien"})
    form = page.forms["actions-groupees"]
    wanted = set(receipts_from(first, last))
    rows = page.html.select("#demandes tbody tr")
    ids = {row.select_one("input[name=dossier]")["value"] for row in rows if row.select_one("td a").text in wanted}
    for box in form.fields["dossier"]:
        box.checked = box._value in ids  # webtest keeps a checkbox's value there
    form["action"] = next(option[0] for option in form["action"].options if option[2].startswith(label))
    return form


@when(parsers.re(r'je coche les demandes (?P<first>\d+) à (?P<last>\d+) et je fais "(?P<label>[^"]*)"'
                 r'( en motivant "(?P<motivation>[^"]*)")?$'))  # fmt: skip
def tick_and_act(browser: Any, registry: Registry, first: str, last: str, label: str, motivation: str | None) -> None:
    form = bulk_form(browser, registry, int(first), int(last), label)
    form["motivation"] = motivation or ""
    browser.page = form.submit(expect_errors=True)


@then(parsers.parse('le bilan dit "{text}"'))
def report_says(browser: Any, text: str) -> None:
    assert browser.current.html.find(id="bilan").text == text


def report_rows(browser: Any, table: str) -> dict[str, str]:
    rows = browser.current.html.select(f"#{table} tbody tr")
    return {row.select("td")[0].text: row.select("td")[1].text for row in rows}


@then(parsers.parse('la demande "{receipt}" est refusée parce que "{reason}"'))
def refused_because(browser: Any, receipt: str, reason: str) -> None:
    assert reason in report_rows(browser, "refuses")[receipt]


@then(parsers.parse('la demande "{receipt}" est traitée : "{text}"'))
def done_with(browser: Any, receipt: str, text: str) -> None:
    assert report_rows(browser, "faits")[receipt] == text


@when(parsers.parse('je sélectionne tous les résultats du filtre et je demande "{label}" avec "{text}"'))
def ask_every_result(browser: Any, label: str, text: str) -> None:
    browser.total = int(browser.current.html.find(id="resultats").text.split()[0])
    form = browser.current.forms["actions-groupees"]
    form["tous"] = True
    form["action"] = "complements"
    box = browser.current.html.find(
        "label", string=label, attrs={"for": lambda key: key and key.startswith("champ-champs-")}
    )
    form.get("champs", index=[f.id for f in form.fields["champs"]].index(box["for"])).checked = True
    form["demande"] = text
    browser.page = form.submit()


@then("le bilan dit que tous les résultats du filtre sont traités")
def every_result_done(browser: Any) -> None:
    assert browser.current.html.find(id="bilan").text == f"{browser.total} dossier(s) traité(s), 0 refusé(s)."


@then(parsers.parse('chaque demande de "{commune}" attend ses compléments'))
def every_one_waits(registry: Registry, commune: str) -> None:
    with transaction_scope(registry) as request:
        rows = request.db.execute(sa.select(Application.answers, Application.state)).all()
    assert {state for answers, state in rows if answers["commune"] == commune} == {"complement"}
    assert {state for answers, state in rows if answers["commune"] != commune} == {"deposee"}
