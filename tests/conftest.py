"""The core's test suite runs the platform with the sample module of tests/plugins."""

from __future__ import annotations

import pytest

pytest_plugins = ["cagou.testing"]


@pytest.fixture(scope="session")
def cagou_modules() -> tuple[str, ...]:
    return ("cagou_sample",)
