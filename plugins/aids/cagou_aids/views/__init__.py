"""The aids module's pages: the public catalogue and the applicant's journey, the instructors' pages (they parse
and render)."""

from __future__ import annotations

from pyramid.request import Request


def refuse(request: Request, status: int) -> None:
    """Answer ``status``, and keep nothing the refused request wrote."""
    request.tm.doom()
    request.response.status_int = status
