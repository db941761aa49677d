"""The helpdesk administrator's pages: categories, groups, priority matrix, service levels.

(Being written.)
"""

from __future__ import annotations

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
