"""Step definitions of features/audit/*.feature (French Gherkin): the console's log and its integrity."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from audit_tampering import tampering
from pyramid.config import Configurator
from pytest_bdd import given, parsers, scenarios, then, when
from test_audit_chain import rewrite_everything

from cagou.audit.chain import entry_digest
from cagou.audit.checkpoints import generate_key, load_private_key, load_public_key
from cagou.audit.keys import new_nonce
from cagou.audit.models import AuditEntry, AuditSeal
from cagou.audit.purge import checkpoint, purge
from cagou.audit.sealer import seal
from cagou.audit.verify import verify
from cagou.clock import FrozenClock, SystemClock
from cagou.db import transaction_scope
from cagou.identity.policy import act_as
from cagou.interfaces import IAccounts, IAuditLog, IClock
from cagou.testing import csrf_token, login
from cagou_sample.models import SampleNote

scenarios("audit")
# Every scenario here begins with "les données de démonstration": a template's copy, put in place
# before the platform starts (``demonstration`` in cagou.testing) rather than loaded by the step.
pytestmark = pytest.mark.usefixtures("demonstration")

JOURNAL = "/intranet/console/journal/"
PASSWORDS = {"technicien": "demo-technicien-2026", "agent": "demo-agent-2026", "admin": "demo-admin-2026"}


class Story:
    """What the person sees, and what the scenario remembers along the way."""

    def __init__(self, app: webtest.TestApp) -> None:
        self.app = app
        self.page: webtest.TestResponse | None = None
        self.csv_rows: list[list[str]] = []
        self.tampered: int | None = None
        self.rules: dict[str, int] = {}
        self.removed: dict[str, int] = {}
        self.result: Any = None


@pytest.fixture
def story(app) -> Story:
    return Story(app)


def as_person(story: Story, login_name: str) -> webtest.TestApp:
    """Another browser, signed in as ``login_name``."""
    other = webtest.TestApp(story.app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(other, login_name, PASSWORDS[login_name])
    return other


def note_id(registry, title: str) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(SampleNote.id).where(SampleNote.title == title)))


def keys(registry) -> tuple[Path, Path]:
    return Path(registry.settings["cagou.audit.signing_key"]), Path(registry.settings["cagou.audit.checkpoints"])


# -- given --------------------------------------------------------------------------


@given("les données de démonstration")
def demo_data(demonstration):
    """Copied before the scenario starts (``pytestmark`` above): every scenario's background begins with them."""


@given(parsers.parse('"{login_name}" a le rôle "{role}"'))
def has_role(registry, login_name, role):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login(login_name), role)


@given(parsers.parse('"{login_name}" a ajouté la note "{title}"'))
def note_added(story, login_name, title):
    person = as_person(story, login_name)
    token = csrf_token(person.get("/intranet/exemple/"))
    person.post("/intranet/exemple/ajouter", {"csrf_token": token, "title": title}, status=303)


@given(parsers.parse('"{login_name}" a renommé la note "{title}" en "{new_title}"'))
def note_renamed(story, registry, login_name, title, new_title):
    person = as_person(story, login_name)
    token = csrf_token(person.get("/intranet/exemple/"))
    path = f"/intranet/exemple/{note_id(registry, title)}/modifier"
    person.post(path, {"csrf_token": token, "title": new_title}, status=200)


@given(parsers.parse('je suis connecté comme "{name}" avec "{password}"'))
def signed_in(story, name, password):
    story.app.reset()
    story.page = login(story.app, name, password)


@given("le journal est scellé")
def sealed(registry):
    seal(registry)


@given("une entrée a été modifiée directement dans la base")
def entry_modified(story, registry):
    with tampering(registry) as connection:
        story.tampered = connection.scalar(sa.select(sa.func.max(AuditEntry.id)).where(AuditEntry.module == "core"))
        connection.execute(
            sa.update(AuditEntry).where(AuditEntry.id == story.tampered).values(summary="Rien ne s'est passé.")
        )


