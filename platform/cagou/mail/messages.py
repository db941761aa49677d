"""The message the worker sends for an outbox row, built for little CPU.

Every module's notifications are built here, one per mail. The legacy
``compat32`` policy of ``email.mime`` stores header strings as they are,
where the default policy parses each header through its registry when it is
set and folds it again when the message is written (about 3 ms per mail).
compat32 still folds every header through ``email.header.Header`` when the
message is written: :class:`PlainHeaders` writes the headers that come out
of that unchanged directly, and the subject is encoded here once.
"""

from __future__ import annotations

import base64
import datetime
import email.charset
import functools
import json
import re
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any, Protocol

from pyramid.registry import Registry

from cagou.secrets import get_secrets

#: Bodies in quoted-printable UTF-8, as the default policy wrote them (readable in a raw message).
UTF8 = email.charset.Charset("utf-8")
UTF8.body_encoding = email.charset.QP
UTF8.header_encoding = email.charset.BASE64
#: One line of a header written as it is: printable ASCII words separated by single spaces.
PLAIN_LINE = re.compile(r"[!-~]+(?: [!-~]+)*")
#: Where a header value already folded goes on to its next line.
CONTINUATION = "\n "
#: UTF-8 bytes per encoded word of the subject: ``Subject: =?utf-8?b?…?=`` with their 56 base64
#: characters is 77 characters, within a line of 78.
ENCODED_WORD_BYTES = 42


class PlainHeaders(Compat32):
    """compat32, writing a plain ASCII header as it is instead of through ``Header.encode``.

    A value whose lines (split where it is already folded) are printable
    ASCII words and fit their line comes out of compat32's folding
    unchanged, so it is written directly: tests/test_mail_headers.py holds
    both ways to the same bytes. Anything else goes the compat32 way.
    """

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and self.is_plain(name, value):
            return f"{name}: {value.replace(CONTINUATION, self.linesep + ' ')}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)

    def is_plain(self, name: str, value: str) -> bool:
        first, *others = value.split(CONTINUATION)
        lines = [(len(name) + 2, first), *((1, line) for line in others)]
        return all(PLAIN_LINE.fullmatch(line) and self.fits(indent + len(line)) for indent, line in lines)

    def fits(self, length: int) -> bool:
        return not self.max_line_length or length <= self.max_line_length


PLAIN_HEADERS = PlainHeaders()


class MailRow(Protocol):
    """What :func:`build_message` reads: an outbox row, as the ORM or a Core select gives it."""

    to_address: str
    reply_to: str | None
    subject: str
    message_id: str
    created_at: datetime.datetime
    body_text: str
    body_html: str | None
    attachments: str | None


def build_message(registry: Registry, mail: MailRow) -> Message:
    """The message to send; only the address headers need care, so that a sender's name with accents is encoded."""
    text = text_part("plain", get_secrets(registry).decrypt(mail.body_text))
    message: Message = text
    if mail.body_html:
        html = text_part("html", get_secrets(registry).decrypt(mail.body_html))
        message = MIMEMultipart("alternative", _subparts=[text, html], policy=PLAIN_HEADERS)
    if mail.attachments:
        files = [attached_part(item) for item in json.loads(get_secrets(registry).decrypt(mail.attachments))]
        message = MIMEMultipart("mixed", _subparts=[message, *files], policy=PLAIN_HEADERS)
    message["From"] = sender_header(registry.settings["cagou.mail.sender"])
    # Bare addresses: the mailer's check_address let neither a name nor spaces nor brackets in.
    message["To"] = mail.to_address
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = mail.subject if mail.subject.isascii() else encoded_words(mail.subject)
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at)
    message["Auto-Submitted"] = "auto-generated"
    return message


def attached_part(item: dict[str, str]) -> MIMEApplication:
    """One attached file, named in RFC 2231 UTF-8 when its name is not ASCII."""
    main, _, sub = item["content_type"].partition("/")
    part = MIMEApplication(base64.b64decode(item["data"]), _subtype=sub or "octet-stream", policy=PLAIN_HEADERS)
    if main != "application":
        part.replace_header("Content-Type", item["content_type"])
    filename = item["filename"]
    part.add_header("Content-Disposition", "attachment",
                    filename=filename if filename.isascii() else ("utf-8", "", filename))  # fmt: skip
    return part


def encoded_words(text: str) -> str:
    """``text`` as RFC 2047 base64 encoded words, one per line, no character cut between two.

    ``email.header.Header`` does the same, measuring each word's length
    again for every character it adds: most of a mail's CPU for an accented
    subject.
    """
    chunks, chunk = [], b""
    for character in text:
        data = character.encode()
        if chunk and len(chunk) + len(data) > ENCODED_WORD_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += data
    chunks.append(chunk)
    return CONTINUATION.join(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=" for chunk in chunks)


def text_part(subtype: str, text: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, policy=PLAIN_HEADERS, charset="utf-8")
    part.set_payload(text, UTF8)
    return part


@functools.cache
def sender_header(sender: str) -> str:
    """``Name <address>`` with the name encoded when it is not ASCII (compat32 would encode the address too).

    Cached: it is one setting, parsed once.
    """
    return formataddr(parseaddr(sender), UTF8)
