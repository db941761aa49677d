"""The helpdesk's JSON API, reached with personal tokens, in the platform's OpenAPI document.

(Being written.)
"""

from __future__ import annotations

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    pass
