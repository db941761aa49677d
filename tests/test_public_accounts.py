"""Citizens and companies: registration with a confirmed address, password reset, deletion."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import webtest

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.identity.models import COMPANY, Account
from cagou.identity.validation import normalize_ridet, password_problem
from cagou.testing import csrf_token, delivered_mail, login

PASSWORD = "corail-manguier-pirogue"
LINK = re.compile(r"http://localhost(/\S+)")


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


def register(app: webtest.TestApp, status: int = 303, **fields: str) -> webtest.TestResponse:
    page = app.get("/inscription")
    form = page.forms[0]
    values = {"kind": "particulier", "display_name": "Alice Wadrawane", "email": "alice@example.nc"}
    values |= {"password": PASSWORD, "password_confirm": PASSWORD} | fields
    for name, value in values.items():
        if name != "kind" or value:  # no choice ticked: leave the radio buttons alone
            form[name] = value
    return form.submit(status=status)


def accounts(registry) -> list[Account]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(Account).order_by(Account.id)))


def link_in(message) -> str:
    found = LINK.search(message.get_content())
    assert found is not None, message.get_content()
    return found.group(1)


def test_a_citizen_registers_confirms_the_address_then_signs_in(app, registry):
    sent = register(app).follow()
    assert "Vérifiez votre messagerie" in sent.text
    [mail] = delivered_mail(registry)
    assert mail["To"] == "alice@example.nc"
    assert mail["Subject"] == "Confirmez votre adresse électronique"
    page = app.get("/connexion")
    page.forms[0]["login"] = "alice@example.nc"
    page.forms[0]["password"] = PASSWORD
    refused = page.forms[0].submit(status=403)
    assert "pas encore confirmée" in refused.html.find(role="alert").text
    first, second = delivered_mail(registry)
    assert link_in(first) != link_in(second)
    app.get(link_in(first), status=400)  # the newer link replaced it
    confirmed = app.get(link_in(second))
    assert confirmed.html.find("h1").text == "Adresse confirmée"
    replay = app.get(link_in(second), status=400)
    assert "déjà servi" in replay.html.find("main").text
    assert "Alice Wadrawane" in login(app, "alice@example.nc", PASSWORD, site="public").text


def test_a_company_gives_its_ridet(app, registry):
    register(app, kind="entreprise", display_name="Pêcheries de Thio", email="contact@peche.nc", ridet="1234567 001")
    [account] = accounts(registry)
    assert account.kind == COMPANY
    assert account.ridet == "1234567.001"


def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(app, registry):
    cases = {
        "ridet": dict(kind="entreprise", ridet="12345"),
        "email": dict(email="pas-une-adresse"),
        "password": dict(password="azertyuiop12", password_confirm="azertyuiop12"),
        "password_confirm": dict(password_confirm="autre-chose-encore-2026"),
        "display_name": dict(display_name="x" * 300),
        "kind": dict(kind=""),
    }
    for field_name, fields in cases.items():
        page = register(app, status=400, **fields)
        message = page.html.find(id=f"erreur-{field_name}")
        assert message is not None, field_name
        assert page.html.find("title").text.startswith("Erreur")
    assert accounts(registry) == []
    assert delivered_mail(registry) == []


def test_registering_an_address_that_has_an_account_reveals_nothing(app, registry, demo):
    before = len(accounts(registry))
    sent = register(app, email="jeanne.martin@example.nc").follow()
    assert "Vérifiez votre messagerie" in sent.text
    assert len(accounts(registry)) == before
    [mail] = delivered_mail(registry)
    assert mail["Subject"] == "Votre compte existe déjà"


def test_registration_is_rate_limited_per_address(app, registry):
    for number in range(10):
        register(app, email=f"personne{number}@example.nc")
    page = register(app, status=429, email="une-de-trop@example.nc")
    assert "Trop de demandes" in page.html.find(role="alert").text


def test_a_forgotten_password_is_replaced_through_a_single_use_link(app, registry, demo, clock):
    signed_in = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(signed_in, "citoyen", "demo-citoyen-2026", site="public")
    page = app.get("/mot-de-passe-oublie")
    page.forms[0]["email"] = "jeanne.martin@example.nc"
    sent = page.forms[0].submit().follow()
    assert "Si un compte correspond à cette adresse" in sent.text
    [mail] = delivered_mail(registry)
    form_page = app.get(link_in(mail))
    form_page.forms[0]["password"] = "motdepasse123"
    form_page.forms[0]["password_confirm"] = "motdepasse123"
    weak = form_page.forms[0].submit(status=400)
    assert "trop courant" in weak.html.find(id="erreur-password").text
    weak.forms[0]["password"] = PASSWORD
    weak.forms[0]["password_confirm"] = PASSWORD
    done = weak.forms[0].submit().follow()
    assert "Votre mot de passe a été changé" in done.text
    app.get(link_in(mail), status=400)
    assert signed_in.get("/mon-compte").status_int == 303  # the other sessions ended
    app.reset()
    assert "Jeanne Martin" in login(app, "jeanne.martin@example.nc", PASSWORD, site="public").text


def test_a_reset_link_expires_after_an_hour(app, registry, demo, clock):
    page = app.get("/mot-de-passe-oublie")
    page.forms[0]["email"] = "jeanne.martin@example.nc"
    page.forms[0].submit()
    [mail] = delivered_mail(registry)
    clock.advance(minutes=61)
    expired = app.get(link_in(mail), status=400)
    assert "Ce lien a expiré" in expired.html.find(role="alert").text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, registry, demo):
    page = app.get("/mot-de-passe-oublie")
    page.forms[0]["email"] = "personne@example.nc"
    assert "Si un compte correspond à cette adresse" in page.forms[0].submit().follow().text
    assert delivered_mail(registry) == []


def test_forged_or_missing_reset_tokens_are_refused(app):
    for token in ("", "nimporte-quoi", "x" * 500):
        page = app.get("/mot-de-passe/nouveau", {"jeton": token}, status=400)
        assert page.html.find(role="alert") is not None


def test_a_citizen_deletes_the_account_and_the_files_stay(app, registry, demo):
    page = login(app, "citoyen", "demo-citoyen-2026", site="public")
    account_page = app.get("/mon-compte")
    token = csrf_token(account_page)
    refused = app.post("/mon-compte/supprimer", {"csrf_token": token, "password": "faux"}, status=400)
    assert "le compte n'a pas été supprimé" in refused.html.find(id="erreur-password").text
    done = app.post("/mon-compte/supprimer", {"csrf_token": csrf_token(page), "password": "demo-citoyen-2026"}).follow()
    assert "Votre compte a été supprimé" in done.text
    with transaction_scope(registry) as request:
        account = request.db.scalars(sa.select(Account).where(Account.display_name == "Jeanne Martin")).one()
        assert account.login == f"supprime-{account.id}"
        assert account.email is None and account.password_hash is None and not account.active
        actions = set(request.db.scalars(sa.select(AuditEntry.action)))
    assert {"core:account:delete", "core:account:delete-refused"} <= actions
    page = app.get("/connexion")
    page.forms[0]["login"] = "jeanne.martin@example.nc"
    page.forms[0]["password"] = "demo-citoyen-2026"
    page.forms[0].submit(status=401)


def test_agents_have_no_public_account_page(app, demo):
    login(app, "agent", "demo-agent-2026")
    app.get("/mon-compte", status=403)


def test_ridet_format():
    assert normalize_ridet("1234567.001") == "1234567.001"
    assert normalize_ridet("1234567001") == "1234567.001"
    for wrong in ("123456.001", "1234567.01", "ABCDEFG.001", "1234567-001"):
        with pytest.raises(ValueError, match="7 chiffres"):
            normalize_ridet(wrong)


def test_the_commonest_passwords_are_refused():
    for common in ("password1234", "azertyuiop12", "motdepasse123", "123456789012"):
        assert password_problem(common) is not None, common
    assert password_problem("court") is not None
    assert password_problem("Wadrawane123456", ["Alice Wadrawane"]) is not None  # guessable from the name
    assert password_problem("Wadrawane123456") is None
    assert password_problem(PASSWORD) is None


# -- my profile and my password ----------------------------------------------------


def audit_actions(registry, action: str) -> list[str]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(AuditEntry.summary).where(AuditEntry.action == action)))


def form_of(page: webtest.TestResponse, action: str) -> webtest.forms.Form:
    """The page's form that posts to ``action`` (the header has the sign-out form)."""
    [form] = [form for form in page.forms.values() if form.action == action]
    return form


