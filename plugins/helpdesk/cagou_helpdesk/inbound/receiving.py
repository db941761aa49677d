"""Receiving: who writes, to which ticket, and the ticket or reply made of it in one transaction."""

from __future__ import annotations

import os
from collections.abc import Sequence
from email.message import EmailMessage

import sqlalchemy as sa
from pyramid.registry import Registry
from pyramid.request import Request

from cagou.kit import (
    INTRANET,
    Account,
    IAccounts,
    IAuditLog,
    IModuleStates,
    Invalid,
    IRateLimits,
    Refused,
    act_as,
    environment_name,
    is_sqlite_busy,
    transaction_scope,
)
from cagou_helpdesk.checks import MAX_TEXT, TicketInput
from cagou_helpdesk.inbound.answers import (
    DISABLED,
    FAILED,
    Outcome,
    Rollback,
    accepted,
    deferred,
    dropped,
    duplicate,
    refused,
    reject,
)
from cagou_helpdesk.inbound.common import (
    ATTEMPTS,
    MAIL_CATEGORY_DEFAULT,
    MAIL_CATEGORY_SETTING,
    REFUSALS_OVERALL,
    REFUSALS_PER_SENDER,
    log,
)
from cagou_helpdesk.inbound.reading import (
    Incoming,
    automatic_reason,
    body_of,
    message_id_of,
    screen_uploads,
    sender_of,
    strip_quoted,
    title_of,
    truncate,
    uploads_of,
    with_notes,
)
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import (
    CLOSED,
    MAIL,
    NOTE,
    REPLY,
    MailLink,
    Ticket,
    id_of_reference,
)
from cagou_helpdesk.permissions import account_can, may_work_on
from cagou_helpdesk.rules import MODULE, takes_replies


def mail_category(registry: Registry) -> str:
    """The category path given to tickets opened by mail (``helpdesk.mail_category``)."""
    value = os.environ.get(environment_name(MAIL_CATEGORY_SETTING))
    if value is None:
        value = str(registry.settings.get(MAIL_CATEGORY_SETTING, MAIL_CATEGORY_DEFAULT))
    return value.strip()


def known_agents(request: Request, address: str) -> list[Account]:
    """The active staff accounts using ``address`` that may ask the helpdesk for help."""
    if not address:
        return []
    staff = request.find_service(IAccounts).staff_by_email(address)
    return [account for account in staff if account_can(request, account, "helpdesk:ticket:create")]


def threaded_ticket(request: Request, mail: Incoming) -> Ticket | None:
    """The ticket whose mail this message answers, by In-Reply-To then References."""
    for identifier in mail.thread_ids():
        link = request.db.get(MailLink, identifier)
        if link is not None:
            ticket: Ticket | None = request.db.get(Ticket, link.ticket_id)
            return ticket
    return None


def author_on(request: Request, ticket: Ticket, candidates: Sequence[Account]) -> Account | None:
    """Who among the sender's accounts may write in this ticket: its requester, else a technician on it."""
    for account in candidates:
        if account.id == ticket.requester_id:
            return account
    for account in candidates:
        if may_work_on(request, ticket, account):
            return account
    return None


def module_enabled(registry: Registry) -> bool:
    states = registry.getUtility(IModuleStates)
    return bool(states.is_enabled(MODULE, INTRANET))


