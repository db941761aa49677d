"""The IT console: modules and their state per site, sent mail, the audit log."""

from __future__ import annotations

import json
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy.engine import Engine

from cagou.audit.models import CATEGORY_LABELS, READ, AuditEntry, AuditSeal
from cagou.audit.queries import PARAMETERS, entries_query, read_before, read_filters
from cagou.clock import local
from cagou.contributions import SITES, HealthResult
from cagou.db import get_engine
from cagou.interfaces import IAuditLog, IClock
from cagou.mail.delivery import in_arrival_order, read_folder
from cagou.modules.services import SITE_LABELS, module_states
from cagou.plugins import Module, get_plugins
from cagou.web.exports import csv_response
from cagou.web.forms import FormErrors

MAILDIR_KEY = re.compile(r"^[A-Za-z0-9._:,-]{1,200}$")
AUDIT_PAGE_SIZE = 200
AUDIT_ENTRIES_PAGE = 100


@dataclass(frozen=True)
class SiteState:
    site: str
    label: str
    served: bool
    enabled: bool


@dataclass(frozen=True)
class ModuleRow:
    module: Module
    sites: list[SiteState]
    health: list[HealthResult]


def module_row(
    request: Request, module: Module, health: list[HealthResult], just_set: dict[str, bool] | None = None
) -> ModuleRow:
    """A module's row; ``just_set`` holds states this request wrote and has not committed yet."""
    states = module_states(request.registry)
    just_set = just_set or {}
    sites = [
        SiteState(
            site, SITE_LABELS[site], site in module.sites, just_set.get(site, states.is_enabled(module.name, site))
        )
        for site in SITES
    ]
    return ModuleRow(module, sites, health)


def health_by_module(request: Request, names: list[str]) -> dict[str, list[HealthResult]]:
    answers = get_plugins(request.registry).call_each("cagou_health_checks", names, request=request)
    health: dict[str, list[HealthResult]] = {name: [] for name in names}
    for module, results in answers:
        health[module].extend(results)
    return health


@view_config(
    route_name="console.modules", renderer="cagou:console/templates/modules.jinja2", permission="core:console:view"
)
def modules(request: Request) -> dict[str, Any]:
    plugins = get_plugins(request.registry)
    ordered = sorted(plugins.modules.values(), key=lambda m: (not m.builtin, m.name))
    health = health_by_module(request, [m.name for m in ordered if not m.broken])
    return {"rows": [module_row(request, module, health.get(module.name, [])) for module in ordered]}


@view_config(route_name="console.module_toggle", request_method="POST", permission="core:modules:manage")
def module_toggle(request: Request) -> Any:
    name, site = request.matchdict["module"], request.matchdict["site"]
    module = get_plugins(request.registry).modules.get(name)
    if module is None or site not in SITES:
        raise HTTPNotFound()
    wanted = request.POST.get("enabled")
    if wanted not in ("0", "1"):
        raise HTTPBadRequest("Le champ « enabled » doit valoir 0 ou 1.")
    try:
        module_states(request.registry).set_enabled(request, name, site, wanted == "1")
    except ValueError as error:
        raise HTTPBadRequest(str(error)) from error
    verb = "activé" if wanted == "1" else "désactivé"
    message = f"Module « {module.title} » {verb} sur {SITE_LABELS[site]}."
    if request.is_htmx:
        health = health_by_module(request, [name])
        row = module_row(request, module, health[name], just_set={site: wanted == "1"})
        values = {"row": row, "status_message": message}
        return render_to_response("cagou:console/templates/module_row.jinja2", values, request=request)
    request.session.flash(message)
    return HTTPSeeOther(request.route_path("console.modules"))


@view_config(route_name="console.mail", renderer="cagou:console/templates/mail.jinja2", permission="core:mail:view")
def mail_folder(request: Request) -> dict[str, Any]:
    folder = _mail_folder(request)
    messages: list[tuple[str, EmailMessage]] = []
    if folder is not None and folder.exists():
        messages = in_arrival_order(folder)[::-1]
    return {"folder": folder, "messages": messages[:AUDIT_PAGE_SIZE]}


@view_config(
    route_name="console.mail_message",
    renderer="cagou:console/templates/mail_message.jinja2",
    permission="core:mail:view",
)
def mail_message(request: Request) -> dict[str, Any]:
    key = request.matchdict["key"]
    folder = _mail_folder(request)
    if folder is None or not MAILDIR_KEY.match(key):
        raise HTTPNotFound()
    try:
        message: EmailMessage = read_folder(folder)[key]
    except (KeyError, OSError, mailbox.Error) as error:
        raise HTTPNotFound() from error
    text = message.get_body(preferencelist=("plain",))
    return {"message": message, "body": text.get_content() if text is not None else ""}


def _mail_folder(request: Request) -> Path | None:
    settings = request.registry.settings
    if settings["cagou.mail.delivery"] != "folder":
        return None
    return Path(settings["cagou.mail.folder"])


# -- the audit log ---------------------------------------------------------------

AUDIT_RESULTS_TARGET = "journal-recherche"