def citizen(registry) -> Account:
    with transaction_scope(registry) as request:
        return request.db.scalars(sa.select(Account).where(Account.login == "citoyen")).one()


def test_a_citizen_edits_the_name_at_once_and_the_address_once_confirmed(app, registry, demo):
    login(app, "citoyen", "demo-citoyen-2026", site="public")
    account_page = app.get("/mon-compte")
    page = app.get(account_page.html.find("a", string="Modifier mon profil")["href"])
    form_of(page, "/mon-compte/profil")["display_name"] = ""
    form_of(page, "/mon-compte/profil")["email"] = "pas-une-adresse"
    refused = form_of(page, "/mon-compte/profil").submit(status=400)
    assert refused.html.find(id="erreur-display_name") is not None
    assert "adresse électronique valide" in refused.html.find(id="erreur-email").text
    assert citizen(registry).display_name == "Jeanne Martin"  # nothing stored half-way
    form_of(refused, "/mon-compte/profil")["display_name"] = "Jeanne Martin-Wamytan"
    form_of(refused, "/mon-compte/profil")["email"] = "Jeanne.Wamytan@example.nc"
    done = form_of(refused, "/mon-compte/profil").submit().follow()
    assert "Un lien de confirmation a été envoyé à jeanne.wamytan@example.nc" in done.text
    account = citizen(registry)
    assert (account.display_name, account.email) == ("Jeanne Martin-Wamytan", "jeanne.martin@example.nc")
    [mail] = delivered_mail(registry)
    assert mail["To"] == "jeanne.wamytan@example.nc"
    link = link_in(mail)
    app.get(link.replace("wamytan", "pirate"), status=400)  # the link is bound to its address
    confirmed = app.get(link)
    assert "jeanne.wamytan@example.nc" in confirmed.html.find("main").text
    assert citizen(registry).email == "jeanne.wamytan@example.nc"
    app.get(link, status=400)  # once only
    assert audit_actions(registry, "core:account:email") == [
        "Adresse du compte « citoyen » changée en « jeanne.wamytan@example.nc » (confirmée par lien)."
    ]
    assert len(audit_actions(registry, "core:account:update")) == 1


