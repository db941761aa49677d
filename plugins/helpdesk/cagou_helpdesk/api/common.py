"""What the API's files share: its routes, permissions and limits."""

from __future__ import annotations

from cagou_helpdesk import queries

CREATE = "helpdesk:ticket:create"
WORK = "helpdesk:ticket:work"

TICKETS = "helpdesk.api.tickets"
TICKET = "helpdesk.api.ticket"
MESSAGES = "helpdesk.api.messages"
ATTACHMENT_ROUTE = "helpdesk.api.attachment"
RATING = "helpdesk.api.rating"
PREFIX = "/api/v1/assistance/tickets"
TAGS = ("assistance",)

#: Tickets per page when the client does not say, and at most.
DEFAULT_LIMIT = queries.PAGE_SIZE
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 200
#: Ids beyond a 32-bit integer name no ticket (and would overflow PostgreSQL's integer).
MAX_ID = 2**31 - 1
#: The requester's own tickets, most recent first: the view of anyone without helpdesk:ticket:work.
REQUESTED = "requested"
VIEWS = {REQUESTED: "Mes demandes", **queries.VIEWS}

CREATE_FIELDS = ("title", "description", "category", "urgency", "impact", "contact_phone", "requester")
PATCH_FIELDS = ("status", "waiting_for", "priority", "reason", "group", "assignee", "parent")
MESSAGE_FIELDS = ("body", "kind")
RATING_FIELDS = ("rating", "comment")
RATINGS = {value: str(value) for value in range(1, 6)}
#: The longest rating comment ITickets.rate takes, for the OpenAPI document (a test holds them together).
MAX_COMMENT = 2000
#: The content type of a reply with files, and the name of its file parts (that of the web form's field).
MULTIPART = "multipart/form-data"
FILES = "attachments"
