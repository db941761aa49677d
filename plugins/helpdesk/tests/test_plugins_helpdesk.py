"""The platform of the helpdesk's tests loads the core, the helpdesk and the sample module, as listed."""

from __future__ import annotations

from cagou.plugins import CORE, get_plugins


def test_core_and_listed_modules_are_loaded(registry):
    plugins = get_plugins(registry)
    assert [m.name for m in plugins.loaded()] == [CORE, "helpdesk", "sample"]
    assert plugins.modules["helpdesk"].package == "cagou_helpdesk"
