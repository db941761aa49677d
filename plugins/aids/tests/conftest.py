"""The aids module's tests: a real platform with the module, from cagou.testing's fixtures."""

from __future__ import annotations

import pytest

pytest_plugins = ["cagou.testing"]


@pytest.fixture(scope="session")
def cagou_modules() -> tuple[str, ...]:
    """The platform of these tests loads this module only (cagou.testing migrates its branch too)."""
    return ("cagou_aids",)
