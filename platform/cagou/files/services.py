"""File storage on the local disk, addressed by content.

A file is kept under the SHA-256 of its bytes, so storing the same file twice
keeps one copy, and a key never points at other content. Writes go to a
temporary name first, then are renamed, so a half-written file is never seen.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from zope.interface import implementer

from cagou.interfaces import IFileStorage


@implementer(IFileStorage)
class LocalFileStorage:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return self.directory / key[:2] / key[2:4] / key

    def store(self, data: bytes, filename: str = "", content_type: str = "") -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as temporary:
            temporary.write(data)
            temporary.flush()
            os.fsync(temporary.fileno())
        Path(temporary.name).replace(path)
        return key

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        if not path.exists():
            raise KeyError(key)
        return path.open("rb")

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except KeyError:
            return False

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except KeyError:
            return