@view_config(route_name="console.audit", renderer="cagou:console/templates/audit.jinja2", permission="core:audit:view")
def audit(request: Request) -> Any:
    """The log, filtered, newest first, one keyset page at a time; htmx swaps only the results.

    A bad filter answers 400 with its message next to the field. htmx does not
    swap error responses, so its requests get the same fragment with 200.
    """
    errors = FormErrors()
    filters = read_filters(request.params, errors)
    before = read_before(request.params.get("avant"))
    entries: list[AuditEntry] = []
    if not errors:
        query = entries_query(request.registry, filters, request.db.get_bind().dialect.name, before)
        entries = list(request.db.scalars(query.limit(AUDIT_ENTRIES_PAGE + 1)))
    values = {
        "entries": entries[:AUDIT_ENTRIES_PAGE],
        "older": entries[AUDIT_ENTRIES_PAGE - 1].id if len(entries) > AUDIT_ENTRIES_PAGE else None,
        "first_page": before is None,
        "filters": filters,
        "params": {name: request.params.get(name, "") for name in PARAMETERS},
        "errors": errors,
        "modules": sorted(get_plugins(request.registry).modules),
        "categories": CATEGORY_LABELS,
        "target": AUDIT_RESULTS_TARGET,
    }
    if request.is_htmx and request.headers.get("HX-Target") == AUDIT_RESULTS_TARGET:
        return render_to_response("cagou:console/templates/audit_results.jinja2", values, request=request)
    if errors:
        request.response.status_int = 400
    return values


@view_config(
    route_name="console.audit_entry",
    renderer="cagou:console/templates/audit_entry.jinja2",
    permission="core:audit:view",
)
def audit_entry(request: Request) -> dict[str, Any]:
    """One entry with every field, its place in the chain, and its change as before and after."""
    entry = request.db.get(AuditEntry, int(request.matchdict["id"]))
    if entry is None:
        raise HTTPNotFound()
    seal = request.db.scalars(sa.select(AuditSeal).where(AuditSeal.entry_id == entry.id)).first()
    return {
        "entry": entry,
        "seal": seal,
        "change_rows": change_rows(entry.changes),
        "changes_text": json.dumps(entry.changes, ensure_ascii=False, indent=2, sort_keys=True),
        "categories": CATEGORY_LABELS,
    }


def change_rows(changes: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """``{"before": {...}, "after": {...}}`` as (field, before, after) rows; [] for other shapes."""
    if not isinstance(changes, dict) or not set(changes) <= {"before", "after"}:
        return []
    before, after = changes.get("before") or {}, changes.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return [(name, before.get(name), after.get(name)) for name in sorted(set(before) | set(after))]


CSV_COLUMNS = (
    "N°",
    "Date (heure de Nouméa)",
    "Compte",
    "Type de compte",
    "Réellement effectué par",
    "Adresse",
    "Navigateur",
    "Requête",
    "Module",
    "Action",
    "Nature",
    "Type d'objet",
    "Objet",
    "Résumé",
    "Modifications (JSON)",
)
CSV_BATCH = 500


@view_config(route_name="console.audit_export", permission="core:audit:view")
def audit_export(request: Request) -> Response:
    """The filtered entries as CSV for Excel: UTF-8 with BOM, semicolons, French headings, streamed.

    The rows are read on a connection of the export's own while the response
    is sent, a batch at a time, so a million entries never sit in memory.
    Exporting is itself recorded, as a read of the log.
    """
    errors = FormErrors()
    filters = read_filters(request.params, errors)
    if errors:
        raise HTTPBadRequest(" ".join(errors.values()))
    engine = get_engine(request.registry)
    query = entries_query(request.registry, filters, engine.dialect.name).with_only_columns(
        *AuditEntry.__table__.columns
    )
    request.find_service(IAuditLog).record(
        "core:audit:export",
        f"Export CSV du journal d'audit ({filters.described()}).",
        changes={"filters": filters.query_string()},
        category=READ,
    )
    stamp = local(request.registry, request.find_service(IClock).now()).strftime("%Y%m%d-%H%M")
    # Through the core's CSV writer: summaries and user agents are anyone's text, formulas included.
    return csv_response(
        f"journal-audit-{stamp}.csv", CSV_COLUMNS, audit_rows(engine, query, request.registry), CSV_BATCH
    )


def audit_rows(engine: Engine, query: sa.Select[Any], registry: Any) -> Iterator[list[Any]]:
    """The entries, read a batch at a time on a connection of the export's own."""
    with engine.connect() as connection:
        result = connection.execute(query, execution_options={"yield_per": CSV_BATCH})
        for rows in result.partitions():
            for row in rows:
                yield csv_row(registry, row)


def csv_row(registry: Any, row: Any) -> list[Any]:
    changes = json.dumps(row.changes, ensure_ascii=False, sort_keys=True) if row.changes is not None else ""
    return [
        row.id,
        local(registry, row.occurred_at).strftime("%d/%m/%Y %H:%M:%S"),
        row.actor_login or "(système)",
        row.actor_kind or "",
        row.impersonator_login or "",
        row.address or "",
        row.user_agent or "",
        row.request_id or "",
        row.module,
        row.action,
        CATEGORY_LABELS.get(row.category, row.category),
        row.object_type or "",
        row.object_id or "",
        row.summary,
        changes,
    ]
