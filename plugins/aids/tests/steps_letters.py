"""Step definitions of the decision letters' and the widget « Actes à signer »'s scenarios (actes.feature),
imported by test_features_aids.py."""

from __future__ import annotations

import zipfile
from typing import Any

import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IReceipts
from cagou_aids.models import Act, Application
from pyramid.registry import Registry
from pytest_bdd import parsers, then
from steps_acts import PASSWORD, agent, numbered, plain
from test_receipts import pdf_text

from cagou.kit import transaction_scope
from cagou.testing import delivered_mail, login


@then(parsers.parse("l'accueil d'un signataire annonce \"{text}\""))
def signer_home(browser: Any, registry: Registry, text: str) -> None:
    with transaction_scope(registry) as request:
        agent(request, "signataire", "aids:signer")
    other = webtest.TestApp(browser.app.app, extra_environ={"HTTP_HOST": "localhost"})
    login(other, "signataire", PASSWORD)
    [region] = [r for r in other.get("/intranet/").html.select("section.widget") if r.h2.text == "Actes à signer"]
    assert text in plain(region.text)


@then(parsers.parse('le courriel "{start}" de la demande numéro {number:d} porte la lettre qui dit "{text}"'))
def mailed_letter(registry: Registry, start: str, number: int, text: str) -> None:
    receipt = numbered(number)
    [mail] = [m for m in delivered_mail(registry) if m["Subject"] == f"{start} : {receipt}"]
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == f"decision-{receipt}.pdf" and text in pdf_text(attached.get_content())


@then(parsers.parse("l'archive de la demande numéro {number:d} contient sa lettre et l'arrêté signé"))
def archive_with_letter_and_act(registry: Registry, number: int) -> None:
    receipt = numbered(number)
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application).where(Application.receipt == receipt)).one()
        act = request.db.scalars(sa.select(Act).order_by(Act.id.desc()).limit(1)).one()
        with request.find_service(IReceipts).archive(application) as data, zipfile.ZipFile(data) as archive:
            names = archive.namelist()
    assert f"fichiers/decision/decision-{receipt}.pdf" in names and f"acte/{act.reference}.pdf" in names
