"""French first: every message of the helpdesk's templates has its English translation.

The check is the core's (cagou.testing_checks, as tests/test_i18n.py checks
the core's own messages): the templates' messages have a non-empty English
translation in the catalog, and so have those that reach the templates
through data (the module's title, its navigation entries and health checks,
besides the core's).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pyramid.registry import Registry

from cagou.testing_checks import assert_module_translated


def test_every_message_is_translated(registry: Registry) -> None:
    assert_module_translated(registry, Path(str(files("cagou_helpdesk"))))
