"""French first: every message of the aids module's pages has its English translation."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pyramid.registry import Registry

from cagou.testing_checks import assert_module_translated


def test_every_message_is_translated(registry: Registry) -> None:
    assert_module_translated(registry, Path(str(files("cagou_aids"))))
