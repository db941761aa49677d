"""The instructors' API: their procedures, a form as JSON Schema, the applications page by page, one application."""

from __future__ import annotations

import pytest
import webtest

from cagou.testing import login
from cagou.testing_checks import token_with_every_scope

API = "/intranet/api/v1/demarches"


@pytest.fixture
def token(app: webtest.TestApp, demonstration: None) -> str:
    """A personal token of the demo agent, who designs and instructs both procedures."""
    login(app, "agent", "demo-agent-2026")
    made = token_with_every_scope(app)
    app.reset()
    return made


def get(app: webtest.TestApp, token: str, path: str, **kwargs: object) -> webtest.TestResponse:
    return app.get(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)  # type: ignore[arg-type]


def test_the_procedures_their_schema_and_applications_page_by_page(app: webtest.TestApp, token: str) -> None:
    procedures = {item["receipt_prefix"]: item for item in get(app, token, API).json}
    assert set(procedures) == {"RAP", "AIDE"} and procedures["AIDE"]["directorate"] == "DEFE-SAE"
    business = procedures["AIDE"]["id"]
    schema = get(app, token, f"{API}/{business}/schema").json
    assert schema["properties"]["montant_demande"] == {
        "title": "Montant de l'aide demandée", "description": "Le plan de soutien plafonne l'aide à 500 000 F CFP.",
        "type": "integer", "minimum": 1, "maximum": 500000,
    }  # fmt: skip
    assert schema["properties"]["ridet"]["pattern"] == r"^\d{7}\.\d{3}$" and "ridet" in schema["required"]
    first = get(app, token, f"{API}/{business}/demandes", params={"limit": "100"}).json
    second = get(app, token, f"{API}/{business}/demandes", params={"limit": "100", "after": first["next"]}).json
    receipts = [item["receipt"] for item in first["items"] + second["items"]]
    assert len(receipts) == len(set(receipts)) == 200
    one = get(app, token, f"{API}/{business}/demandes/{receipts[0]}").json
    assert one["receipt"] == receipts[0] and one["answers"]["ridet"].endswith(".001")


def test_refusals_are_in_the_api_s_format(app: webtest.TestApp, token: str) -> None:
    assert get(app, token, f"{API}/1/demandes", params={"after": "hier"}, status=400).json["error"].startswith(
        "Curseur « after » invalide")  # fmt: skip
    assert get(app, token, f"{API}/1/demandes", params={"limit": "0"}, status=400).json["errors"] == {
        "limit": "De 1 à 200."}  # fmt: skip
    assert (
        get(app, token, f"{API}/1/demandes/RAP-1999-000001", status=404).json["error"] == "Cette demande n'existe pas."
    )
    app.get(API, status=401)
