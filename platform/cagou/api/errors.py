"""The JSON API's refusals, raised from any module's view, answered in the API's one error format.

Raising rather than returning matters: the exception view answers, so
pyramid_tm aborts the transaction and whatever the request already wrote is
undone. :func:`refusals` turns a service's :class:`~cagou.refusals.Invalid`
and :class:`~cagou.refusals.Refused` into such an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config

from cagou.refusals import Invalid, Refused
from cagou.web.views import json_error


class ApiError(Exception):
    """A refused API request: its status, a French message, and the field errors when there are some."""

    def __init__(self, status: int, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors or {})


def invalid(errors: Mapping[str, str]) -> ApiError:
    """A 400 whose message gathers the field errors, which it also gives field by field."""
    return ApiError(400, "; ".join(errors.values()), errors)


@exception_view_config(ApiError)
def api_error(error: ApiError, request: Request) -> Response:
    return json_error(request, error.status, error.message, error.errors)


@contextmanager
def refusals() -> Iterator[None]:
    """Within it, a service's refusals become API errors: 400 with the fields, or the refusal's own status."""
    try:
        yield
    except Invalid as error:
        raise invalid(error.errors) from error
    except Refused as error:
        raise ApiError(error.status, error.message) from error
