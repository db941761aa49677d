"""A real ClamAV daemon (Debian's clamd) for the virus scanner's tests, with signatures made for them.

The session starts one ``clamd`` as a child process in a temporary folder:
its clamd.conf (in the foreground, a unix socket in the folder, no
freshclam, ``StreamMaxLength`` of :data:`STREAM_MAX_BYTES`), and a database
of two hash signatures written for the session: the EICAR test string, and
:data:`INFECTED_PDF`, a PDF the aids module's type check accepts, with the
EICAR string inside. With a database that small clamd answers its socket in
about 20 ms (the official databases take 10 s and 1 GB), so a test may stop
it and the next one starts it again (the ``clamd`` fixture does).

Skipped, with the reason, where clamd is not installed (``apt-get install
clamav-daemon``; ``.ci/system-packages`` does it); failed instead under
``CAGOU_REQUIRE_EVERY_TEST=1``.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cagou.testing.helpers import stop_process
from cagou.testing.required import require_program

#: Debian's clamd; ``CAGOU_TEST_CLAMD`` names another (a clamd built elsewhere, or none, to see the skip).
CLAMD_ENV, CLAMD = "CAGOU_TEST_CLAMD", "/usr/sbin/clamd"
#: The EICAR test file: every antivirus knows it, and it harms nothing.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#: A PDF, as its bytes say (the aids module's check of types accepts it), with the EICAR string inside.
INFECTED_PDF = b"%PDF-1.4\n% " + EICAR + b"\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
#: The names the signatures are given; clamd adds ``.UNOFFICIAL`` to signatures outside its own databases.
EICAR_SIGNATURE = "Cagou.Test.EICAR.UNOFFICIAL"
PDF_SIGNATURE = "Cagou.Test.PDF-EICAR.UNOFFICIAL"
#: The test daemon's StreamMaxLength: a stream longer than this gets "INSTREAM size limit exceeded".
STREAM_MAX_BYTES = 1024 * 1024


def hash_signature(data: bytes, name: str) -> str:
    """One line of a ``.hsb`` database: the SHA-256 of a whole file, its size, and the name clamd reports."""
    return f"{hashlib.sha256(data).hexdigest()}:{len(data)}:{name.removesuffix('.UNOFFICIAL')}\n"


class Clamd:
    """One clamd process and its folder; ``start`` and ``stop`` may be called again and again."""

    def __init__(self, folder: Path, program: str = CLAMD) -> None:
        self.folder = folder
        self.program = program
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in = 0.0
        (folder / "db").mkdir()
        (folder / "db" / "cagou-tests.hsb").write_text(
            hash_signature(EICAR, EICAR_SIGNATURE) + hash_signature(INFECTED_PDF, PDF_SIGNATURE)
        )
        (folder / "clamd.conf").write_text(self.configuration())

    @property
    def socket_path(self) -> Path:
        return self.folder / "clamd.sock"

    @property
    def address(self) -> str:
        """What ``cagou.clamd`` says to reach this daemon."""
        return f"unix://{self.socket_path}"

    @property
    def log(self) -> str:
        return (self.folder / "clamd.log").read_text(errors="replace")

    def configuration(self) -> str:
        return "\n".join([
            "Foreground yes",
            f"LocalSocket {self.socket_path}",
            f"DatabaseDirectory {self.folder / 'db'}",
            f"PidFile {self.folder / 'clamd.pid'}",
            f"LogFile {self.folder / 'clamd.log'}",
            f"TemporaryDirectory {self.folder}",
            f"StreamMaxLength {STREAM_MAX_BYTES // 1024}K",
            "SelfCheck 0",
            "",
        ])  # fmt: skip

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        began = time.monotonic()
        self.process = subprocess.Popen(
            [self.program, "--config-file", str(self.folder / "clamd.conf")],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "clamd.err").open("ab"),
        )
        deadline = began + 30
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"clamd did not start:\n{self.log}")
            time.sleep(0.01)
        self.started_in = time.monotonic() - began

    def answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(1)
                connection.connect(str(self.socket_path))
                connection.sendall(b"zPING\0")
                return connection.recv(16).startswith(b"PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


@pytest.fixture(scope="session")
def clamd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """The session's clamd, started once (use ``clamd``, which starts it again after a test stopped it)."""
    program = os.environ.get(CLAMD_ENV, CLAMD)
    require_program(program, "clamav-daemon")
    server = Clamd(tmp_path_factory.mktemp("clamd"), program)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def clamd(clamd_server: Clamd) -> Clamd:
    """The session's clamd, running: a test may stop it to see the platform without its scanner."""
    clamd_server.start()
    return clamd_server
