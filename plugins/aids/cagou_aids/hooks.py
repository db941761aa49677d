"""The aids module's hook implementations (docs/plugins.md, "The hooks")."""

from __future__ import annotations

import click
from pyramid.request import Request

from cagou.kit import (
    CITIZEN,
    COMPANY,
    INTRANET,
    PUBLIC,
    HealthResult,
    ModuleInfo,
    NavEntry,
    Permission,
    RateLimit,
    Role,
    ScheduledJob,
    SearchResult,
    Widget,
    hookimpl,
)  # fmt: skip
from cagou_aids import contributions
from cagou_aids.abuse import RATE_LIMITS
from cagou_aids.commands import aids_command
from cagou_aids.demo import load_demo
from cagou_aids.jobs import SCHEDULED_JOBS

__all__ = [
    "cagou_cli_commands",
    "cagou_dashboard_widgets",
    "cagou_health_checks",
    "cagou_load_demo",
    "cagou_module_info",
    "cagou_navigation",
    "cagou_permissions",
    "cagou_rate_limits",
    "cagou_roles",
    "cagou_scheduled_jobs",
    "cagou_search",
]


CLOSED_NOTICE = (
    "Les démarches en ligne sont fermées pour le moment. Vos brouillons et vos demandes sont conservés : "
    "vous les retrouverez ici dès la réouverture."
)


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(
        name="aids",
        title="Démarches en ligne",
        version="0.1.0",
        sites=(INTRANET, PUBLIC),
        description="Démarches en ligne : le catalogue, les formulaires de dépôt, et les demandes reçues.",
        migrations="cagou_aids:migrations",
        closed_notice=CLOSED_NOTICE,
    )


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [
        Permission("aids:apply", "Déposer une demande sur une démarche en ligne et suivre ses demandes"),
        Permission("aids:procedure:design", "Concevoir et publier les démarches de sa direction"),
        Permission("aids:application:read", "Consulter les demandes déposées sur les démarches de sa direction"),
        Permission("aids:application:instruct", "Faire avancer les demandes de sa direction dans leur circuit"),
        Permission(
            "aids:application:validate", "Valider les propositions de décision sur les demandes de sa direction"
        ),
        Permission("aids:opinion:give", "Rendre les avis demandés à sa direction sur les demandes d'autres directions"),
        Permission("aids:act:sign", "Signer les arrêtés attribuant les aides des démarches de sa direction"),
    ]


@hookimpl
def cagou_roles() -> list[Role]:
    return [
        Role("aids:applicant", "Usager des démarches en ligne", ("aids:apply",), granted_to_kinds=(CITIZEN, COMPANY)),
        Role("aids:designer", "Concepteur de démarches", ("aids:procedure:design", "aids:application:read"),
             per_directorate=True),
        Role("aids:instructor", "Instructeur des demandes",
             ("aids:application:read", "aids:application:instruct", "aids:opinion:give"), per_directorate=True),
        Role("aids:validator", "Validateur des demandes", ("aids:application:read", "aids:application:validate"),
             per_directorate=True),
        Role("aids:expert", "Expert consulté pour avis", ("aids:opinion:give",), per_directorate=True),
        Role("aids:signer", "Signataire des arrêtés", ("aids:application:read", "aids:act:sign"), per_directorate=True),
    ]  # fmt: skip


@hookimpl
def cagou_navigation(request: Request) -> list[NavEntry]:
    return [
        NavEntry("Démarches en ligne", "aids.catalogue", PUBLIC, order=20),
        NavEntry("Mes démarches", "aids.mine", PUBLIC, order=21, permission="aids:apply"),
        NavEntry("Démarches", "aids.procedures", INTRANET, order=30, permission="aids:application:read"),
        NavEntry("Mes dossiers", "aids.my_files", INTRANET, order=31, permission="aids:application:read"),
        NavEntry("Avis demandés", "aids.opinions_asked", INTRANET, order=32, permission="aids:opinion:give"),
    ]


@hookimpl
def cagou_load_demo(request: Request) -> None:
    load_demo(request)


@hookimpl
def cagou_cli_commands(cli: click.Group) -> None:
    cli.add_command(aids_command)


@hookimpl
def cagou_rate_limits() -> list[RateLimit]:
    return RATE_LIMITS


@hookimpl
def cagou_dashboard_widgets(request: Request) -> list[Widget]:
    return contributions.widgets(request)


@hookimpl
def cagou_search(request: Request, query: str, limit: int) -> list[SearchResult]:
    return contributions.search(request, query, limit)


@hookimpl
def cagou_health_checks(request: Request) -> list[HealthResult]:
    return contributions.health(request)


@hookimpl
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    return SCHEDULED_JOBS
