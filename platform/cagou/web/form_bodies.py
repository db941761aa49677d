"""Form bodies (``request.POST``) read by the ``multipart`` package rather than by WebOb's ``cgi.FieldStorage``.

WebOb 1.8 parses every form body through the standard library's
``cgi.FieldStorage``, deprecated since Python 3.11, gone in 3.13, and slow: it
reads a multipart body line by line and builds a FieldStorage per part (about
13 % of the helpdesk's ticket form, docs/performance.md). :class:`FormRequest`,
the platform's request class, parses the same bodies with the streaming parser
of ``multipart`` (defnull, kept, pure Python, one module) and gives
``request.POST`` as the same WebOb ``MultiDict``, so that views, WTForms and the
input guard read it as before:

- text parts come as ``str``, decoded with the part's own ``charset`` (UTF-8
  when it names none) with ``errors="replace"``, after its
  ``Content-Transfer-Encoding`` (base64 or quoted-printable) is undone;
- a part with a file name comes as a :class:`PostedFile`, its bytes in a spooled
  temporary file (in memory up to :data:`SPOOL_BYTES`, on disk past it); a file
  input left empty (``filename=""``) comes as the empty ``str``;
- a part without a name, or without ``Content-Disposition``, comes under the
  name ``None``, which the input guard refuses as "une partie sans nom";
- a body that cannot be read (no boundary, truncated, a line that is not a
  header, an unknown charset, bad base64) raises ``ValueError``, which the input
  guard refuses as "mal formé": a 400, never a 500;
- no limit of its own on the number or size of parts or headers: sizes are the
  views' to judge, with a French message next to the field.

``application/x-www-form-urlencoded`` bodies are read with ``urllib.parse``, as
``cgi.FieldStorage`` did, without building one.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable, Iterator
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from urllib.parse import parse_qsl

from multipart import MultipartSegment, PushMultipartParser, parse_options_header
from pyramid.request import Request
from webob.multidict import MultiDict, NoVars

FORM_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data")
#: A file part stays in memory up to this size, then goes to a temporary file (cgi.FieldStorage: 1,000 bytes).
SPOOL_BYTES = 64 * 1024
READ_BYTES = 64 * 1024
#: WebOb's cache of the parsed body, kept so that WebOb's own methods (``params``, ``copy``…) find it.
PARSED = "webob._parsed_post_vars"
#: What ``request.POST`` holds: text, or files; the name ``None`` for a part without one.
Fields = MultiDict[str | None, "str | PostedFile"]
TRANSFER_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "base64": binascii.a2b_base64,
    "quoted-printable": binascii.a2b_qp,
}


class PostedFile:
    """A file sent in a form's field: what ``request.POST`` holds for a part with a file name.

    ``filename`` is the name the sender's computer gave it (not trusted: see
    :func:`cagou.kit.check_upload`), ``file`` its bytes (a binary file object at
    its start), ``type`` the content type the sender declared, lower-cased,
    without parameters (``application/octet-stream`` when it declared none).
    """

    __slots__ = ("file", "filename", "name", "type")

    def __init__(self, name: str | None, filename: str, file: IO[bytes], type: str) -> None:
        self.name = name
        self.filename = filename
        self.file = file
        self.type = type

    def __repr__(self) -> str:
        return f"PostedFile({self.name!r}, {self.filename!r}, {self.type!r})"


class AnyPartParser(PushMultipartParser):  # type: ignore[misc]
    """The streaming parser, taking parts as ``cgi.FieldStorage`` did.

    ``multipart`` refuses a part without ``Content-Disposition`` and names a
    part without a name ``""``; here both keep the name ``None``, so that the
    input guard refuses them as a part without a name, its message since
    WebOb, rather than as a malformed body or a field named "".
    """

    def _create_segment(self, headerlist: list[tuple[str, str]]) -> MultipartSegment:
        return MultipartSegment(headerlist)


def text_of(name: str | None) -> str | None:
    """A header's text: read as Latin-1 by the parser (which then never fails), meant as UTF-8."""
    if name is None or name.isascii():
        return name
    return name.encode("latin-1").decode("utf-8", "replace")


def decoded_text(segment: MultipartSegment, data: bytes) -> str:
    transfer = segment.header("Content-Transfer-Encoding")
    if transfer is not None and (decoder := TRANSFER_DECODERS.get(transfer.strip().lower())) is not None:
        data = decoder(data)  # binascii.Error is a ValueError
    charset = segment.charset or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError as error:
        raise ValueError(f"Unknown charset in a form part: {charset!r}") from error


