"""The virus scanner behind :class:`IVirusScanner`: clamd over its INSTREAM protocol, or none.

``cagou.clamd`` names clamd's socket (``unix:///run/clamav/clamd.ctl`` or
``tcp://127.0.0.1:3310``); empty, no scanner is configured and every answer
is ``not-scanned``. The protocol is written here rather than taken from PyPI:
the ``clamd`` package was last released in 2014, and its maintained fork
(``clamav-client``) is GPL-2.0 (the platform is EUPL-1.2), sends 1 KiB chunks
and lets clamd's size-limit answer turn into a broken pipe when clamd closes
the connection while the client still writes. INSTREAM is small (see
clamd(8)): ``zINSTREAM\\0``, then chunks each led by its length on 4 bytes
(network order), a zero length to end, and one answer ending with ``\\0``:

- ``stream: OK``: clean;
- ``stream: Eicar-Signature FOUND``: infected, with the signature's name;
- ``INSTREAM size limit exceeded. ERROR``: longer than clamd's ``StreamMaxLength``;
- anything else ending in ``ERROR``, a refused connection, a timeout: unavailable.
"""

from __future__ import annotations

import enum
import io
import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

from pyramid.exceptions import ConfigurationError
from zope.interface import implementer

from cagou.interfaces import IVirusScanner

#: What one INSTREAM chunk carries: well under clamd's StreamMaxLength, few enough writes for 50 MB.
CHUNK_BYTES = 64 * 1024
#: clamd's answers are one short line; more than this is not clamd.
MAX_ANSWER_BYTES = 4096
SIZE_LIMIT_ANSWER = "INSTREAM size limit exceeded. ERROR"


class ScanStatus(enum.StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"
    #: Longer than the scanner accepts (clamd's StreamMaxLength): never marked clean.
    TOO_LARGE = "too-large"
    #: The scanner could not answer (down, timed out, its own error): ask again later.
    UNAVAILABLE = "unavailable"
    #: No scanner is configured.
    NOT_SCANNED = "not-scanned"


@dataclass(frozen=True)
class ScanResult:
    status: ScanStatus
    #: The signature's name when infected (``Eicar-Signature``).
    signature: str = ""
    #: Why the scanner did not answer, for the logs and the health page (not for applicants).
    reason: str = ""

    @property
    def clean(self) -> bool:
        return self.status is ScanStatus.CLEAN


class ScannerUnavailable(Exception):  # noqa: N818  (read as kit.ScannerUnavailable)
    """The scanner could not be reached, or answered something other than clamd's answers."""


@implementer(IVirusScanner)
class NoScanner:
    """No scanner configured: files are not scanned, and every answer says so."""

    configured = False
    address = ""

    def scan(self, data: bytes | BinaryIO) -> ScanResult:
        return ScanResult(ScanStatus.NOT_SCANNED)

    def version(self) -> str:
        return ""


@implementer(IVirusScanner)
class ClamdScanner:
    """clamd, over a unix socket or TCP; ``timeout`` bounds the connection and each wait for an answer."""

    configured = True

    def __init__(self, address: str, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self.target = parse_address(address)

    def connect(self) -> socket.socket:
        if isinstance(self.target, str):
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            try:
                connection.connect(self.target)
            except OSError:
                connection.close()
                raise
            return connection
        connection = socket.create_connection(self.target, timeout=self.timeout)
        connection.settimeout(self.timeout)
        return connection

    def scan(self, data: bytes | BinaryIO) -> ScanResult:
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
        try:
            with self.connect() as connection:
                connection.sendall(b"zINSTREAM\0")
                send_chunks(connection, stream)
                answer = read_answer(connection)
        except (OSError, ScannerUnavailable) as error:  # a timeout is an OSError
            return ScanResult(ScanStatus.UNAVAILABLE, reason=f"clamd ({self.address}) : {error}")
        return verdict(answer)

    def version(self) -> str:
        try:
            with self.connect() as connection:
                connection.sendall(b"zVERSION\0")
                return read_answer(connection)
        except OSError as error:
            raise ScannerUnavailable(f"clamd ({self.address}) : {error}") from error


def send_chunks(connection: socket.socket, stream: BinaryIO) -> None:
    """Send ``stream`` as INSTREAM chunks, then the zero length that ends it.

    clamd answers the size limit and closes while the client may still be
    writing: the write then fails, and the answer waiting to be read says why.
    """
    try:
        while chunk := stream.read(CHUNK_BYTES):
            connection.sendall(struct.pack("!L", len(chunk)) + chunk)
        connection.sendall(struct.pack("!L", 0))
    except (BrokenPipeError, ConnectionResetError):
        return


def read_answer(connection: socket.socket) -> str:
    answer = b""
    while not answer.endswith(b"\0") and len(answer) < MAX_ANSWER_BYTES:
        try:
            received = connection.recv(MAX_ANSWER_BYTES)
        except ConnectionResetError:
            break
        if not received:
            break
        answer += received
    if not answer:
        raise ScannerUnavailable("clamd a fermé la connexion sans répondre")
    return answer.rstrip(b"\0").decode("utf-8", "replace").strip()


def verdict(answer: str) -> ScanResult:
    """clamd's answer to INSTREAM, read."""
    if answer == SIZE_LIMIT_ANSWER:
        return ScanResult(ScanStatus.TOO_LARGE, reason=answer)
    body = answer.removeprefix("stream:").strip()
    if body == "OK":
        return ScanResult(ScanStatus.CLEAN)
    if body.endswith(" FOUND"):
        return ScanResult(ScanStatus.INFECTED, signature=body.removesuffix(" FOUND").strip())
    return ScanResult(ScanStatus.UNAVAILABLE, reason=f"clamd : {answer}")


def parse_address(address: str) -> str | tuple[str, int]:
    """``unix:///run/clamav/clamd.ctl`` → its path; ``tcp://127.0.0.1:3310`` → (host, port)."""
    parts = urlsplit(address.strip())
    if parts.scheme == "unix" and parts.path and not parts.netloc:
        return parts.path
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme == "tcp" and parts.hostname and port:
        return parts.hostname, port
    raise ConfigurationError(f"cagou.clamd doit être unix:///chemin/du/socket ou tcp://hôte:port (reçu : {address!r}).")


def scanner_from_settings(settings: dict[str, object]) -> NoScanner | ClamdScanner:
    address = str(settings.get("cagou.clamd", "")).strip()
    if not address:
        return NoScanner()
    return ClamdScanner(address, float(str(settings.get("cagou.clamd.timeout", 30))))
