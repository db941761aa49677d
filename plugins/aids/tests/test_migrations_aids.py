"""The aids module's models and migrations agree, on the database the suite runs on; its branch is at its head.

The same checks as the core's (tests/test_migrations.py), on a platform that
loads the aids module: its tables are compared with its migrations.
"""

from __future__ import annotations

from pyramid.registry import Registry

from cagou.testing_checks import assert_branch_at_head, assert_models_match_migrations


def test_models_and_migrations_agree(registry: Registry) -> None:
    assert_models_match_migrations(registry)


def test_the_aids_branch_is_at_its_head_and_upgrading_again_changes_nothing(registry: Registry) -> None:
    assert_branch_at_head(registry, "0011_aids_foreign_key_indexes", "0001_aids")
