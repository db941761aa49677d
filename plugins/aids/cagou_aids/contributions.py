"""What the aids module adds to the core's pages: the widgets of both homes, the global search, the health check."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import PUBLIC, HealthResult, IClock, SearchResult, Widget
from cagou_aids.act_widgets import act_widgets
from cagou_aids.answers import applicant_name
from cagou_aids.assignment_widgets import assignment_widgets
from cagou_aids.models import APPLICATION_STATES, PUBLISHED, Application, Procedure
from cagou_aids.queries import applications_of, drafts_of
from cagou_aids.states import state_for_applicant
from cagou_aids.views.instruction import READ, readable_procedures

RECENT = datetime.timedelta(days=7)
APPLY = "aids:apply"
#: How many drafts and applications the public widget shows ("Mes démarches" has them all).
SHOWN = 3


def widgets(request: Request) -> list[Widget]:
    return [*own_widgets(request), *instructors_widgets(request), *assignment_widgets(request), *act_widgets(request)]


def own_widgets(request: Request) -> list[Widget]:
    """ "Mes démarches" on the public extension's home: the drafts to finish, the latest applications."""
    if request.identity is None or not request.can(APPLY):
        return []
    person = request.identity.id
    values = {
        "drafts": drafts_of(request.db, person)[:SHOWN],
        "applications": applications_of(request.db, person)[:SHOWN],
        "states": APPLICATION_STATES,
        "state_of": lambda application: state_for_applicant(application)[0],
    }
    return [Widget("Mes démarches", "cagou_aids:templates/widget_mine.jinja2", values, 20, APPLY, site=PUBLIC)]


def instructors_widgets(request: Request) -> list[Widget]:
    """ "Nouvelles demandes": each of the agent's procedures, with the applications of the last seven days."""
    if request.identity is None or not request.can(READ):
        return []
    procedures = readable_procedures(request)
    since = request.find_service(IClock).now() - RECENT
    query = (
        sa.select(Application.procedure_id, sa.func.count())
        .where(
            Application.procedure_id.in_([p.id for p in procedures]),
            Application.submitted_at >= since,
            Application.is_test.is_(False),
        )
        .group_by(Application.procedure_id)
    )
    counts: dict[int, int] = {procedure_id: count for procedure_id, count in request.db.execute(query)}
    rows = [(procedure, counts.get(procedure.id, 0)) for procedure in procedures if procedure.state == PUBLISHED]
    return [Widget("Nouvelles demandes", "cagou_aids:templates/widget_new.jinja2", {"rows": rows}, 30, READ)]


def search(request: Request, query: str, limit: int) -> list[SearchResult]:
    """Applications by receipt number, RIDET or name, in the procedures the agent may read."""
    if request.identity is None or not request.can(READ):
        return []
    procedures = {procedure.id: procedure for procedure in readable_procedures(request)}
    if not procedures:
        return []
    text = query.strip()[:100]
    matches = sa.or_(
        Application.receipt == text.upper(),
        sa.cast(Application.answers, sa.Text).ilike(f"%{text}%"),  # a RIDET, a name, as the answers hold them
    )
    found = request.db.scalars(
        sa.select(Application)
        .where(Application.procedure_id.in_(procedures), Application.is_test.is_(False), matches)
        .order_by(Application.submitted_at.desc())
        .limit(limit)
    )
    return [
        SearchResult(
            f"{application.receipt} — {applicant_name(application)}",
            request.route_path("aids.application", id=application.procedure_id, receipt=application.receipt),
            procedures[application.procedure_id].title,
            kind="Demande",
        )
        for application in found
    ]


def health(request: Request) -> list[HealthResult]:
    published = request.db.scalar(sa.select(sa.func.count()).select_from(Procedure).where(Procedure.state == PUBLISHED))
    applications = request.db.scalar(sa.select(sa.func.count()).select_from(Application))
    return [HealthResult("démarches en ligne", True, f"{published} démarche(s) publiée(s), {applications} demande(s)")]