def receive(
    registry: Registry,
    envelope_from: str,
    message: EmailMessage,
    recipients: Sequence[str] = (),
    peer: str | None = None,
    raw: bytes | None = None,
) -> Outcome:
    """Do what ``message`` asks (a reply, a new ticket, nothing) in one transaction, and say what became of it.

    A conflict with a concurrent delivery of the same message (the primary key
    of ``helpdesk_mail_link``, a busy SQLite, a PostgreSQL serialization
    failure) is tried again; the next attempt finds the message already
    received. Anything unexpected rolls the transaction back and answers 451.
    """
    if not module_enabled(registry):
        return DISABLED
    raw = raw if raw is not None else message.as_bytes()
    mail = Incoming(
        message=message,
        message_id=message_id_of(message, raw),
        envelope_from=envelope_from.strip(),
        sender=sender_of(message),
        recipients=tuple(recipients),
        peer=peer,
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction_scope(registry) as request:
                as_listener(request, mail)
                outcome = handle(request, mail)
        except Rollback as rollback:
            outcome = rollback.outcome
            if rollback.audited:
                try:
                    record_refusal(registry, mail, outcome)
                except Exception:
                    log.exception("Mail %s from %s: its refusal could not be audited", mail.message_id, mail.sender)
                    return FAILED
        except sa.exc.DBAPIError as error:
            if attempt < ATTEMPTS and is_conflict(error):
                log.info("Mail %s: conflict with another delivery (%s), trying again", mail.message_id, error.orig)
                continue
            log.exception("Mail %s from %s could not be handled", mail.message_id, mail.sender)
            return FAILED
        except Exception:
            log.exception("Mail %s from %s could not be handled", mail.message_id, mail.sender)
            return FAILED
        log.info("Mail %s from %s: %s (%s)", mail.message_id, mail.sender or "?", outcome.kind, outcome.detail)
        return outcome
    return FAILED  # pragma: no cover (the loop returns)


def is_conflict(error: sa.exc.DBAPIError) -> bool:
    """A unique key taken by a concurrent transaction, a busy SQLite, a PostgreSQL serialization failure or deadlock."""
    if isinstance(error, sa.exc.IntegrityError) or is_sqlite_busy(error):
        return True
    return getattr(error.orig, "sqlstate", None) in ("40001", "40P01")


def record_refusal(registry: Registry, mail: Incoming, outcome: Outcome) -> None:
    """Audit a refused or dropped message, in a transaction of its own, unless too many came lately.

    Past :data:`REFUSALS_PER_SENDER` or :data:`REFUSALS_OVERALL`, the refusal
    is in the listener's log only: a burst of unwanted mail, from one address
    or many, cannot fill the audit log. The answer to the sending server is the
    same either way.
    """
    checks = {REFUSALS_PER_SENDER.name: mail.envelope_from or mail.sender, REFUSALS_OVERALL.name: "*"}
    with transaction_scope(registry) as request:
        as_listener(request, mail)
        limits = request.find_service(IRateLimits)
        if limits.blocked_for(checks) is not None:
            log.warning(
                "Mail %s from %s: too many refusals lately, this one is not audited", mail.message_id, mail.sender
            )
            return
        limits.count(checks)
        request.find_service(IAuditLog).record_now(
            "helpdesk:mail:refused",
            f"Courriel de {mail.sender or mail.envelope_from or 'expéditeur inconnu'} non versé à l'assistance : "
            f"{outcome.detail}.",
            module=MODULE,
            changes={
                "message_id": mail.message_id,
                "from": mail.sender,
                "envelope_from": mail.envelope_from,
                "subject": mail.subject[:200],
                "answer": outcome.smtp_reply,
            },
        )


def as_listener(request: Request, mail: Incoming) -> None:
    """The audit log says the listener did it, and from which relay the message came."""
    request.user_agent = f"cagou helpdesk-mail (SMTP {mail.peer or 'local'})"
    if mail.peer:
        request.environ["REMOTE_ADDR"] = mail.peer


def handle(request: Request, mail: Incoming) -> Outcome:
    """The work of :func:`receive`, in its transaction; raises :class:`Rollback` to keep nothing."""
    registry = request.registry
    reason = automatic_reason(registry, mail)
    if reason is not None:
        raise reject(dropped(reason))
    link = request.db.get(MailLink, mail.message_id)
    if link is not None:
        if link.incoming:
            raise Rollback(duplicate(link.ticket_id))
        raise reject(dropped("boucle : notification de l'assistance revenue telle quelle"))
    candidates = known_agents(request, mail.sender)
    if not candidates:
        raise reject(
            refused("Sender is not a known agent of the helpdesk", "expéditeur inconnu ou compte désactivé"),
        )
    ticket = threaded_ticket(request, mail)
    author: Account | None = None
    if ticket is not None:
        author = author_on(request, ticket, candidates)
        if author is None:
            raise reject(
                refused(
                    f"You may not write in ticket {ticket.reference}",
                    f"l'expéditeur n'est ni le demandeur du ticket {ticket.reference} ni un technicien de sa file",
                ),
            )
    else:
        quoted = id_of_reference(mail.subject)
        found = request.db.get(Ticket, quoted) if quoted is not None else None
        author = author_on(request, found, candidates) if found is not None else None
        ticket = found if author is not None else None
    if ticket is None or author is None:
        if len(candidates) > 1:
            raise reject(
                refused(
                    "Sender address is shared by several accounts",
                    f"l'adresse {mail.sender} est celle de plusieurs comptes",
                ),
            )
        outcome = new_ticket(request, mail, candidates[0])
    else:
        outcome = reply(request, mail, ticket, author)
    assert outcome.ticket_id is not None
    # A concurrent delivery of the same message stops there (primary key), before anything is committed.
    request.find_service(ITickets).remember_incoming(mail.message_id, outcome.ticket_id)
    return outcome


def provenance(request: Request, mail: Incoming, ticket: Ticket, what: str) -> None:
    request.find_service(ITickets).record(
        ticket,
        "mail",
        f"Courriel de {mail.sender} reçu pour le ticket {ticket.reference} ({what}).",
        after={
            "message_id": mail.message_id,
            "envelope_from": mail.envelope_from,
            "recipients": list(mail.recipients),
            "peer": mail.peer,
        },
    )


def reply(request: Request, mail: Incoming, ticket: Ticket, author: Account) -> Outcome:
    """A reply in ``ticket``: public from its requester, an internal note from a technician."""
    is_requester = author.id == ticket.requester_id
    if is_requester and not takes_replies(request, ticket):
        return new_ticket(request, mail, author, follows=ticket)
    if not is_requester and ticket.status == CLOSED:
        raise reject(
            refused(f"Ticket {ticket.reference} is closed", f"le ticket {ticket.reference} est clos", "5.7.1"),
        )
    act_as(request, author)
    text, body_part = body_of(mail.message)
    uploads, notes = screen_uploads(request, uploads_of(mail.message, body_part))
    body = strip_quoted(text)
    if not body and not uploads and not notes:
        raise reject(refused("Message has no text", "courriel sans texte", "5.6.0"))
    body = with_notes(body or "(courriel sans texte : voir les pièces jointes)", notes)
    kind = REPLY if is_requester else NOTE
    try:
        request.find_service(ITickets).add_message(
            ticket, author, truncate(body, MAX_TEXT), kind=kind, uploads=uploads, source=MAIL
        )
    except (Invalid, Refused) as error:
        raise reject(services_refusal(error)) from error
    what = "réponse du demandeur" if is_requester else f"note interne de {author.display_name}"
    provenance(request, mail, ticket, what)
    return accepted(ticket, what)


def new_ticket(request: Request, mail: Incoming, requester: Account, follows: Ticket | None = None) -> Outcome:
    """A ticket opened by mail; ``follows``: the closed ticket the mail answered, quoted at the top."""
    act_as(request, requester)
    text, body_part = body_of(mail.message)
    uploads, notes = screen_uploads(request, uploads_of(mail.message, body_part))
    if follows is not None:
        text = strip_quoted(text)
        title = f"Suite de {follows.reference} : {follows.title}"
        status = follows.status_label.lower()
        text = f"Suite du ticket {follows.reference} ({status}), auquel ce courriel répond :\n\n{text}"
    else:
        title = title_of(mail.subject)
        text = text.strip() or title
    data = TicketInput(
        title=title_of(title),
        description=truncate(with_notes(text, notes), MAX_TEXT),
        category=mail_category(request.registry),
        uploads=list(uploads),
    )
    try:
        ticket = request.find_service(ITickets).open(data, requester, source=MAIL)
    except Invalid as error:
        if "category" in error.errors:
            log.error(
                "Tickets opened by mail need the category named by %s (%r): %s",
                MAIL_CATEGORY_SETTING,
                data.category,
                error.errors["category"],
            )
            raise Rollback(
                deferred(
                    "Helpdesk mail category is not configured",
                    f"catégorie des tickets ouverts par courriel introuvable : « {data.category} »",
                    "4.3.5",
                )
            ) from error
        raise reject(services_refusal(error)) from error
    except Refused as error:
        raise reject(services_refusal(error)) from error
    what = f"suite du ticket clos {follows.reference}" if follows is not None else "nouveau ticket"
    provenance(request, mail, ticket, what)
    return accepted(ticket, what)


def services_refusal(error: Invalid | Refused) -> Outcome:
    """The services said no: a temporary answer for a configuration problem, a refusal otherwise."""
    detail = str(error.message if isinstance(error, Refused) else error)
    if isinstance(error, Refused) and error.status >= 500:
        return deferred("Helpdesk is not ready, try again later", detail, "4.3.5")
    return refused("Message refused by the helpdesk rules", detail, "5.7.1")
