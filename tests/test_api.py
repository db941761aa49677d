"""Personal API tokens and the OpenAPI document of the JSON API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest
from openapi_spec_validator import validate
from pyramid.security import NO_PERMISSION_REQUIRED

from cagou import INTRANET, PUBLIC
from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.identity import tokens
from cagou.interfaces import IAccounts
from cagou.testing import csrf_token, login


@pytest.fixture
def agent(app, registry, demonstration):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")
    return login(app, "agent", "demo-agent-2026")


def make_token(app: webtest.TestApp, scopes: list[str], name: str = "export", days: str = "90", status: int = 200):
    page = app.get("/intranet/jetons/")
    form = page.forms["formulaire-jeton"]
    form["name"] = name
    form["days"] = days
    for checkbox in form.fields.get("scopes", []):
        checkbox.checked = checkbox._value in scopes
    return form.submit(status=status)


def created_token(page: webtest.TestResponse) -> str:
    return page.html.find(id="nouveau-jeton").text


class ApiClient:
    """A program calling the API: no cookie, only its token."""

    def __init__(self, wsgi, headers: dict[str, str]) -> None:
        self.app = webtest.TestApp(wsgi, extra_environ={"HTTP_HOST": "localhost"})
        self.headers = headers

    def get(self, path: str, status: int) -> webtest.TestResponse:
        return self.app.get(path, headers=self.headers, status=status)

    def post_json(self, path: str, body: object, status: int) -> webtest.TestResponse:
        return self.app.post_json(path, body, headers=self.headers, status=status)

    def request(self, path: str, method: str, status: int) -> webtest.TestResponse:
        return self.app.request(path, method=method, headers=self.headers, status=status, expect_errors=True)


def token_of(registry, login_name: str, scopes: list[str]) -> str:
    """A token made for ``login_name`` by the service (the tokens page is for agents only)."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        return tokens.issue(request, account, "essai", scopes, days=30)[1]


def test_a_token_is_shown_once_and_authenticates_the_api(app, agent):
    page = make_token(app, ["core:profile:read", "sample:note:view"])
    token = created_token(page)
    assert token.startswith("cagou_")
    assert token not in app.get("/intranet/jetons/").text  # never shown again
    api = ApiClient(app.app, {"Authorization": f"Bearer {token}"})
    profile = api.get("/intranet/api/v1/moi", status=200).json
    assert profile == {
        "login": "agent",
        "display_name": "Paul Wahetra",
        "kind": "agent",
        "scopes": ["core:profile:read", "sample:note:view"],
    }
    notes = api.get("/intranet/api/v1/exemple/notes", status=200).json
    assert [note["title"] for note in notes] == ["Première note", "Seconde note"]


def test_a_token_acts_only_within_its_scopes(app, agent):
    token = created_token(make_token(app, ["core:profile:read"]))
    api = ApiClient(app.app, {"Authorization": f"Bearer {token}"})
    refused = api.get("/intranet/api/v1/exemple/notes", status=403).json
    assert "portée du jeton" in refused["error"]


def test_no_token_a_forged_one_a_revoked_one_or_an_expired_one_get_401(app, agent, clock):
    assert "error" in ApiClient(app.app, {}).get("/intranet/api/v1/moi", status=401).json
    ApiClient(app.app, {"Authorization": "Bearer cagou_faux"}).get("/intranet/api/v1/moi", status=401)
    ApiClient(app.app, {"Authorization": "Basic YWdlbnQ6eA=="}).get("/intranet/api/v1/moi", status=401)
    page = make_token(app, ["core:profile:read"], days="30")
    token = created_token(page)
    api = ApiClient(app.app, {"Authorization": f"Bearer {token}"})
    api.get("/intranet/api/v1/moi", status=200)
    clock.advance(days=31)
    api.get("/intranet/api/v1/moi", status=401)
    clock.advance(days=-31)
    app.reset()
    login(app, "agent", "demo-agent-2026")
    listing = app.get("/intranet/jetons/")
    revoke = next(form for form in listing.forms.values() if form.action.endswith("/revoquer"))
    assert "révoqué" in revoke.submit().follow().text
    api.get("/intranet/api/v1/moi", status=401)


def test_a_token_needs_no_csrf_token_but_a_browser_session_does(app, agent):
    token = created_token(make_token(app, ["sample:note:view"]))
    api = ApiClient(app.app, {"Authorization": f"Bearer {token}"})
    created = api.post_json("/intranet/api/v1/exemple/notes", {"title": "Par l'API"}, status=201).json
    assert created["title"] == "Par l'API"
    forged = app.post_json("/intranet/api/v1/exemple/notes", {"title": "Sans jeton CSRF"}, status=400).json
    assert "jeton CSRF" in forged["error"]
    refused = api.post_json("/intranet/api/v1/exemple/notes", {"titre": "x"}, status=400).json
    assert "titre" in refused["error"] or "title" in refused["error"]


def test_a_token_cannot_carry_a_permission_its_owner_lacks(app, registry, agent):
    page = app.get("/intranet/jetons/")
    offered = [field._value for field in page.forms["formulaire-jeton"].fields["scopes"]]
    assert "sample:note:view" in offered
    assert "core:console:view" not in offered
    assert "core:tokens:manage" not in offered
    forged = app.post(
        "/intranet/jetons/",
        {"csrf_token": csrf_token(page), "name": "pirate", "days": "30", "scopes": "core:console:view"},
        status=400,
    )
    assert "parmi celles que vous avez" in forged.html.find(id="erreur-scopes").text


