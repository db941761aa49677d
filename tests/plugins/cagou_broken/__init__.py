"""A module that cannot even be imported."""

import cagou_this_dependency_is_missing  # noqa: F401
