"""A program calling the helpdesk's JSON API with a personal token, as the API tests and scenarios use it.

Tokens are made the way a person makes them: signed in, on the tokens page,
choosing the scopes; the client then carries no cookie, only the token.
"""

from __future__ import annotations

from typing import Any

import webtest

TICKETS = "/intranet/api/v1/assistance/tickets"
CREATE = "helpdesk:ticket:create"
WORK = "helpdesk:ticket:work"


class ApiClient:
    def __init__(self, wsgi: Any, token: str) -> None:
        self.app = webtest.TestApp(wsgi, extra_environ={"HTTP_HOST": "localhost"})
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, status: int = 200, params: dict[str, Any] | None = None) -> webtest.TestResponse:
        return self.app.get(path, params=params or {}, headers=self.headers, status=status)

    def post(self, path: str, body: object, status: int = 201) -> webtest.TestResponse:
        return self.app.post_json(path, body, headers=self.headers, status=status)

    def patch(self, path: str, body: object, status: int = 200) -> webtest.TestResponse:
        return self.app.patch_json(path, body, headers=self.headers, status=status)

    def send_raw(self, method: str, path: str, text: str, status: int) -> webtest.TestResponse:
        """A body that is not (valid) JSON."""
        headers = {**self.headers, "Content-Type": "application/json"}
        return self.app.request(path, method=method, body=text.encode(), headers=headers, status=status)


def issue_token(app: webtest.TestApp, scopes: tuple[str, ...]) -> ApiClient:
    """Make a token with ``scopes`` on the tokens page of the person signed in on ``app``; a client using it."""
    page = app.get("/intranet/jetons/")
    form = page.forms["formulaire-jeton"]
    offered = {checkbox._value for checkbox in form.fields.get("scopes", [])}
    assert set(scopes) <= offered, set(scopes) - offered
    form["name"] = "intégration"
    form["days"] = "30"
    for checkbox in form.fields["scopes"]:
        checkbox.checked = checkbox._value in scopes
    created = form.submit(status=200)
    token: str = created.html.find(id="nouveau-jeton").text
    app.reset()
    return ApiClient(app.app, token)
