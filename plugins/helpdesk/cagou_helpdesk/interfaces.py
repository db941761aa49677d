"""The helpdesk's services, as zope.interface interfaces (the Warehouse manner, as the core does).

Views, the JSON API, the mail listener, the jobs and the demonstration data
ask the request for a service by its interface
(``request.find_service(ITickets)``), never import an implementation: the
implementations live in :mod:`cagou_helpdesk.services`, one file each, and
``services.includeme`` registers their factories.

The services are cut by what they change, one per thing an administrator or
a technician looks after, so that each file reads as the rules of one thing:

- :class:`ITickets`: a ticket's life, from its opening to its rating;
- :class:`ICategories`, :class:`IGroups`, :class:`IPriorities`,
  :class:`IServiceLevels`: the helpdesk's configuration, one per page of its
  administration;
- :class:`IKnowledgeBase`: the articles and the canned answers.

Every method checks what it is given and raises ``Invalid`` (field errors,
400) or ``Refused`` (a French message and an HTTP status) without changing
anything; when it changes something it writes the audit entry in the same
transaction. Questions that change nothing (who may work on a ticket, when a
ticket may be reopened) are functions of :mod:`cagou_helpdesk.permissions`
and :mod:`cagou_helpdesk.rules`.
"""

from __future__ import annotations

from zope.interface import Interface

# ruff: noqa: N805  (zope.interface methods are declared without ``self``)


class ITickets(Interface):
    """A ticket's life: opening, messages, assignment, status, rating, priority, incidents.

    ``actor`` (or ``technician``): who acts, the signed-in person when None; a
    job or the mail listener passes the account it acts for.
    """

    def open(data, requester, opened_by=None, source="web"):
        """Open a ticket for ``requester`` from a ``TicketInput`` and return it.

        Checks the title, description, category, urgency, impact, telephone
        number and attachments (``Invalid``) and that the requester is an
        active agent; ``Refused`` (503) when the category has no group. Writes
        the ticket, its attachments, the ``helpdesk:ticket:create`` entry and
        the job of its acknowledgement (``helpdesk.acknowledge``), in the
        request's transaction.
        """

    def acknowledge(ticket):
        """Write the requester's acknowledgement of a new ticket once, and mark the ticket acknowledged.

        The worker's job calls it; a second call, or a concurrent one on
        another worker, writes no second mail (the outbox's idempotency key).
        Returns the outbox id, or None when nothing was written.
        """

    def add_message(ticket, author, body, kind="reply", uploads=(), source="web"):
        """Add a reply or an internal note to ``ticket`` and return the message.

        ``Invalid`` for an empty or long text or a refused attachment;
        ``Refused`` when ``author`` neither asked nor works on the ticket, when
        a requester writes a note, or when the ticket is closed (409). Audits
        ``note`` or ``reply``; a requester's reply wakes a waiting ticket and
        reopens a resolved one, a technician's is mailed to the requester.
        """

    def take(ticket, technician):
        """``technician`` takes an unassigned open ticket of their groups.

        ``Refused`` when it is closed, outside their groups, or when another
        technician took it a moment before. Audits ``take``.
        """

    def claim(ticket_id, technician):
        """Assign the ticket if nobody holds it, in one conditional UPDATE; True when it did. Not audited."""

    def take_next(technician):
        """Take the most urgent unassigned new ticket of the technician's groups; None when there is none.

        ``Refused`` (403) for someone in no group. Audits ``take``.
        """

    def assign(ticket, group, assignee, actor=None):
        """Put an open ticket in ``group``'s queue, with a member of that group (or its manager) or nobody.

        ``Refused`` outside the actor's groups, for a closed ticket, a
        non-member or a disabled account. Audits ``assign``.
        """

    def release_assigned(account):
        """Give every open ticket held by ``account`` back to its queue (its account is disabled); how many.

        Audits ``release`` for each.
        """

    def release_in_group(group, account):
        """Give ``account``'s open tickets of ``group`` back to its queue (they left it); how many.

        Audits ``release`` for each.
        """

    def change_status(ticket, status, waiting_for=None, technician=None):
        """A technician moves the ticket along its lifecycle (``rules.TRANSITIONS``).

        ``Refused`` outside their groups, for an unknown status, a transition
        the lifecycle forbids, or waiting without saying for whom. Whoever
        works on or resolves an unassigned ticket holds it. See :meth:`set_status`.
        """

    def set_status(ticket, status, waiting_for=None):
        """Move the ticket, its rules already checked (the automatic closing, a requester's reply).

        Pauses or resumes the service-level clock, audits ``status``; resolving
        mails the requester and resolves the ticket's open duplicates.
        """

    def reopen(ticket, author):
        """The requester says the problem persists: a resolved ticket goes back to work.

        ``Refused`` when it is not resolved or its reopening delay is past.
        Clears the rating; audits ``status`` and ``reopen``.
        """

    def rate(ticket, rating, comment):
        """The requester rates the answer from 1 to 5, with an optional comment.

        ``Invalid`` for a rating outside 1-5 or a long comment; ``Refused``
        before the ticket is resolved. Audits ``rate``.
        """

    def override_priority(ticket, priority, reason, actor=None):
        """A technician sets the priority by hand, saying why; the due dates follow.

        ``Refused`` outside their groups; ``Invalid`` for an unknown priority
        or a missing reason. Audits ``priority``.
        """

    def link_to_incident(child, parent, actor=None):
        """``child`` duplicates the major incident ``parent`` and will be resolved with it.

        ``Refused`` outside the actor's groups, for a ticket linked to itself,
        a parent that is itself a duplicate, a child that has duplicates, or a
        closed ticket. Audits ``link``.
        """

    def mark_breached(ticket, which):
        """Note, once, that the ticket is past its service level (``which`` delay, in French). Audits ``breach``."""

    def remember_incoming(message_id, ticket_id):
        """Remember that the mail ``message_id`` went into the ticket; ``IntegrityError`` when it already did."""

    def record(ticket, action, summary, before=None, after=None):
        """Write the entry ``helpdesk:ticket:<action>`` for a fact about the ticket the caller saw (a mail received)."""


