"""A module for the benchmark only: one authenticated JSON endpoint that writes one audit entry.

``POST /intranet/banc/audit`` (signed in, CSRF header, JSON body
``{"reference": "…"}``) does what a module does when an agent updates a
file: it writes the change (one row of ``bench_dossier_change``, a table
``bench/audit.py`` creates) and records one entry through ``IAuditLog``,
then answers JSON. ``?audit=0`` writes the same change without the entry:
the baseline of the same run, so that the difference is what the audit log
adds to a request that changes something (an entry never comes alone).
``?audit=0&change=0`` writes nothing at all: the platform's own signed-in
empty POST, which bench/helpdesk.py and bench/helpdesk_cpu.py compare the
ticket form with. Loaded by
``bench/audit.py`` with ``cagou.plugins.extra`` and ``PYTHONPATH``, as the
tests load their sample module; never installed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request

from cagou import INTRANET, ModuleInfo, hookimpl
from cagou.interfaces import IAuditLog

MAX_REFERENCE_LENGTH = 64
#: The module's own change, written on both sides of the comparison.
WRITE_CHANGE = sa.text("INSERT INTO bench_dossier_change (reference, state) VALUES (:reference, :state)")


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(name="benchaudit", title="Banc d'essai du journal d'audit", version="1.0", sites=(INTRANET,))


def write(request: Request) -> dict[str, Any]:
    try:
        reference = str(request.json_body["reference"])[:MAX_REFERENCE_LENGTH]
    except (ValueError, KeyError, TypeError) as error:
        raise HTTPBadRequest('Envoyez un objet JSON : {"reference": "…"}.') from error
    mode = request.params.get("audit", "1")
    audited = mode == "1"
    if audited or request.params.get("change", "1") == "1":
        request.db.execute(WRITE_CHANGE, {"reference": reference, "state": "en instruction"})
        zope.sqlalchemy.mark_changed(request.db)
    if audited:
        request.find_service(IAuditLog).record(
            "benchaudit:dossier:update",
            f"Dossier {reference} passé de « déposé » à « en instruction ».",
            module="benchaudit",
            object_type="dossier",
            object_id=reference,
            changes={"before": {"état": "déposé"}, "after": {"état": "en instruction"}},
        )
    return {"reference": reference, "audited": audited}


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "benchaudit.write", "/banc/audit")
    config.add_view(
        write, route_name="benchaudit.write", request_method="POST", renderer="json", permission="core:space:view"
    )
