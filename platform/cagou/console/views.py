"""The IT console: modules and their state per site, sent mail, the audit log."""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.view import view_config

from cagou.audit.models import AuditEntry
from cagou.contributions import SITES, HealthResult
from cagou.mail.delivery import read_folder
from cagou.modules.services import SITE_LABELS, module_states
from cagou.plugins import Module, get_plugins

MAILDIR_KEY = re.compile(r"^[A-Za-z0-9._:,-]{1,200}$")
AUDIT_PAGE_SIZE = 200


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
        messages = sorted(read_folder(folder).iteritems(), key=lambda item: item[1]["Date"].datetime, reverse=True)
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


@view_config(route_name="console.audit", renderer="cagou:console/templates/audit.jinja2", permission="core:audit:view")
def audit(request: Request) -> dict[str, Any]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE_SIZE)
    module = request.params.get("module", "")
    if module:
        query = query.where(AuditEntry.module == module)
    return {"entries": list(request.db.scalars(query)), "module": module}