class ICategories(Interface):
    """The category tree: where a ticket goes and under which name (``CategoryInput`` of :mod:`.checks`)."""

    def add(data):
        """Create an active category under ``data.parent`` (or at the root) and return it.

        ``Invalid`` for a missing or long name, a name holding « > », a name
        taken among its siblings (whatever the case and accents, also when
        another administrator stored it a moment before), an unknown or
        disabled parent, an unknown group, a path too long. Audits
        ``helpdesk:category:create``.
        """

    def update(category, data):
        """Rename, move and set the group of ``category``; what changed, in French words.

        The checks of :meth:`add`, and no category goes under itself or its
        own branch. Renaming or moving rewrites the descendants' paths. Audits
        ``category:rename``, ``category:move``, ``category:group`` for what changed.
        """

    def set_active(category, active):
        """Deactivate ``category`` with its subtree, or reactivate it alone; the categories changed.

        ``Refused`` (409) when reactivating a category whose parent is
        disabled. Audits ``category:activate`` or ``category:deactivate``.
        """


class IGroups(Interface):
    """The groups of technicians: their name, their manager, their members."""

    def create(code, name):
        """Create a group and return it.

        ``Invalid`` for a missing, malformed or taken code, a missing, long or
        taken name. Audits ``helpdesk:group:create``.
        """

    def rename(group, name):
        """Rename ``group``; False when the name did not change.

        ``Invalid`` for a missing, long or taken name. Audits ``group:rename``.
        """

    def set_manager(group, login):
        """Make the account ``login`` (an active holder of the manager's role) manage ``group``; empty: nobody.

        False when nothing changed; ``Invalid`` for an unknown, disabled or
        role-less login. Audits ``group:manager``.
        """

    def add_member(group, login):
        """Add the technician (or manager) ``login`` to ``group`` and return their account.

        ``Invalid`` for an unknown, disabled or role-less login, or one
        already a member. Audits ``group:member_add``.
        """

    def remove_member(group, account):
        """Take ``account`` out of ``group``; their open tickets of it go back to its queue. How many did.

        A manager keeps their tickets. Audits ``group:member_remove`` and, for
        each ticket given back, ``ticket:release``.
        """


class IPriorities(Interface):
    """The priority matrix: urgency by impact. Tickets already open keep their priority."""

    def save_matrix(form):
        """Store the nine cells sent by the administration's form; the cells that changed, as (before, after).

        ``Invalid`` for a cell that names no priority. Audits
        ``helpdesk:priority_matrix:update`` when something changed.
        """


class IServiceLevels(Interface):
    """The service levels: first response and resolution delays per priority, in business time."""

    def save(form):
        """Store the delays sent by the administration's form; those that changed, as (before, after).

        ``Invalid`` for hours or minutes that are not whole numbers, minutes
        past 59, a delay not positive or past the maximum, a resolution shorter
        than the first response. Audits ``helpdesk:service_level:update`` for
        each priority changed.
        """


class IKnowledgeBase(Interface):
    """The knowledge base's articles (``ArticleInput`` of :mod:`.checks`) and the technicians' canned answers."""

    def create_article(data):
        """Write a new draft by the signed-in person and return it.

        ``Invalid`` for a missing or long title or text, an unknown or
        disabled category. Audits ``helpdesk:article:create``.
        """

    def update_article(article, data):
        """Save an edit; False when nothing changed.

        The checks of :meth:`create_article` (the article keeps its category
        even if it was disabled since). Audits ``article:update``.
        """

    def publish_article(article, published):
        """Publish or withdraw an article; False when it already was.

        Audits ``article:publish`` or ``article:unpublish``.
        """

    def create_canned(title, body):
        """Write a canned answer and return it.

        ``Invalid`` for a missing or long title or text, or a title already
        taken (whatever the case). Audits ``helpdesk:canned_answer:create``.
        """

    def update_canned(answer, title, body):
        """Change a canned answer; False when nothing changed.

        The checks of :meth:`create_canned`. Audits ``canned_answer:update``.
        """

    def delete_canned(answer):
        """Delete a canned answer. Audits ``canned_answer:delete``."""