@given("une entrée accordant des droits a été ajoutée directement dans la base")
def entry_added(story, registry):
    with tampering(registry) as connection:
        latest = (
            connection.execute(sa.select(AuditEntry.__table__).order_by(AuditEntry.id.desc()).limit(1)).mappings().one()
        )
        forged = {**latest, "summary": "Rôle « Administrateur » accordé à « m.intrus ».", "nonce": new_nonce()}
        del forged["id"]
        forged["xid"] = None
        forged["digest"] = entry_digest(forged)
        story.tampered = connection.scalar(sa.insert(AuditEntry).values(**forged).returning(AuditEntry.id))


@given("la dernière entrée a été supprimée de la base avec son maillon")
def head_removed(registry):
    with tampering(registry) as connection:
        position, entry_id = connection.execute(
            sa.select(AuditSeal.position, AuditSeal.entry_id).order_by(AuditSeal.position.desc()).limit(1)
        ).one()
        connection.execute(sa.delete(AuditSeal).where(AuditSeal.position == position))
        connection.execute(sa.delete(AuditEntry).where(AuditEntry.id == entry_id))


@given("une clé de signature a été créée")
def key_created(registry):
    generate_key(keys(registry)[0])


@given("un point de contrôle a été signé")
def checkpoint_signed(registry):
    key, folder = keys(registry)
    checkpoint(registry, load_private_key(key), folder)


@given("tout le journal a été réécrit avec des empreintes recalculées")
def everything_rewritten(registry):
    rewrite_everything(registry, "Compte créé par personne.")


@given(parsers.parse('les entrées du module "{module}" sont conservées {days:d} jours'))
def retention(story, module, days):
    story.rules[module] = days


@given(parsers.parse('"{login_name}" a ajouté une note il y a {days:d} jours'))
def old_note(registry, login_name, days):
    then = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    config = Configurator(registry=registry)
    config.register_service(FrozenClock(then), IClock)
    config.commit()
    try:
        with transaction_scope(registry) as request:
            account = request.find_service(IAccounts).by_login(login_name)
            act_as(request, account)
            request.find_service(IAuditLog).record(
                "sample:note:create", "Note « Ancienne » ajoutée.", module="sample", object_type="note", object_id="1"
            )
    finally:
        config.register_service(SystemClock(), IClock)
        config.commit()


# -- when ---------------------------------------------------------------------------


@when(parsers.parse('je filtre le journal sur le module "{module}" et la personne "{person}"'))
def filter_module_person(story, module, person):
    story.page = story.app.get(JOURNAL, {"module": module, "qui": person})


@when(parsers.parse('je cherche "{text}" dans le journal'))
def search(story, text):
    story.page = story.app.get(JOURNAL, {"q": text})


@when(parsers.parse('je filtre le journal à partir du "{day}"'))
def filter_from(story, day):
    story.page = story.app.get(JOURNAL, {"du": day}, expect_errors=True)


@when(parsers.parse('j\'ouvre le détail de la dernière entrée du module "{module}"'))
def open_last_entry(story, registry, module):
    with transaction_scope(registry) as request:
        last = request.db.scalar(sa.select(sa.func.max(AuditEntry.id)).where(AuditEntry.module == module))
    story.page = story.app.get(f"{JOURNAL}{last}")


@when(parsers.parse('j\'exporte le journal filtré sur le module "{module}"'))
def export(story, module):
    response = story.app.get(f"{JOURNAL}export.csv", {"module": module})
    story.csv_rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))


@when(parsers.parse("j'ouvre l'historique de la note \"{title}\""))
def open_history(story, registry, title):
    story.page = story.app.get(f"/intranet/journal/note/{note_id(registry, title)}", expect_errors=True)


@when(parsers.parse('"{login_name}" se connecte avec le mot de passe "{password}"'))
def wrong_password(story, login_name, password):
    page = story.app.get("/intranet/connexion")
    page.forms[0]["login"], page.forms[0]["password"] = login_name, password
    story.page = page.forms[0].submit(expect_errors=True)


@when(parsers.parse('j\'ouvre la page "{path}"'))
def open_page(story, path):
    story.page = story.app.get(path, expect_errors=True)


@when("je vérifie le journal")
def check(story, registry):
    key, folder = keys(registry)
    story.result = verify(registry, load_public_key(key) if key.exists() else None, folder)


@when("je purge le journal")
def purge_now(story, registry):
    key, folder = keys(registry)
    now = datetime.datetime.now(datetime.UTC)
    story.removed = purge(registry, story.rules, now, load_private_key(key), folder).removed


