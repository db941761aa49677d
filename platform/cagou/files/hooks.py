"""The core's file hooks: whether the virus scanner answers."""

from __future__ import annotations

from pyramid.request import Request

from cagou.contributions import HealthResult
from cagou.files.scanner import ScannerUnavailable
from cagou.hookspecs import hookimpl
from cagou.interfaces import IVirusScanner


@hookimpl
def cagou_health_checks(request: Request) -> list[HealthResult]:
    """Does clamd answer? Nothing to check when no scanner is configured."""
    scanner = request.find_service(IVirusScanner)
    if not scanner.configured:
        return []
    try:
        version = scanner.version()
    except ScannerUnavailable as error:
        return [HealthResult("antivirus", False, str(error))]
    return [HealthResult("antivirus", True, f"{version} ({scanner.address})")]
