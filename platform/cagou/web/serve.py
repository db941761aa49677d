"""waitress for ``pserve development.ini``, saying once where the platform answers.

Neither pserve nor waitress says it to a newcomer: waitress's "Serving on"
line is logged before anything can answer, and development.ini shows only
waitress's warnings. This server runner (``use = egg:cagou#waitress``) is
waitress's own, plus a thread that asks ``/sante`` until it answers and then
logs the addresses of the sites once. production.ini is served by gunicorn,
which says where it listens itself.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.request
from typing import Any

from waitress import create_server

from cagou.contributions import INTRANET, PUBLIC
from cagou.sites import PREFIXES

log = logging.getLogger(__name__)

#: How long the announcing thread waits for the first answer (migrations are done before: make run).
ANSWER_SECONDS = 60.0


def address(options: dict[str, Any], server: Any) -> str:
    """The base URL as the configuration names it (``listen = localhost:6543``), else as bound.

    ``*`` (every interface) is reached on localhost.
    """
    listen = str(options.get("listen", "")).split()
    if listen:
        return "http://" + listen[0].replace("*", "localhost", 1)
    return f"http://{server.effective_host}:{server.effective_port}"


def announcement(base: str, sites: tuple[str, ...]) -> str:
    """« Cagou est servi sur http://localhost:6543 (intranet : …/intranet/, extension publique : …/) »."""
    names = {INTRANET: "intranet", PUBLIC: "extension publique"}
    served = ", ".join(f"{names[site]} : {base}{PREFIXES[site]}/" for site in (INTRANET, PUBLIC) if site in sites)
    return f"Cagou est servi sur {base} ({served})"


def announce_when_answering(base: str, message: str, timeout: float = ANSWER_SECONDS) -> bool:
    """Log ``message`` once ``base``/sante answers; False (and a warning) if it never did within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/sante", timeout=5):  # noqa: S310  (the address we serve)
                log.info(message)
                return True
        except OSError:
            time.sleep(0.2)
    log.warning("Cagou ne répond pas sur %s/sante après %.0f s", base, timeout)
    return False


def serve(app: Any, global_conf: dict[str, Any], **options: Any) -> None:
    """The ``paste.server_runner`` of development.ini: waitress, and the announcement."""
    server: Any = create_server(app, **options)
    base = address(options, server)
    registry = getattr(app, "registry", None)  # None when a filter wraps the application
    sites = tuple(registry.settings["cagou.sites"]) if registry is not None else (INTRANET, PUBLIC)
    threading.Thread(
        target=announce_when_answering, args=(base, announcement(base, sites)), name="cagou-announce", daemon=True
    ).start()
    server.run()
