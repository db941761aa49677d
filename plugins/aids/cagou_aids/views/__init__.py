"""The aids module's pages: the public catalogue and the applicant's journey, the instructors' pages (they parse
and render)."""

from __future__ import annotations

from typing import BinaryIO

from pyramid.httpexceptions import HTTPConflict, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response

from cagou.kit import IFileStorage, attachment_response
from cagou_aids.models import INFECTED, QUARANTINED, StoredFile

#: The core's error page, for a refusal the core's error views do not word (a 403 that is not about rights).
ERROR_PAGE = "cagou:web/templates/error.jinja2"
QUARANTINED_MESSAGE = (
    "Ce fichier est en cours d'analyse antivirus : il pourra être téléchargé dès qu'il aura été reconnu sain. "
    "Réessayez dans quelques minutes."
)


def refuse(request: Request, status: int) -> None:
    """Answer ``status``, and keep nothing the refused request wrote."""
    request.tm.doom()
    request.response.status_int = status


def file_response(request: Request, stored: StoredFile) -> Response:
    """A stored file as a download, when its scan allows: a 409 while in quarantine, a 403 once found infected."""
    if stored.scan_state == QUARANTINED:
        raise HTTPConflict(QUARANTINED_MESSAGE)
    if stored.scan_state == INFECTED:
        message = (f"Ce fichier contient un virus ({stored.scan_signature}) : il a été supprimé "
                   "et ne peut pas être téléchargé.")  # fmt: skip
        response = render_to_response(ERROR_PAGE, {"status": 403, "title": "Fichier infecté", "message": message},
                                      request)  # fmt: skip
        response.status_int = 403
        return response
    try:
        file: BinaryIO = request.find_service(IFileStorage).open(stored.storage_key)
    except KeyError:
        raise HTTPNotFound("Ce fichier n'est plus conservé.") from None
    return attachment_response(file, stored.filename, stored.content_type)
