"""Files people send: read from the form, their type judged from their bytes, sent back as attachments.

Every module that takes files does the same three things, here once:

- :func:`uploads_of` reads a multipart field's files (the input guard has
  already refused a malformed body);
- :func:`check_upload` refuses, with a French message next to the field, a
  file that is empty, over its size limit, or whose **content** is not one
  of the accepted types (``filetype`` reads the signature; the name and the
  browser's type are not trusted: a program renamed ``.pdf`` is refused);
- :func:`attachment_response` sends a file back as a download, whatever its
  type, under a name quoted for the header (RFC 5987), with the platform's
  ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

import filetype
from pyramid.request import Request
from pyramid.response import FileIter, Response

from cagou.web.form_bodies import PostedFile
from cagou.web.forms import FormErrors


@dataclass(frozen=True)
class Upload:
    """A file as sent: the name the person's computer gave it, and its bytes."""

    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def uploads_of(request: Request, name: str) -> list[Upload]:
    """The files sent in the form's field ``name`` (an input left empty sends none)."""
    found = []
    for item in request.POST.getall(name):
        if isinstance(item, PostedFile) and item.filename:
            found.append(Upload(item.filename[:255], item.file.read()))
    return found


def sniffed_type(data: bytes) -> str | None:
    """The content type the bytes' signature says; ``text/plain`` for readable text (a log carries no
    signature: no NUL byte, UTF-8 or Windows-1252); None otherwise."""
    kind = filetype.guess(data)
    if kind is not None:
        return str(kind.mime)
    if b"\x00" in data[:8192]:
        return None
    for encoding in ("utf-8", "cp1252"):
        try:
            data[:65536].decode(encoding)
        except UnicodeDecodeError:
            continue
        return "text/plain"
    return None


def check_upload(
    errors: FormErrors, name: str, upload: Upload, accepted: Mapping[str, str], max_bytes: int
) -> str | None:
    """The file's content type if it is accepted (``accepted``: content type → its French name); None, with the
    message under ``name`` in ``errors``, otherwise."""
    if not upload.data:
        errors.add(name, f"« {upload.filename} » est vide.")
        return None
    if len(upload.data) > max_bytes:
        size = f"{len(upload.data) / 1024 / 1024:.1f}".replace(".", ",")
        maximum = f"{max_bytes / 1024 / 1024:g}".replace(".", ",")
        errors.add(name, f"« {upload.filename} » pèse {size} Mo : la limite est de {maximum} Mo par fichier.")
        return None
    content_type = sniffed_type(upload.data)
    if content_type not in accepted:
        kinds = ", ".join(sorted(set(accepted.values())))
        errors.add(name, f"« {upload.filename} » n'est pas d'un type accepté (d'après son contenu) : {kinds}.")
        return None
    return content_type


def attachment_response(file: IO[bytes], filename: str, content_type: str) -> Response:
    """A download of ``file`` named ``filename``, never shown inline."""
    response = Response(content_type=content_type)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    response.app_iter = FileIter(file)
    return response