def test_an_address_that_has_an_account_gets_a_warning_and_changes_nothing(app, registry, demo):
    register(app, email="deja.pris@example.nc")
    sent_before = len(delivered_mail(registry))
    login(app, "citoyen", "demo-citoyen-2026", site="public")
    page = app.get("/mon-compte/profil")
    form = form_of(page, "/mon-compte/profil")
    form["email"] = "deja.pris@example.nc"
    assert "Un lien de confirmation a été envoyé" in form.submit().follow().text  # the same answer as for any address
    [mail] = delivered_mail(registry)[sent_before:]
    assert (mail["To"], mail["Subject"]) == ("deja.pris@example.nc", "Votre compte existe déjà")
    assert citizen(registry).email == "jeanne.martin@example.nc"


def test_a_citizen_changes_the_password_and_the_other_sessions_end(app, registry, demo):
    elsewhere = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(elsewhere, "citoyen", "demo-citoyen-2026", site="public")
    login(app, "citoyen", "demo-citoyen-2026", site="public")
    page = app.get(app.get("/mon-compte").html.find("a", string="Changer mon mot de passe")["href"])
    form = form_of(page, "/mon-compte/mot-de-passe")
    form["current_password"], form["password"], form["password_confirm"] = "faux", PASSWORD, PASSWORD
    wrong = form.submit(status=400)
    assert "Mot de passe actuel incorrect" in wrong.html.find(id="erreur-current_password").text
    form = form_of(wrong, "/mon-compte/mot-de-passe")
    form["current_password"], form["password"], form["password_confirm"] = "demo-citoyen-2026", "motdepasse123", ""
    weak = form.submit(status=400)
    assert "trop courant" in weak.html.find(id="erreur-password").text
    form = form_of(weak, "/mon-compte/mot-de-passe")
    form["current_password"], form["password"], form["password_confirm"] = "demo-citoyen-2026", PASSWORD, "autre"
    assert (
        form_of(weak, "/mon-compte/mot-de-passe").submit(status=400).html.find(id="erreur-password_confirm") is not None
    )
    assert elsewhere.get("/mon-compte").status_int == 200  # nothing changed yet
    form = form_of(weak, "/mon-compte/mot-de-passe")
    form["current_password"], form["password"], form["password_confirm"] = "demo-citoyen-2026", PASSWORD, PASSWORD
    done = form.submit().follow()
    assert "Votre mot de passe a été changé" in done.text
    assert app.get("/mon-compte").status_int == 200  # this session stays open
    assert elsewhere.get("/mon-compte").status_int == 303  # the other one ended
    assert audit_actions(registry, "core:account:password") == [
        "Mot de passe du compte « citoyen » changé par son titulaire."
    ]
    assert len(audit_actions(registry, "core:account:password-refused")) == 1
    app.reset()
    assert "Jeanne Martin" in login(app, "citoyen", PASSWORD, site="public").text
