"""Mail to the helpdesk: an SMTP/LMTP listener that turns messages into tickets and replies.

``cagou helpdesk-mail`` runs an aiosmtpd server (SMTP, or LMTP with
``--lmtp``) that the organisation's mail server hands the helpdesk's mail to.
Each message is parsed once, whatever the number of its recipients, and given
to :func:`receive`, which does the work in one transaction and says what to
answer:

- a reply to a notification (``In-Reply-To`` / ``References`` naming a
  Message-ID the helpdesk sent or received) lands in that ticket; so does a
  mail whose subject quotes ``HD-000123`` when its sender is the ticket's
  requester or a technician working on it;
- any other mail from a known agent opens a ticket for them;
- an unknown sender is refused (550), nothing is created;
- auto-replies, bounces, mailing lists and the platform's own mail are
  accepted and dropped (250: a refusal would bounce and feed the loop), with
  only a ``refused`` entry in the audit log (a limited number per hour, see
  :func:`record_refusal`);
- the same message delivered twice (a retry, a reply-all reaching two helpdesk
  addresses) is recognised by its Message-ID and handled once;
- while the module is disabled on the intranet, or when something fails,
  the answer is 451: the sending server keeps the message and tries again.

Every change goes through :mod:`cagou_helpdesk.services`, so the rules of
the web pages (a closed ticket takes no reply, attachments checked by their
content, every reply audited) hold for mail too.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
import os
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any, ClassVar

import click
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from pyramid.registry import Registry
from pyramid.request import Request

from cagou.kit import (
    INTRANET,
    Account,
    Environment,
    FormErrors,
    IAccounts,
    IAuditLog,
    IModuleStates,
    Invalid,
    IRateLimits,
    RateLimit,
    Refused,
    act_as,
    environment_name,
    fail,
    is_sqlite_busy,
    pass_env,
    transaction_scope,
)
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import (
    CLOSED,
    MAIL,
    NOTE,
    REPLY,
    MailLink,
    Ticket,
    id_of_reference,
)
from cagou_helpdesk.services import (
    MAX_TEXT,
    MAX_TITLE,
    MODULE,
    TicketInput,
    Upload,
    account_can,
    add_message,
    audit,
    check_uploads,
    may_work_on,
    now,
    open_ticket,
    takes_replies,
)

log = logging.getLogger(__name__)

#: The category of tickets opened by mail (a mail names none); its full path.
MAIL_CATEGORY_SETTING = "helpdesk.mail_category"
MAIL_CATEGORY_DEFAULT = "Autre"
#: The largest message the listener takes, in bytes (announced by ``SIZE``).
DATA_SIZE_LIMIT = 40 * 1024 * 1024
#: How many times a delivery is tried again after a conflict with another one.
ATTEMPTS = 4
#: Refused or dropped messages written in the audit log per sender and for all senders; the rest are only logged.
REFUSALS_PER_SENDER = RateLimit("helpdesk.mail-refusals.sender", 10, datetime.timedelta(hours=1))
REFUSALS_OVERALL = RateLimit("helpdesk.mail-refusals.all", 100, datetime.timedelta(hours=1))

# ---------------------------------------------------------------------------
# What to answer
# ---------------------------------------------------------------------------

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
DROPPED = "dropped"
REFUSED = "refused"
DEFERRED = "deferred"


@dataclass(frozen=True)
class Outcome:
    """What became of one message, and the SMTP answer (plain ASCII) that says it."""

    kind: str
    smtp_reply: str
    ticket_id: int | None = None
    #: For the log and the audit log, in French.
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.smtp_reply.startswith("250")


def accepted(ticket: Ticket, what: str) -> Outcome:
    return Outcome(ACCEPTED, f"250 2.0.0 Added to {ticket.reference}", ticket.id, what)


def duplicate(ticket_id: int) -> Outcome:
    return Outcome(DUPLICATE, "250 2.0.0 Already received", ticket_id, "courriel déjà reçu")


def dropped(detail: str) -> Outcome:
    return Outcome(DROPPED, "250 2.0.0 Automatic message discarded", None, detail)


def refused(reason: str, detail: str, code: str = "5.7.1") -> Outcome:
    return Outcome(REFUSED, f"550 {code} {reason}", None, detail)


def deferred(reason: str, detail: str, code: str = "4.3.0") -> Outcome:
    return Outcome(DEFERRED, f"451 {code} {reason}", None, detail)


DISABLED = deferred("Helpdesk is disabled, try again later", "module d'assistance désactivé sur l'intranet")
FAILED = deferred("Temporary failure, try again later", "erreur inattendue")


class Rollback(Exception):  # noqa: N818 (a way out of the transaction, not an error)
    """Leave the transaction without keeping anything, and answer ``outcome``; ``audited``: say it in the audit log."""

    def __init__(self, outcome: Outcome, audited: bool = False) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome
        self.audited = audited


def reject(outcome: Outcome) -> Rollback:
    """Keep nothing of a refused or dropped message but its entry in the audit log (see :func:`record_refusal`)."""
    return Rollback(outcome, audited=True)


# ---------------------------------------------------------------------------
# Reading a message
# ---------------------------------------------------------------------------

ANGLE_ID = re.compile(r"<[^<>\s]+>")
#: Trace fields that relays add on the way: left out of the fingerprint of a mail without Message-ID.
TRACE_FIELDS = (
    b"received",
    b"return-path",
    b"delivered-to",
    b"x-original-to",
    b"authentication-results",
    b"received-spf",
    b"arc-",
    b"x-spam",
    b"x-virus",
)


@dataclass
class Incoming:
    """One message as the helpdesk sees it."""

    message: EmailMessage
    message_id: str
    envelope_from: str
    sender: str
    recipients: Sequence[str] = ()
    peer: str | None = None

    @property
    def subject(self) -> str:
        return " ".join(str(self.message.get("Subject", "") or "").split())

    def header(self, name: str) -> str:
        return str(self.message.get(name, "") or "").strip()

    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers: In-Reply-To first, then References from the latest."""
        found = ANGLE_ID.findall(self.header("In-Reply-To"))
        found += reversed(ANGLE_ID.findall(self.header("References")))
        return list(dict.fromkeys(found))


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def fingerprint(raw: bytes) -> str:
    """A digest of the message without the trace fields relays add: the same for every delivery."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skipping = name.startswith(TRACE_FIELDS)
        if not skipping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body).hexdigest()


def message_id_of(message: EmailMessage, raw: bytes) -> str:
    """The message's Message-ID (``<…>``, as the helpdesk stores them); made from its content if it has none."""
    value = str(message.get("Message-ID", "") or "").strip()
    found = ANGLE_ID.search(value)
    if found:
        identifier = found.group(0)
    elif value and " " not in value:
        identifier = f"<{value.strip('<>')}>"
    else:
        identifier = f"<{fingerprint(raw)}@sans-identifiant.invalid>"
    if len(identifier) > 255:
        identifier = f"<{hashlib.sha256(identifier.encode()).hexdigest()}@long.invalid>"
    return identifier


