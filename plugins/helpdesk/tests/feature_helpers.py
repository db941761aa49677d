"""What the helpdesk's step files share: quoted step parameters, and a browser filling in the pages' forms.

Used by the steps of features/helpdesk/administration.feature,
base_de_connaissances.feature and tableau_de_bord.feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import webtest
from pytest_bdd import parsers

#: A quoted value in a step: anything but a double quote.
Q = r'"(?P<{}>[^"]+)"'


def step(text: str, *names: str) -> parsers.re:
    """A step whose ``"…"`` placeholders are named ``names``, in order."""
    pattern = text
    for name in names:
        pattern = pattern.replace('"…"', Q.format(name), 1)
    return parsers.re(pattern + "$")


@dataclass
class Browser:
    """The browser of the person a scenario follows, the page it shows, and the request it is about."""

    app: webtest.TestApp
    page: webtest.TestResponse | None = None
    ticket_id: int | None = None

    @property
    def current(self) -> webtest.TestResponse:
        assert self.page is not None, "no page yet"
        return self.page

    def submit(self, form: webtest.Form) -> None:
        """Submit as a browser does: a redirection is followed, an error page is shown."""
        response = form.submit(expect_errors=True)
        self.page = response.follow() if response.status_int == 303 else response


def form_with_action(page: webtest.TestResponse, action: str) -> webtest.Form:
    for form in page.forms.values():
        if form.action == action:
            return form
    raise AssertionError(f"no form posts to {action}")
