"""The instructors' API on one application: the transitions they may take, taking one, writing to the applicant."""

# ruff: noqa: F811  (``token`` is test_api_aids' fixture, asked for by name)

from __future__ import annotations

import base64
from typing import Any

import sqlalchemy as sa
import webtest
from cagou_aids.models import Application, ApplicationMessage, TransitionTaken
from pyramid.registry import Registry
from test_api_aids import API, token  # noqa: F401  (the demo agent's token fixture)

from cagou.kit import transaction_scope
from cagou.testing import delivered_mail
from cagou.testing_checks import PDF_SAMPLE as PDF
from cagou.testing_checks import PROGRAM_SAMPLE as PROGRAM

RECEIPT = "AIDE-2020-000001"


def business(registry: Registry) -> str:
    with transaction_scope(registry) as request:
        procedure_id = request.db.scalar(sa.select(Application.procedure_id).where(Application.receipt == RECEIPT))
    return f"{API}/{procedure_id}/demandes/{RECEIPT}"


def call(app: webtest.TestApp, token: str, method: str, path: str, body: object = None, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return app.get(path, headers=headers, **kwargs)
    return app.post_json(path, body, headers=headers, **kwargs)


def test_the_transitions_are_listed_then_taken_with_the_page_s_rules(
    app: webtest.TestApp, registry: Registry, token: str
) -> None:
    path = business(registry) + "/transitions"
    listed = call(app, token, "GET", path).json
    assert (listed["state"], listed["state_label"]) == ("deposee", "Déposée")
    codes = {item["code"]: item for item in listed["transitions"]}
    assert set(codes) == {"instruire", "demander_complement", "classer"}
    assert [need["kind"] for need in codes["classer"]["requires"]] == ["motivation"]
    assert codes["instruire"] == {"code": "instruire", "label": codes["instruire"]["label"], "to": "en_instruction",
                                  "role": "aids:instructor", "requires": [], "refusal": None}  # fmt: skip
    taken = call(app, token, "POST", path, {"transition": "instruire", "seen_state": "deposee"}).json
    assert taken == {"state": "en_instruction", "state_label": "En instruction"}
    # what the agent read is no longer the state: refused, said, nothing taken
    stale = call(app, token, "POST", path, {"transition": "classer", "motivation": "Doublon.", "seen_state": "deposee"},
                 status=409).json  # fmt: skip
    assert stale["error"].startswith("Cette demande est maintenant « En instruction »")
    missing = call(app, token, "POST", path, {"transition": "proposer"}, status=400).json
    assert missing["errors"]["motivation"] == "La motivation est obligatoire."
    no_amount = call(app, token, "POST", path, {"transition": "proposer", "motivation": "Éligible."}, status=400).json
    assert set(no_amount["errors"]) == {"amount"}
    proposal = {"transition": "proposer", "motivation": "Éligible : 300 000 F CFP.", "amount": 300000}
    call(app, token, "POST", path, proposal)
    # four eyes: the demo agent proposed, so it may not validate its own proposal
    own = call(app, token, "POST", path, {"transition": "valider"}, status=403).json
    assert "règle des quatre yeux" in own["error"]
    assert [item["refusal"] for item in call(app, token, "GET", path).json["transitions"]
            if item["code"] == "valider"] == [own["error"]]  # fmt: skip
    unknown = call(app, token, "POST", path, {"transition": "envoler"}, status=404).json
    assert unknown["error"] == "Ce circuit n'a pas cette transition."
    wrong = call(app, token, "POST", path, {"transition": "valider", "extra": 1}, status=400).json
    assert "extra" in wrong["errors"]
    with transaction_scope(registry) as request:
        taken_codes = list(request.db.scalars(sa.select(TransitionTaken.transition).order_by(TransitionTaken.id)))
    assert taken_codes == ["instruire", "proposer"]
    with transaction_scope(registry) as request:
        applicant = request.db.scalar(sa.select(Application.email).where(Application.receipt == RECEIPT))
    assert any(mail["To"] == applicant and RECEIPT in mail["Subject"] for mail in delivered_mail(registry))


def test_a_message_with_a_base64_file_reaches_the_applicant_and_refusals_name_the_body_s_fields(
    app: webtest.TestApp, registry: Registry, token: str
) -> None:
    path = business(registry) + "/messages"
    content = base64.b64encode(PDF).decode()
    body = {"text": "Merci de joindre votre RIDET.", "files": [{"filename": "modele.pdf", "content": content}]}
    sent = call(app, token, "POST", path, body, status=201).json
    assert sent["files"] == 1 and sent["at"].endswith("+11:00")
    mail = delivered_mail(registry)[-1]
    assert RECEIPT in mail["Subject"] and "Merci de joindre votre RIDET." in mail.get_content()
    empty = call(app, token, "POST", path, {"text": " "}, status=400).json
    assert empty["errors"] == {"text": "Le message est obligatoire."}
    program = base64.b64encode(PROGRAM).decode()
    refused = call(app, token, "POST", path, {"text": "Voici.", "files": [{"filename": "x.pdf", "content": program}]},
                   status=400).json  # fmt: skip
    assert "n'est pas d'un type accepté" in refused["errors"]["files"]
    garbled = call(app, token, "POST", path, {"text": "Voici.", "files": [{"filename": "x.pdf", "content": "%%"}]},
                   status=400).json  # fmt: skip
    assert garbled["errors"] == {"files.0": "Le contenu de « x.pdf » n'est pas du base64."}
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(ApplicationMessage)) == 1
    call(app, token, "POST", f"{API}/2/demandes/AIDE-1999-000001/messages", {"text": "?"}, status=404)