def sender_of(message: EmailMessage) -> str:
    """The address of the From field (lower case), or ""."""
    value = str(message.get("From", "") or "")
    addresses = [address for _, address in getaddresses([value]) if "@" in address]
    return addresses[0].strip().lower() if addresses else ""


def address_of(text: str) -> str:
    return parseaddr(text)[1].strip().lower()


# ---------------------------------------------------------------------------
# Loops and automatic messages
# ---------------------------------------------------------------------------

AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(réponse automatique|r[ée]ponse en ton absence|automatic reply|auto[- ]?reply|autoreply"
    r"|out of (the )?office|absence du bureau|abwesenheitsnotiz)\s*:",
    re.IGNORECASE,
)
DAEMON_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|ne-pas-repondre|noreply)@", re.IGNORECASE)


def own_addresses(registry: Registry) -> set[str]:
    """The platform's own sender and the helpdesk's address: mail from them is a loop."""
    return {
        address_of(str(registry.settings.get("cagou.mail.sender", ""))),
        address_of(helpdesk_settings.get(registry).address),
    } - {""}


def automatic_reason(registry: Registry, mail: Incoming) -> str | None:
    """Why this message was written by a machine (a loop, an auto-reply, a bounce, a list), or None."""
    auto_submitted = mail.header("Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"réponse automatique (Auto-Submitted: {auto_submitted[:40]})"
    precedence = mail.header("Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"envoi automatique ou de masse (Precedence: {precedence})"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Loop"):
        if name in mail.message:
            return f"réponse automatique ({name})"
    if "List-Id" in mail.message or "List-Unsubscribe" in mail.message:
        return "message d'une liste de diffusion"
    if mail.message.get_content_type() == "multipart/report":
        return "avis de non-remise"
    if not mail.envelope_from or mail.envelope_from == "<>":
        return "avis de non-remise (expéditeur d'enveloppe vide)"
    own = own_addresses(registry)
    if mail.sender in own or address_of(mail.envelope_from) in own:
        return "boucle : message de la plateforme elle-même"
    if DAEMON_SENDERS.match(mail.sender):
        return f"expéditeur automatique ({mail.sender})"
    if AUTOMATIC_SUBJECT.match(mail.subject):
        return "réponse automatique (d'après l'objet)"
    return None


# ---------------------------------------------------------------------------
# Text and attachments
# ---------------------------------------------------------------------------


class _TextOfHtml(HTMLParser):
    """HTML to plain text, crudely: blocks become lines, scripts and styles vanish."""

    BLOCKS: ClassVar[frozenset[str]] = frozenset(
        ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr")
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        if tag == "blockquote":
            self.quote += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data)  # a no-break space stays (French typography)
        if self.quote and text.strip():
            text = "> " + text.lstrip()
        self.parts.append(text)


def text_of_html(source: str) -> str:
    parser = _TextOfHtml()
    parser.feed(source)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def content_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, KeyError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def body_of(message: EmailMessage) -> tuple[str, Message | None]:
    """The text of the message (its text/plain part, else its HTML made text) and the part it came from."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", None
    text = content_text(part)
    if part.get_content_type() == "text/html":
        text = text_of_html(text)
    return text.replace("\r\n", "\n").replace("\r", "\n"), part


def _leaves(part: Message) -> Iterator[Message]:
    """The parts of a message that carry content, without going into attached messages."""
    if part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def uploads_of(message: EmailMessage, body: Message | None) -> list[Upload]:
    """The files of the message: attachments, inline images (a pasted screenshot), attached messages."""
    uploads = []
    for number, part in enumerate(_leaves(message), start=1):
        if part is body:
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if part.get_content_type() in ("text/plain", "text/html") and not filename and disposition != "attachment":
            continue  # the other version of the body
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            attached = inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], Message) else None
            data = attached.as_bytes() if attached is not None else b""
            subject = str(attached.get("Subject", "") if attached is not None else "") or "message"
            name = filename or f"{re.sub(r'[^A-Za-z0-9À-ÿ._ -]+', '_', subject)[:80]}.eml"
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            name = filename or f"piece-jointe-{number}"
        uploads.append(Upload(filename=name, data=data))
    return uploads


#: A line that introduces the quoted previous message, in French and English mail clients.
WROTE = re.compile(r"^\s*(le|on)\s.*\d.*\b(a écrit|wrote)\s*:\s*$", re.IGNORECASE)
ORIGINAL = re.compile(r"^\s*-{2,}\s*(original message|message d'origine|message original)\s*-{2,}\s*$", re.IGNORECASE)
HEADER_FROM = re.compile(r"^\s*\**(de|from)\s*:\**\s", re.IGNORECASE)
HEADER_NEXT = re.compile(r"^\s*\**(envoyé|sent|date|à|to|objet|subject)\s*:\**\s", re.IGNORECASE)
OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if WROTE.match(line) or (following and WROTE.match(f"{line} {following}")):
        return True
    if ORIGINAL.match(line):
        return True
    if HEADER_FROM.match(line) or OUTLOOK_RULE.match(line):
        after = [text for text in lines[index + 1 : index + 6] if text.strip()]
        return sum(1 for text in after if HEADER_NEXT.match(text)) >= 2
    return False


def strip_quoted(text: str) -> str:
    """The new text of a reply: the quoted previous message (below a separator, or ``>`` lines at the end) goes."""
    lines = text.replace("\r\n", "\n").split("\n")
    for index in range(len(lines)):
        if _starts_quote(lines, index):
            lines = lines[:index]
            break
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(line.rstrip() for line in lines).strip()


def truncate(text: str, maximum: int) -> str:
    if len(text) <= maximum:
        return text
    note = f"\n\n[… courriel tronqué : {len(text) - maximum + 200:,} caractères de plus.]".replace(",", " ")
    return text[: maximum - 200].rstrip() + note


REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|tr|réf|ref|aw|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def title_of(subject: str) -> str:
    title = REPLY_PREFIX.sub("", subject).strip() or subject.strip()
    title = title or "(sans objet)"
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def screen_uploads(request: Request, uploads: Sequence[Upload]) -> tuple[list[Upload], list[str]]:
    """The files the helpdesk accepts, and a French line for each it leaves out (too big, refused type).

    A refused file does not cost the agent their whole message: the text is
    kept and says which file was left out and why.
    """
    kept: list[Upload] = []
    notes: list[str] = []
    for upload in uploads:
        errors = FormErrors()
        check_uploads(request, errors, [upload])
        if errors:
            notes.extend(errors.values())
        else:
            kept.append(upload)
    return kept, notes


def with_notes(text: str, notes: list[str]) -> str:
    if not notes:
        return text
    lines = "\n".join(f"- {note}" for note in notes)
    return f"{text}\n\nPièces jointes non retenues :\n{lines}".strip()


# ---------------------------------------------------------------------------
# Who writes, and to which ticket
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Receiving
# ---------------------------------------------------------------------------


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
    request.db.add(
        MailLink(message_id=mail.message_id, ticket_id=outcome.ticket_id, incoming=True, created_at=now(request))
    )
    # A concurrent delivery of the same message stops here (primary key), before anything is committed.
    request.db.flush()
    return outcome


def provenance(request: Request, mail: Incoming, ticket: Ticket, what: str) -> None:
    audit(
        request,
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
        add_message(request, ticket, author, truncate(body, MAX_TEXT), kind=kind, uploads=uploads, source=MAIL)
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
        ticket = open_ticket(request, data, requester, source=MAIL)
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


# ---------------------------------------------------------------------------
# The listener
# ---------------------------------------------------------------------------


class HelpdeskHandler:
    """aiosmtpd handler: one message, whatever its recipients, goes to :func:`receive` once."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        raw = envelope.original_content or b""
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(
            None, self.deliver, envelope.mail_from or "", list(envelope.rcpt_tos), raw, peer
        )
        if isinstance(server, LMTP):
            # LMTP answers once per accepted recipient (RFC 2033); the message was handled once.
            return "\r\n".join([outcome.smtp_reply] * max(1, len(envelope.rcpt_tos)))
        return outcome.smtp_reply

    def deliver(self, envelope_from: str, recipients: list[str], raw: bytes, peer: str | None) -> Outcome:
        try:
            message = parse(raw)
        except Exception:
            log.exception("Unreadable mail from %s", envelope_from)
            return FAILED
        return receive(self.registry, envelope_from, message, recipients, peer, raw)


class Listener(Controller):
    """An aiosmtpd controller for the helpdesk, in a thread; port 0 picks a free port (read ``port`` after start)."""

    def __init__(self, registry: Registry, host: str, port: int, lmtp: bool = False, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(
            HelpdeskHandler(registry),
            hostname=host,
            port=port,
            ident="Cagou helpdesk",
            data_size_limit=DATA_SIZE_LIMIT,
            **kwargs,
        )

    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs) if self.lmtp else SMTP(self.handler, **self.SMTP_kwargs)

    def _run(self, ready_event: threading.Event) -> None:
        try:
            super()._run(ready_event)
        finally:
            # aiosmtpd leaves a failed bind (address in use) to its start timeout: say it at once.
            ready_event.set()

    def _trigger_server(self) -> None:
        if self._thread_exception is not None:
            raise self._thread_exception
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"« {value} » : écrivez HÔTE:PORT, par exemple 127.0.0.1:2525.")
    return host, int(port)


