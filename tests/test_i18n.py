"""French first: every message of the templates has its English translation."""

from __future__ import annotations

import io
from importlib.resources import files
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from cagou.contributions import HealthResult, NavEntry
from cagou.db import transaction_scope
from cagou.modules.services import SITE_LABELS
from cagou.plugins import flatten, get_plugins
from cagou.web.views import CLIENT_ERROR_TITLES

PACKAGES = {
    "cagou": Path(str(files("cagou"))),
    "cagou_sample": Path(str(files("cagou_sample"))),
    "cagou_helpdesk": Path(str(files("cagou_helpdesk"))),
}


def template_messages(folder: Path) -> set[str]:
    extracted = extract_from_dir(
        str(folder),
        method_map=[("**/templates/**.jinja2", "jinja2")],
        options_map={"**/templates/**.jinja2": {"trimmed": "true"}},
    )
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in extracted}


def english_catalog(package: str) -> dict[str, str]:
    folder = PACKAGES[package] / "locale" / "en" / "LC_MESSAGES"
    messages: dict[str, str] = {}
    for path in folder.glob("*.po"):
        catalog = read_po(io.BytesIO(path.read_bytes()), locale="en")
        messages.update({str(m.id): str(m.string) for m in catalog if m.id})
    return messages


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_template_message_is_translated(package):
    missing = template_messages(PACKAGES[package]) - set(english_catalog(package))
    assert not missing, f"Messages without an English translation in {package}: {sorted(missing)}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_translation_is_empty(package):
    empty = [message for message, translation in english_catalog(package).items() if not translation.strip()]
    assert not empty


def test_messages_that_reach_templates_through_data_are_translated(registry):
    """Module titles, error titles, site labels, navigation and health names."""
    catalog = {message for package in PACKAGES for message in english_catalog(package)}
    plugins = get_plugins(registry)
    with transaction_scope(registry) as request:
        entries: list[NavEntry] = flatten(plugins.call("cagou_navigation", None, request=request))
        checks: list[HealthResult] = flatten(plugins.call("cagou_health_checks", None, request=request))
    data_messages = {module.title for module in plugins.loaded()}
    data_messages |= {entry.title for entry in entries} | {check.name for check in checks if check.name != "exemple"}
    data_messages |= set(CLIENT_ERROR_TITLES.values()) | set(SITE_LABELS.values())
    data_messages |= {"Page introuvable", "Accès refusé", "Erreur du serveur", "Courriels envoyés", "Journal d'audit"}
    missing = data_messages - set(catalog)
    assert not missing
