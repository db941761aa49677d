"""The virus scanner behind IVirusScanner: clamd's INSTREAM over a socket, against a real clamd.

The clamd of :mod:`cagou.testing.clamd` knows two signatures made for the
session (EICAR, and a PDF with EICAR inside) and accepts 1 MiB at most.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyramid.exceptions import ConfigurationError

from cagou import configure
from cagou.files.scanner import (
    SIZE_LIMIT_ANSWER,
    ClamdScanner,
    NoScanner,
    ScanResult,
    ScanStatus,
    parse_address,
    verdict,
)
from cagou.kit import IVirusScanner, ScannerUnavailable, flatten, transaction_scope
from cagou.plugins import get_plugins
from cagou.testing import EICAR, EICAR_SIGNATURE, INFECTED_PDF, PDF_SIGNATURE, STREAM_MAX_BYTES, Clamd, free_port
from cagou.testing_checks import PDF_SAMPLE


def scanner(clamd: Clamd) -> ClamdScanner:
    return ClamdScanner(clamd.address, timeout=5)


def test_a_clean_file_is_clean_from_bytes_or_a_stream(clamd: Clamd) -> None:
    assert scanner(clamd).scan(PDF_SAMPLE) == ScanResult(ScanStatus.CLEAN)
    assert scanner(clamd).scan(bytearray(PDF_SAMPLE)).clean
    # More than one chunk, from a file object.
    assert scanner(clamd).scan(io.BytesIO(b"%PDF-1.4\n" + b"\x00" * 200_000)).clean


def test_an_infected_file_gives_its_signature(clamd: Clamd) -> None:
    assert scanner(clamd).scan(EICAR) == ScanResult(ScanStatus.INFECTED, EICAR_SIGNATURE)
    assert scanner(clamd).scan(io.BytesIO(INFECTED_PDF)) == ScanResult(ScanStatus.INFECTED, PDF_SIGNATURE)


def test_a_stream_longer_than_clamd_accepts_is_never_clean(clamd: Clamd) -> None:
    result = scanner(clamd).scan(b"\x00" * (STREAM_MAX_BYTES + 1))
    assert result.status is ScanStatus.TOO_LARGE and result.reason == "INSTREAM size limit exceeded. ERROR"
    # Much longer: clamd closes while the client still writes, and the answer is still read.
    assert scanner(clamd).scan(io.BytesIO(b"\x00" * (8 * STREAM_MAX_BYTES))).status is ScanStatus.TOO_LARGE


def test_a_stopped_clamd_is_unavailable_and_says_why(clamd: Clamd) -> None:
    clamd.stop()
    result = scanner(clamd).scan(PDF_SAMPLE)
    assert result.status is ScanStatus.UNAVAILABLE and clamd.address in result.reason
    with pytest.raises(ScannerUnavailable):
        scanner(clamd).version()
    clamd.start()
    assert scanner(clamd).scan(PDF_SAMPLE).clean
    assert scanner(clamd).version().startswith("ClamAV ")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: clamd hung."""
    listener = socket.create_server(("127.0.0.1", free_port()))
    accepted: list[socket.socket] = []

    def accept() -> None:
        try:
            while True:
                accepted.append(listener.accept()[0])
        except OSError:
            return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for connection in accepted:
        connection.close()


def test_a_scanner_that_does_not_answer_times_out_as_unavailable(silent_server: int) -> None:
    result = ClamdScanner(f"tcp://127.0.0.1:{silent_server}", timeout=0.2).scan(PDF_SAMPLE)
    assert result.status is ScanStatus.UNAVAILABLE and "timed out" in result.reason
    refused = ClamdScanner(f"tcp://127.0.0.1:{free_port()}", timeout=0.2).scan(PDF_SAMPLE)
    assert refused.status is ScanStatus.UNAVAILABLE


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        ("stream: OK", ScanResult(ScanStatus.CLEAN)),
        ("stream: Win.Test.EICAR_HDB-1 FOUND", ScanResult(ScanStatus.INFECTED, "Win.Test.EICAR_HDB-1")),
        ("INSTREAM size limit exceeded. ERROR", ScanResult(ScanStatus.TOO_LARGE, reason=SIZE_LIMIT_ANSWER)),
        # clamd's own trouble is not a verdict: the file waits in quarantine.
        (
            "stream: Can't allocate memory ERROR",
            ScanResult(ScanStatus.UNAVAILABLE, reason="clamd : stream: Can't allocate memory ERROR"),
        ),
        ("UNKNOWN COMMAND", ScanResult(ScanStatus.UNAVAILABLE, reason="clamd : UNKNOWN COMMAND")),
    ],
)
def test_only_clamds_ok_is_clean(answer: str, result: ScanResult) -> None:
    assert verdict(answer) == result


def test_without_a_scanner_nothing_is_scanned_and_the_caller_knows() -> None:
    none = NoScanner()
    assert not none.configured and none.scan(EICAR) == ScanResult(ScanStatus.NOT_SCANNED)


@pytest.mark.parametrize(
    ("address", "target"),
    [("unix:///run/clamav/clamd.ctl", "/run/clamav/clamd.ctl"), ("tcp://127.0.0.1:3310", ("127.0.0.1", 3310))],
)
def test_the_setting_names_a_unix_socket_or_a_tcp_port(address: str, target: object) -> None:
    assert parse_address(address) == target


@pytest.mark.parametrize("address", ["/run/clamav/clamd.ctl", "tcp://clamav", "tcp://clamav:port", "http://x:1"])
def test_a_malformed_setting_stops_the_start_up(settings: dict, address: str) -> None:
    with pytest.raises(ConfigurationError, match=r"cagou\.clamd doit être"):
        configure({**settings, "cagou.clamd": address})


def health(registry) -> list:
    with transaction_scope(registry) as request:
        results = flatten(get_plugins(registry).call("cagou_health_checks", None, request=request))
    return [check for check in results if check.name == "antivirus"]


def test_the_platform_uses_the_configured_clamd_and_its_health_says_whether_it_answers(
    settings: dict, clamd: Clamd, tmp_path: Path
) -> None:
    registry = configure({**settings, "cagou.clamd": clamd.address, "cagou.clamd.timeout": "2"}).registry
    with transaction_scope(registry) as request:
        assert request.find_service(IVirusScanner).scan(EICAR).signature == EICAR_SIGNATURE
    [up] = health(registry)
    assert up.ok and up.detail.startswith("ClamAV ") and clamd.address in up.detail
    clamd.stop()
    [down] = health(registry)
    assert not down.ok and clamd.address in down.detail


def test_without_a_scanner_there_is_no_health_check(registry) -> None:
    assert health(registry) == []
    with transaction_scope(registry) as request:
        assert not request.find_service(IVirusScanner).configured