@click.command("helpdesk-mail")
@click.option(
    "--listen",
    metavar="HÔTE:PORT",
    default=None,
    help="Adresse d'écoute (par défaut le réglage helpdesk.mail_listen, 127.0.0.1:2525).",
)
@click.option("--lmtp", is_flag=True, help="Parler LMTP (remise par Postfix) au lieu de SMTP.")
@pass_env
def mail_command(env: Environment, listen: str | None, lmtp: bool) -> None:
    """Écouter le courrier adressé à l'assistance (SMTP) et le verser dans les tickets."""
    registry = env.registry
    settings = helpdesk_settings.get(registry)
    try:
        host, port = parse_listen(listen) if listen else (settings.mail_host, settings.mail_port)
    except ValueError as error:
        fail(f"Option --listen invalide : {error}")
    listener = Listener(registry, host, port, lmtp=lmtp)
    try:
        listener.start()
    except OSError as error:
        fail(f"Impossible d'écouter sur {host}:{port} : {error.strerror or error}.")
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)}
    protocol = "LMTP" if lmtp else "SMTP"
    click.echo(f"Courrier de l'assistance : écoute {protocol} sur {host}:{listener.port} (Ctrl-C pour arrêter).")
    if not module_enabled(registry):
        click.echo(
            "Le module d'assistance est désactivé sur l'intranet : le courrier est différé (451) "
            "jusqu'à sa réactivation.",
            err=True,
        )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        listener.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo("Écoute arrêtée.")


__all__ = ["Listener", "Outcome", "mail_command", "receive", "strip_quoted", "text_of_html"]
