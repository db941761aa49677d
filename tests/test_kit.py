"""The module kit: what modules import from the core works as docs/plugins.md says."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

import cagou.kit as kit
from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.demo import load_demo
from cagou.kit import (
    AGENT,
    ApiError,
    FormErrors,
    IAccounts,
    Invalid,
    NewAccount,
    Refused,
    account_names,
    check_text,
    csv_cell,
    read_period,
    refusals,
    xlsx_file,
)
from cagou_sample.models import SampleEvent

DOCS = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text(encoding="utf-8")


def test_every_name_of_the_kit_is_documented():
    missing = [name for name in kit.__all__ if f"`{name}" not in DOCS]
    assert not missing, f"docs/plugins.md does not document {missing}"


def test_the_kit_exports_what_it_lists():
    for name in kit.__all__:
        assert getattr(kit, name) is not None


@pytest.fixture
def registry(registry):
    """The demonstration's accounts (``agent``, ``citoyen``…) and directorates."""
    with transaction_scope(registry) as request:
        load_demo(request)
    return registry


def new_people() -> list[NewAccount]:
    return [
        NewAccount("lot.un", "Lot Un", AGENT, "lot.un@province-sud.nc", "DEFE"),
        NewAccount("Lot.Deux", "Lot Deux", AGENT, None, "NO-SUCH-DIRECTORATE"),
    ]


def test_create_many_creates_the_free_logins_in_one_audit_entry_and_tells_every_agent(registry):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        ids = accounts.create_many([*new_people(), NewAccount("agent", "Déjà là", AGENT)])
        assert set(ids) == {"lot.un", "lot.deux", "agent"}
        first = accounts.by_login("lot.un")
        assert first.directorate.code == "DEFE"
        assert accounts.by_login("lot.deux").directorate is None
        assert accounts.by_login("agent").display_name != "Déjà là"
    with transaction_scope(registry) as request:
        again = request.find_service(IAccounts).create_many(new_people())
        assert again == {login: ids[login] for login in ("lot.un", "lot.deux")}
        entries = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "core:account:create-many"))
        ours = [entry for entry in entries if "lot.un" in entry.changes["after"]["logins"]]
        assert [(entry.summary, entry.changes["after"]["logins"]) for entry in ours] == [
            ("2 comptes créés en une fois.", ["lot.deux", "lot.un"])
        ]
        told = request.db.scalars(sa.select(SampleEvent.detail).where(SampleEvent.kind == "created")).all()
        assert {"lot.un", "lot.deux"} <= set(told)


def test_create_many_refuses_an_unknown_kind(registry):
    with transaction_scope(registry) as request, pytest.raises(ValueError, match="inconnu"):
        request.find_service(IAccounts).create_many([NewAccount("x", "X", "robot")])


def test_grant_many_grants_only_what_is_not_held(registry):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        agent = accounts.by_login("agent")
        assert accounts.grant_many([(agent.id, "sample:editor"), (agent.id, "sample:editor")]) == 1
        assert accounts.grant_many([(agent.id, "sample:editor")]) == 0
        assert "sample:editor" in accounts.roles_of(agent)
        entries = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "core:account:grant-many"))
        ours = [entry for entry in entries if [agent.id, "sample:editor"] in entry.changes["after"]["grants"]]
        assert [entry.summary for entry in ours] == ["1 rôle accordé en une fois."]


def test_the_lookups_modules_use_instead_of_reading_the_tables(registry):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        agent = accounts.by_login("agent")
        assert accounts.find_agent("  AGENT ") is agent
        assert accounts.find_agent(agent.email.upper()) is agent
        assert accounts.find_agent("citoyen") is None  # not an agent
        assert accounts.staff_by_email(agent.email) == [agent]
        assert accounts.staff_by_email("personne@exemple.nc") == []
        accounts.grant(agent, "sample:editor")
        assert agent in accounts.holders_of(["sample:editor"])
        accounts.deactivate(agent)
        assert agent not in accounts.holders_of(["sample:editor"])
        assert accounts.find_agent("agent") is None
        assert accounts.directorate("DEFE").code == "DEFE"
        assert accounts.directorate("NOPE") is None
        assert accounts.ids_of(["Agent", "nobody"]) == {"agent": agent.id}
        names = account_names("someone")
        row = request.db.execute(sa.select(names.c.login, names.c.display_name).where(names.c.id == agent.id)).one()
        assert row == ("agent", agent.display_name)


