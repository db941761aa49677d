"""Where uploaded files are kept (``cagou.files.directory``), and the virus scanner that looks at them
(``cagou.clamd``)."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.files.scanner import scanner_from_settings
from cagou.files.services import LocalFileStorage
from cagou.interfaces import IFileStorage, IVirusScanner


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    config.register_service(LocalFileStorage(settings["cagou.files.directory"]), IFileStorage)
    # A malformed cagou.clamd stops the start-up here, with its French message.
    config.register_service(scanner_from_settings(settings), IVirusScanner)
