"""What the browser tests share: signing in through the real form, and axe-core.

Plain functions rather than fixtures, so that a test reads as a sequence of
steps a person would take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import Page, expect

REPOSITORY = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPOSITORY / "node_modules" / "axe-core" / "axe.min.js"

#: The rules we hold the pages to: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Impacts that fail a test; "minor" and "moderate" ones are printed, not fatal.
BLOCKING_IMPACTS = ("serious", "critical")

STAFF = "intranet"
CITIZEN = "public"


def sign_in(page: Page, login: str, password: str, site: str = STAFF) -> None:
    """Sign in through the real login form of ``site``, as a person would."""
    page.goto("/intranet/connexion" if site == STAFF else "/connexion")
    # By their labels: the form is usable only if its fields are labelled.
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    if "/second-facteur" in page.url:
        enrol_second_factor(page)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def enrol_second_factor(page: Page) -> None:
    """Do what an IT administrator's phone does at the first sign-in: read the key, give the code."""
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()
    with page.expect_navigation():
        page.get_by_role("link", name="J'ai noté mes codes, continuer").click()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its WCAG A/AA violations."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `npm ci` at the root of the repository")
    page.add_script_tag(path=str(AXE_SCRIPT))
    results: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """The violations, one block each: what is wrong and on which elements."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary']}".replace("\n", " "))
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No serious or critical WCAG 2.0/2.1 A/AA violation on the page."""
    violations = axe_violations(page)
    if violations:
        # Shown with -rP or on failure: the lesser ones are worth fixing too.
        print(f"axe on {page.url}:\n{describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"Accessibility violations on {page.url}:\n{describe(blocking)}"
