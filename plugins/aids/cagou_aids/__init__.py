"""The aids module: procedures an agent publishes, and the applications residents and companies send.

This first part holds the procedures' definitions and their forms, the
procedures and applications services (receipt numbers, idempotent
submission); its pages come next (docs/aids.md says what is there).
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou_aids import models  # noqa: F401  (the module's tables join the metadata)
from cagou_aids.hooks import *  # noqa: F403  (the hook implementations are the module's API)


def includeme(config: Configurator) -> None:
    config.include("cagou_aids.services")
