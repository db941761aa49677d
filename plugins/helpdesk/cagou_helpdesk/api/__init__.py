"""The helpdesk's JSON API, reached with personal tokens, in the platform's OpenAPI document.

Under ``/intranet/api/v1/assistance/``:

- ``GET tickets``: the tickets the token's owner may see, a page at a time
  (keyset cursor in ``next``): a requester's own (view ``requested``), a
  technician's queues (views of :data:`queries.VIEWS`, ``group`` by default);
- ``POST tickets``: open a ticket (a technician may open it for someone
  else), in JSON, or in ``multipart/form-data`` with files;
- ``GET tickets/{id}``: one ticket with its messages; internal notes only for
  the technicians of its group;
- ``PATCH tickets/{id}``: status, priority (with a reason), group, assignee,
  parent incident; technicians of the ticket's groups only;
- ``POST tickets/{id}/messages``: a public reply, or an internal note
  (technicians), in JSON, or in ``multipart/form-data`` with files
  (``attachments``) checked as the web form checks them. A requester reopens
  a resolved ticket by replying to it, as they would by mail;
- ``GET tickets/{id}/attachments/{attachment}``: a file of the ticket, as it
  was sent (those of internal notes for the technicians of its group only);
- ``PUT tickets/{id}/rating``: the requester rates the answer to a resolved
  ticket, 1 to 5, with a comment.

A ticket's JSON lists its attachments (with their download address), its
parent incident and, for the technicians of its group, the tickets linked to
it when it is a major incident.

The package: routes and limits in ``common``, the JSON schemas in ``schemas``, the
documented operations in ``operations``, reading requests in ``reading``, the JSON
answers in ``answers``, the views in ``views``.

Every change goes through :mod:`cagou_helpdesk.services`, which check the rules
and write the audit log. A refusal is raised as :class:`ApiError` and answered
by an exception view, so pyramid_tm aborts the request's transaction: a
refused request stores nothing, even when part of it had already been applied.
Errors are the core's JSON errors (:func:`cagou.web.views.json_error`:
``{"error": "…"}``), with ``errors`` (field → French message) when input is
refused field by field; each operation declares the refusals it adds to the
core's (404, 409, 503) for the OpenAPI document.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.kit import INTRANET
from cagou_helpdesk.api.common import ATTACHMENT_ROUTE, MESSAGES, PREFIX, RATING, TICKET, TICKETS
from cagou_helpdesk.api.operations import declare_operations


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, TICKETS, PREFIX)
    config.add_site_route(INTRANET, TICKET, PREFIX + "/{id}")
    config.add_site_route(INTRANET, MESSAGES, PREFIX + "/{id}/messages")
    config.add_site_route(INTRANET, ATTACHMENT_ROUTE, PREFIX + "/{id}/attachments/{attachment}")
    config.add_site_route(INTRANET, RATING, PREFIX + "/{id}/rating")
    declare_operations(config)
    config.scan("cagou_helpdesk.api")