class FieldsCollector:
    """The parser's events gathered into ``request.POST``'s fields."""

    def __init__(self) -> None:
        self.fields: Fields = MultiDict()
        self.segment: MultipartSegment | None = None
        self.chunks: list[bytes] = []
        self.spool: IO[bytes] | None = None
        #: The last event opened a part whose body has not begun.
        self.just_opened = False

    def take(self, events: Iterator[MultipartSegment | bytes | None]) -> None:
        for event in events:
            self.just_opened = isinstance(event, MultipartSegment)
            if isinstance(event, MultipartSegment):
                self.segment, self.chunks = event, []
                self.spool = SpooledTemporaryFile(SPOOL_BYTES) if event.filename else None  # noqa: SIM115 (kept)
            elif event:
                if self.spool is not None:
                    self.spool.write(event)
                else:
                    self.chunks.append(event)
            elif self.segment is not None:
                self.close_part(self.segment)

    def close_part(self, segment: MultipartSegment) -> None:
        name = text_of(segment.name)
        if self.spool is not None:
            self.spool.seek(0)
            content_type = segment.content_type or "application/octet-stream"
            self.fields.add(name, PostedFile(name, text_of(segment.filename) or "", self.spool, content_type))
        else:
            self.fields.add(name, decoded_text(segment, b"".join(self.chunks)))


def multipart_fields(read: Callable[[int], bytes], boundary: str, length: int) -> Fields:
    """The fields of a ``multipart/form-data`` body of ``length`` bytes read by ``read``.

    A part without a body may end its headers with the delimiter itself
    (``…name="x"CRLF CRLF--boundary``, as Werkzeug's test client writes it, valid
    per RFC 2046: the delimiter's CRLF ends the header section), which
    ``multipart`` would read as the start of a body; cgi.FieldStorage, reading
    lines, took it as an empty part. The body is therefore fed in pieces cut
    just after each ``CRLF CRLF`` that a delimiter follows, and where that
    ``CRLF CRLF`` closed a part's headers, the body's missing CRLF is given.
    """
    collector = FieldsCollector()
    parser = AnyPartParser(boundary, max_header_size=math.inf, max_header_count=math.inf, header_charset="latin-1")
    joint = b"\r\n\r\n--" + boundary.encode("latin-1")
    held = fed = b""
    with parser:
        while length > 0 or held:
            chunk = read(min(READ_BYTES, length)) if length > 0 else b""
            length = length - len(chunk) if chunk else 0
            data, held = held + chunk, b""
            if length > 0:  # keep what may be the start of a joint cut by the read
                keep = max(0, len(data) - len(joint) + 1)
                data, held = data[:keep], data[keep:]
            start = 0
            found = data.find(joint)
            while found != -1:
                cut = found + 4
                collector.take(parser.parse(data[start:cut]))
                if collector.just_opened and (fed + data[max(0, found - 2) : found])[-2:] != b"\r\n":
                    collector.take(parser.parse(b"\r\n"))
                start = cut
                found = data.find(joint, cut)
            if start < len(data):
                collector.take(parser.parse(data[start:]))
            fed = (fed + data)[-2:]
    return collector.fields


def urlencoded_fields(body: bytes) -> Fields:
    text = body.decode("utf-8", "replace")
    return MultiDict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"))


class FormRequest(Request):  # type: ignore[misc]
    """The platform's request: Pyramid's, its form body parsed as this module says."""

    @property
    def POST(self) -> Any:  # noqa: N802 (WebOb's name)
        environ = self.environ
        parsed = environ.get(PARSED)
        if parsed is not None and parsed[1] is self.body_file_raw:
            return parsed[0]
        content_type = self.content_type
        if (self.method != "POST" and not content_type) or content_type not in FORM_TYPES:
            return NoVars(f"Not an HTML form submission (Content-Type: {content_type})")
        self.make_body_seekable()
        body = self.body_file_raw
        body.seek(0)
        length = self.content_length or 0
        if length and self.charset != "UTF-8":  # WebOb raised a DeprecationWarning here, which answered 500
            raise ValueError(f"A form body must be sent in UTF-8, not {self.charset}")
        if content_type == "multipart/form-data" and length:
            boundary = boundary_of(self.headers.get("Content-Type", ""))
            fields = multipart_fields(body.read, boundary, length)
        elif length:
            fields = urlencoded_fields(body.read(length))
        else:
            fields = MultiDict()
        body.seek(0)
        environ[PARSED] = (fields, body)
        return fields


def boundary_of(content_type: str) -> str:
    """The ``boundary`` parameter of a multipart ``Content-Type``; ``ValueError`` without one."""
    boundary: str = parse_options_header(content_type)[1].get("boundary", "")
    if not boundary:
        raise ValueError("A multipart body without a boundary")
    return boundary
