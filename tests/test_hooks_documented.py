"""Every hook is documented where it is declared and in the plugin author's guide."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from cagou import hookspecs

GUIDE = Path(__file__).parent.parent / "docs" / "plugins.md"


@pytest.fixture(scope="module")
def guide_headings() -> set[str]:
    return set(re.findall(r"^#### `(cagou_\w+)\(", GUIDE.read_text(), flags=re.MULTILINE))


def test_there_are_hooks():
    assert len(hookspecs.hook_names()) >= 15


@pytest.mark.parametrize("name", hookspecs.hook_names())
def test_hook_is_in_the_plugin_guide(name, guide_headings):
    assert name in guide_headings, f"{name} is missing from docs/plugins.md"


@pytest.mark.parametrize("name", hookspecs.hook_names())
def test_hook_docstring_says_who_is_asked(name):
    doc = hookspecs.hook_docstring(name)
    assert doc.strip(), f"{name} has no documentation"
    assert "Asked:" in doc, f"{name} does not say which modules are asked"


@pytest.mark.parametrize("name", hookspecs.hook_names())
def test_hook_docstring_names_its_parameters(name):
    parameters = inspect.signature(getattr(hookspecs, name)).parameters
    doc = hookspecs.hook_docstring(name)
    for parameter in parameters:
        assert f":param {parameter}:" in doc, f"{name} does not document its parameter {parameter}"


def test_the_guide_lists_no_hook_that_does_not_exist(guide_headings):
    assert guide_headings <= set(hookspecs.hook_names())


def test_first_result_hooks_say_so():
    for name in hookspecs.hook_names():
        options = getattr(getattr(hookspecs, name), "cagou_spec", {})
        if options.get("firstresult"):
            assert "first non-None result" in hookspecs.hook_docstring(name), name
