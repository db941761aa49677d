"""Demonstration data: a realistic Province Sud, and one account of each kind.

Loading is idempotent: what exists (found by its code or login) is left as it
is, so running ``make run`` twice neither duplicates nor overwrites anything.
The passwords below are for the demonstration only; they are listed in the
README.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from pyramid.request import Request

from cagou.console.hooks import IT_ADMIN
from cagou.identity.models import ADMIN, AGENT, CITIZEN, COMPANY, Directorate
from cagou.interfaces import IAccounts
from cagou.plugins import call_installed

#: code, name, parent code
DIRECTORATES: tuple[tuple[str, str, str | None], ...] = (
    ("SG", "Secrétariat général", None),
    ("DSI", "Direction des systèmes d'information", "SG"),
    ("DSI-BI", "Bureau des infrastructures", "DSI"),
    ("DSI-BAU", "Bureau de l'assistance aux utilisateurs", "DSI"),
    ("DSI-BEP", "Bureau des études et projets", "DSI"),
    ("DEFE", "Direction de l'économie, de la formation et de l'emploi", "SG"),
    ("DEFE-SAE", "Service des aides aux entreprises", "DEFE"),
    ("DEFE-SFP", "Service de la formation professionnelle", "DEFE"),
    ("DFI", "Direction des finances", "SG"),
    ("DFI-SB", "Service du budget", "DFI"),
    ("DFI-SC", "Service de la comptabilité", "DFI"),
    ("DRHFPP", "Direction des ressources humaines et de la fonction publique provinciale", "SG"),
    ("DRHFPP-SGP", "Service de la gestion du personnel", "DRHFPP"),
    ("DJA", "Direction juridique et d'administration générale", "SG"),
    ("DPASS", "Direction provinciale de l'action sanitaire et sociale", "SG"),
)


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    display_name: str
    kind: str
    email: str
    directorate: str | None = None
    roles: tuple[str, ...] = ()
    ridet: str | None = None


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "admin", "demo-admin-2026", "Claire Dubois", ADMIN, "claire.dubois@province-sud.example.nc", "DSI", (IT_ADMIN,)
    ),
    DemoAccount("agent", "demo-agent-2026", "Paul Wahetra", AGENT, "paul.wahetra@province-sud.example.nc", "DEFE-SAE"),
    DemoAccount(
        "technicien", "demo-technicien-2026", "Marc Kasarhérou", AGENT, "marc.k@province-sud.example.nc", "DSI-BAU"
    ),
    DemoAccount("citoyen", "demo-citoyen-2026", "Jeanne Martin", CITIZEN, "jeanne.martin@example.nc"),
    DemoAccount(
        "entreprise",
        "demo-entreprise-2026",
        "Boulangerie du Mont-Dore",
        COMPANY,
        "contact@boulangerie.example.nc",
        ridet="0123456.001",
    ),
)


def load_core_demo(request: Request) -> None:
    directorates = ensure_directorates(request)
    accounts = request.find_service(IAccounts)
    for demo in DEMO_ACCOUNTS:
        if accounts.by_login(demo.login) is not None:
            continue
        account = accounts.create(
            demo.login,
            demo.display_name,
            demo.kind,
            email=demo.email,
            password=demo.password,
            directorate=directorates.get(demo.directorate) if demo.directorate else None,
            ridet=demo.ridet,
        )
        for role in demo.roles:
            accounts.grant(account, role)


def ensure_directorates(request: Request) -> dict[str, Directorate]:
    existing = {d.code: d for d in request.db.scalars(sa.select(Directorate))}
    for code, name, parent in DIRECTORATES:
        if code not in existing:
            directorate = Directorate(code=code, name=name, parent=existing.get(parent) if parent else None)
            request.db.add(directorate)
            existing[code] = directorate
    request.db.flush()
    return existing


def load_demo(request: Request) -> None:
    """The core's demonstration data, then every installed module's."""
    load_core_demo(request)
    call_installed(request.registry, "cagou_load_demo", request=request)
