"""Where uploaded files are kept (``cagou.files.directory``)."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.files.services import LocalFileStorage
from cagou.interfaces import IFileStorage


def includeme(config: Configurator) -> None:
    directory = config.get_settings()["cagou.files.directory"]
    config.register_service(LocalFileStorage(directory), IFileStorage)
