"""The helpdesk's share of the API's rules: for agents only, and every refusal in the one error format.

The rules are the core's (tests/test_api.py checks them on the core's and the
sample module's operations); here on the helpdesk's.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.identity import tokens
from cagou.interfaces import IAccounts

HELPDESK_API = "/intranet/api/v1/assistance/"


@pytest.mark.parametrize("login_name", ["citoyen", "entreprise"])
def test_the_helpdesk_api_is_for_agents_only(app, registry, demonstration, login_name):
    """A citizen's or a company's token holding the helpdesk's permission gets 403 all the same."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        token = tokens.issue(request, account, "essai", ["helpdesk:ticket:create"], days=30)[1]
    api = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    answer = api.get(HELPDESK_API + "tickets", headers={"Authorization": f"Bearer {token}"}, status=403)
    assert answer.json == {"error": "L'API de l'intranet est réservée aux agents."}
    with transaction_scope(registry) as request:
        refusals = request.db.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "core:access:refused"))
    assert refusals == 1


def test_every_helpdesk_operation_lists_its_refusals_in_the_one_error_format(app):
    spec = app.get("/intranet/api/openapi.json").json
    helpdesk = {path: item for path, item in spec["paths"].items() if path.startswith(HELPDESK_API)}
    assert helpdesk
    for path, item in helpdesk.items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "403", "500", "503"} <= statuses, (method, path)
            assert ("404" in statuses) == ("{" in path), (method, path)
            for status in statuses - {"200", "201"}:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Erreur"}, (method, path, status)
    assert "409" in spec["paths"]["/intranet/api/v1/assistance/tickets/{id}"]["patch"]["responses"]