def test_tokens_are_audited(app, registry, agent):
    make_token(app, ["core:profile:read"])
    with transaction_scope(registry) as request:
        summary = request.db.scalar(sa.select(AuditEntry.summary).where(AuditEntry.action == "core:token:create"))
    assert summary == "Jeton d'API « export » créé (core:profile:read)."


def test_someone_elses_token_cannot_be_revoked(app, registry, agent):
    make_token(app, ["core:profile:read"])
    app.reset()
    page = login(app, "technicien", "demo-technicien-2026")
    app.post("/intranet/jetons/1/revoquer", {"csrf_token": csrf_token(page)}, status=404)


def test_the_openapi_document_is_valid_and_lists_every_json_endpoint(app, registry):
    spec = app.get("/intranet/api/openapi.json").json
    validate(spec)
    assert spec["paths"]["/intranet/api/v1/moi"]["get"]["x-permission"] == "core:profile:read"
    notes = spec["paths"]["/intranet/api/v1/exemple/notes"]
    assert set(notes) == {"get", "post"}
    assert "201" in notes["post"]["responses"]
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    for item in registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        route = registry.introspector.get("routes", view["route_name"]) if view["route_name"] else None
        if route is None or not route["pattern"].startswith("/intranet/api/v1/"):
            continue
        methods = view["request_methods"] or ("GET",)
        for method in (methods,) if isinstance(methods, str) else methods:
            assert (route["pattern"], method) in documented, (route["pattern"], method)


def test_a_post_without_any_credential_gets_401_and_a_session_without_csrf_token_still_400(app, agent):
    """No token, no cookie: nothing to forge, so the answer is the missing credential, not the CSRF check."""
    anonymous = ApiClient(app.app, {})
    refused = anonymous.post_json("/intranet/api/v1/exemple/notes", {"title": "Anonyme"}, status=401)
    assert refused.json == {"error": "Jeton absent, expiré ou révoqué."}
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert "jeton CSRF" in app.post_json("/intranet/api/v1/exemple/notes", {"title": "x"}, status=400).json["error"]
    # Pages keep the check without a cookie: a forged sign-in would sign the victim in as the forger.
    anonymous.app.post("/intranet/connexion", {"login": "agent", "password": "demo-agent-2026"}, status=400)


def test_a_method_a_path_does_not_take_gets_405_with_allow_in_json(app, agent):
    token = created_token(make_token(app, ["core:profile:read", "sample:note:view"]))
    for headers in ({"Authorization": f"Bearer {token}"}, {}):
        api = ApiClient(app.app, headers)
        for method in ("TRACE", "DELETE", "PUT", "OPTIONS"):
            refused = api.request("/intranet/api/v1/moi", method, status=405)
            assert refused.headers["Allow"] == "GET, HEAD"
            assert refused.json["error"].startswith(f"La méthode {method} n'est pas acceptée ici")
        notes = api.request("/intranet/api/v1/exemple/notes", "PATCH", status=405)
        assert notes.headers["Allow"] == "GET, HEAD, POST"
        assert api.request("/intranet/api/openapi.json", "POST", status=405).headers["Allow"] == "GET, HEAD"
    assert ApiClient(app.app, {}).request("/intranet/api/v1/inconnu", "TRACE", status=404).json["error"]


@pytest.mark.parametrize(
    ("login_name", "password"), [("citoyen", "demo-citoyen-2026"), ("entreprise", "demo-entreprise-2026")]
)
def test_the_intranet_api_is_for_agents_only(app, registry, agent, login_name, password):
    """A citizen's or a company's session or token gets 403 on every intranet API route, modules' included."""
    reserved = {"error": "L'API de l'intranet est réservée aux agents."}
    token = token_of(registry, login_name, ["core:profile:read", "sample:note:view"])
    api = ApiClient(app.app, {"Authorization": f"Bearer {token}"})
    assert api.get("/intranet/api/v1/moi", status=403).json == reserved
    assert api.get("/intranet/api/v1/exemple/notes", status=403).json == reserved
    app.reset()
    login(app, login_name, password, site=PUBLIC)
    assert app.get("/intranet/api/v1/moi", status=403).json == reserved
    assert app.get("/intranet/api/v1/exemple/notes", status=403).json == reserved
    with transaction_scope(registry) as request:
        refusals = request.db.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "core:access:refused"))
    assert refusals == 4


def test_a_server_error_on_the_api_is_json_with_the_request_id(app_config, registry):
    def failing(request):
        raise RuntimeError("panne voulue par le test")

    app_config.add_site_route(INTRANET, "test.failing", "/api/v1/essai/panne")
    app_config.add_view(failing, route_name="test.failing", permission=NO_PERMISSION_REQUIRED)
    app_config.commit()
    app = webtest.TestApp(app_config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    answer = app.get("/intranet/api/v1/essai/panne", headers={"X-Request-Id": "essai-42"}, status=500)
    assert answer.content_type == "application/json"
    assert answer.json["request_id"] == "essai-42"
    assert answer.json["error"].startswith("Une erreur inattendue s'est produite")


def test_every_operation_lists_its_refusals_in_the_one_error_format(app):
    spec = app.get("/intranet/api/openapi.json").json
    assert spec["components"]["schemas"]["Erreur"]["required"] == ["error"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "403", "500", "503"} <= statuses, (method, path)
            assert ("404" in statuses) == ("{" in path), (method, path)
            for status in statuses - {"200", "201"}:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Erreur"}, (method, path, status)
    assert "409" in spec["paths"]["/intranet/api/v1/exemple/notes"]["post"]["responses"]