def test_check_text_and_read_period_put_their_message_next_to_the_field():
    errors = FormErrors()
    assert check_text(errors, "title", "  Imprimante  ", "Le titre", 20) == "Imprimante"
    check_text(errors, "body", "   ", "La description", 20)
    check_text(errors, "name", "x" * 1001, "Le nom", 1000)
    assert errors == {
        "body": "La description est obligatoire.",
        "name": "Le nom fait 1 000 caractères au plus (vous en avez saisi 1 001).",
    }
    errors = FormErrors()
    day = datetime.date
    assert read_period(errors, {"du": "23/03/2026", "au": "2026-03-30"}) == (day(2026, 3, 23), day(2026, 3, 30))
    assert read_period(errors, {}, defaults=(day(2026, 1, 1), day(2026, 1, 2))) == (day(2026, 1, 1), day(2026, 1, 2))
    assert not errors
    read_period(errors, {"du": "31/02/2026"})
    assert errors == {"du": "Saisissez une date valide au format JJ/MM/AAAA (par exemple 23/03/2026)."}
    errors = FormErrors()
    read_period(errors, {"du": "2026-03-30", "au": "2026-03-23"})
    assert errors == {"au": "La date de fin (23/03/2026) précède la date de début (30/03/2026) : inversez-les."}
    errors = FormErrors()
    read_period(errors, {"du": "2026-01-01", "au": "2026-01-10"}, max_days=7, limit_label="une semaine")
    assert errors == {"au": "La période est limitée à 7 jours (une semaine) : raccourcissez-la."}


def test_refusals_become_the_api_errors():
    with pytest.raises(ApiError) as invalid, refusals():
        raise Invalid(FormErrors(title="Le titre est obligatoire."))
    assert (invalid.value.status, invalid.value.errors) == (400, {"title": "Le titre est obligatoire."})
    with pytest.raises(ApiError) as refused, refusals():
        raise Refused("Ce ticket est clos.", 409)
    assert (refused.value.status, refused.value.message, refused.value.errors) == (409, "Ce ticket est clos.", {})


FORMULA = '=HYPERLINK("http://pirate.example","x")'


def test_csv_cells_are_french_and_never_formulas():
    assert csv_cell(datetime.datetime(2026, 3, 23, 8, 5)) == "23/03/2026 08:05"
    assert csv_cell(datetime.date(2026, 3, 23)) == "23/03/2026"
    assert csv_cell(FORMULA) == "'" + FORMULA
    assert csv_cell(None) == ""
    assert csv_cell(12) == "12"


def test_an_xlsx_file_writes_formulas_as_text_and_dates_as_dates():
    workbook = xlsx_file(
        "Feuille",
        ["Titre", "Quand", "Jour", "Nombre"],
        [
            [
                '=HYPERLINK("http://pirate.example","x")',
                datetime.datetime(2026, 3, 23, 8, 5),
                datetime.date(2026, 3, 24),
                3,
            ]
        ],
        widths=[30, 16, 12, 8],
    )
    with zipfile.ZipFile(io.BytesIO(workbook.read())) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = archive.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in archive.namelist() else ""
    assert "<f>" not in sheet  # no formula anywhere
    assert "HYPERLINK" in sheet + strings  # written, as text
    assert "<v>3</v>" in sheet
    assert "46104" in sheet  # 23 March 2026 as a spreadsheet date serial
