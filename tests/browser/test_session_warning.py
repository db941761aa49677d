"""The inactivity warning appears before the session expires, and one click keeps it alive.

The limits are shortened for this test: the session lasts 30 seconds without
a request, and the warning shows 27 seconds before that, 3 seconds after the
page loads.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cagou.testing_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, "cagou.sessions.idle_minutes": "0.5", "cagou.sessions.warning_minutes": "0.45"}


def test_the_warning_appears_and_staying_signed_in_keeps_the_session(page: Page) -> None:
    sign_in(page, "agent", "demo-agent-2026")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=8_000)
    expect(dialog).to_contain_text("Votre session va bientôt expirer")
    stay = dialog.get_by_role("button", name="Rester connecté")
    expect(stay).to_be_focused()
    stay.click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
