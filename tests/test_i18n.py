"""French first: every message of the templates has its English translation.

The core's and the sample module's; a module's suite checks its own with the
same helpers (cagou.testing_checks; plugins/helpdesk/tests/test_i18n_helpdesk.py).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from cagou.testing_checks import data_messages, english_catalog, template_messages

PACKAGES = {
    "cagou": Path(str(files("cagou"))),
    "cagou_sample": Path(str(files("cagou_sample"))),
}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_template_message_is_translated(package):
    missing = template_messages(PACKAGES[package]) - set(english_catalog(PACKAGES[package]))
    assert not missing, f"Messages without an English translation in {package}: {sorted(missing)}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_translation_is_empty(package):
    catalog = english_catalog(PACKAGES[package])
    empty = [message for message, translation in catalog.items() if not translation.strip()]
    assert not empty


def test_messages_that_reach_templates_through_data_are_translated(registry):
    """Module titles, error titles, site labels, navigation and health names."""
    catalog = {message for package in PACKAGES.values() for message in english_catalog(package)}
    missing = data_messages(registry) - set(catalog)
    assert not missing
