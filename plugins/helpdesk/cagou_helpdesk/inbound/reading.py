"""Reading a message: its headers, the loops and automatic mail to drop, its text and attachments."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import ClassVar

from pyramid.registry import Registry
from pyramid.request import Request

from cagou.kit import (
    FormErrors,
    Upload,
)
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.checks import MAX_TITLE, check_uploads

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
