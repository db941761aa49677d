"""French first: every message of the helpdesk's templates has its English translation.

The helpers are the core's (cagou.testing_checks, as tests/test_i18n.py checks
the core's own messages): the templates' messages, the catalog's, and those
that reach the templates through data (the module's title, its navigation
entries and health checks, besides the core's).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from cagou.plugins import get_plugins
from cagou.testing_checks import data_messages, english_catalog, template_messages

HELPDESK = Path(str(files("cagou_helpdesk")))


def loaded_packages(registry) -> list[Path]:
    """The folders of the core and of every module the platform loaded, found by the platform, not named here."""
    plugins = get_plugins(registry).loaded()
    return [Path(str(files(module.plugin.__name__.split(".")[0]))) for module in plugins if module.plugin is not None]


def test_every_template_message_is_translated():
    missing = template_messages(HELPDESK) - set(english_catalog(HELPDESK))
    assert not missing, f"Messages without an English translation in cagou_helpdesk: {sorted(missing)}"


def test_no_translation_is_empty():
    empty = [message for message, translation in english_catalog(HELPDESK).items() if not translation.strip()]
    assert not empty


def test_messages_that_reach_templates_through_data_are_translated(registry):
    """Module titles, error titles, site labels, navigation and health names, the helpdesk's among them."""
    catalog = {message for package in loaded_packages(registry) for message in english_catalog(package)}
    missing = data_messages(registry) - set(catalog)
    assert not missing