# -- then ---------------------------------------------------------------------------


def summaries(story: Story) -> list[str]:
    return [row.find_all("td")[5].text for row in story.page.html.find(id="entrees-journal").select("tbody tr")]


@then(parsers.re(r"le journal affiche (?P<count>\d+) entrées?$"))
def shown(story, count):
    assert len(summaries(story)) == int(count)


@then(parsers.parse('la première entrée a pour résumé "{summary}"'))
def first_summary(story, summary):
    assert summaries(story)[0] == summary


@then(parsers.parse("la réponse est refusée avec le statut {status:d}"))
def refused(story, status):
    assert story.page.status_int == status


@then(parsers.parse('le champ "{name}" affiche l\'erreur "{message}"'))
def field_error(story, name, message):
    assert story.page.html.find(id=f"erreur-{name}").text == message
    assert story.page.html.find(id=f"champ-{name}")["aria-invalid"] == "true"


@then(parsers.parse('le champ "{name}" valait "{before}" avant et "{after}" après'))
def change_shown(story, name, before, after):
    row = story.page.html.find("th", string=name).find_parent("tr")
    assert [cell.text for cell in row.find_all("td")] == [before, after]


@then(parsers.parse('le fichier CSV a pour colonnes "{header}"'))
def csv_header(story, header):
    assert ";".join(story.csv_rows[0]).startswith(header)


@then(parsers.parse("le fichier CSV contient {count:d} entrées"))
def csv_count(story, count):
    assert len(story.csv_rows) - 1 == count


@then(parsers.parse('le journal d\'audit contient "{summary}"'))
def log_contains(registry, summary):
    with transaction_scope(registry) as request:
        assert summary in set(request.db.scalars(sa.select(AuditEntry.summary)))


@then(parsers.parse('l\'historique montre "{summary}"'))
def history_shows(story, summary):
    rows = story.page.html.find(id="historique-objet").select("tbody tr")
    assert summary in [row.find_all("td")[3].text for row in rows]


@then(parsers.parse('la page "{path}" répond {status:d}'))
def page_status(story, path, status):
    assert story.app.get(path, expect_errors=True).status_int == status


@then(parsers.parse('le journal contient la tentative refusée "{summary}"'))
def refusal_recorded(registry, summary):
    with transaction_scope(registry) as request:
        found = request.db.scalars(sa.select(AuditEntry.summary).where(AuditEntry.category == "refused")).all()
    assert summary in found


@then("la vérification réussit")
def intact(story):
    assert story.result.intact, story.result.broken


@then("la vérification échoue en nommant l'entrée modifiée")
def names_the_entry(story):
    assert story.result.broken is not None
    assert story.result.broken.entry_id == story.tampered
    assert f"Entrée n° {story.tampered} " in story.result.broken.message
    assert "modifiée" in story.result.broken.message


@then("la vérification échoue en nommant l'entrée ajoutée, qui n'a pas été écrite par l'application")
def names_the_forged_entry(story):
    assert story.result.broken is not None
    assert story.result.broken.entry_id == story.tampered
    assert "elle n'a pas été écrite par l'application" in story.result.broken.message


@then("la vérification échoue dès la première position")
def broken_from_the_start(story):
    assert story.result.broken is not None
    assert story.result.broken.position == 1
    assert "Chaînage rompu à la position 1" in story.result.broken.message


@then("la vérification échoue au point de contrôle signé")
def caught_by_checkpoint(story):
    assert story.result.broken is not None
    assert "point de contrôle signé" in story.result.broken.message
    assert "des entrées ont été supprimées" in story.result.broken.message


@then(parsers.re(r'(?P<count>\d+) entrées? du module "(?P<module>\w+)" (est|sont) purgées?$'))
def purged(story, count, module):
    assert story.removed == {module: int(count)}


@then(parsers.re(r"la vérification réussit avec (?P<count>\d+) entrées? purgées?$"))
def intact_with_purged(story, count):
    assert story.result is None or story.result.intact
    key, folder = keys(story.app.app.registry)
    result = verify(story.app.app.registry, load_public_key(key), folder)
    assert result.intact, result.broken
    assert result.purged == int(count)
    assert result.checkpoints == 1
