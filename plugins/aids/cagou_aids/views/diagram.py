"""What the pages show of a workflow: its diagram (states as boxes, the transitions leaving each as text), and on an
application's page its current state and the transitions the agent may take."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from cagou_aids.interfaces import IWorkflows
from cagou_aids.models import APPLICATION_STATES, Application
from cagou_aids.services.workflows import ROLE_NAMES
from cagou_aids.workflow import MOTIVATION, Workflow


def diagram(workflow: Workflow, current: str | None) -> list[dict[str, Any]]:
    """Each state with the transitions leaving it (their label, where they lead, who takes them)."""
    return [{
        "state": state, "current": state.code == current,
        "leaving": [(t.label, workflow.by_code[t.target].label, ROLE_NAMES.get(t.role, t.role))
                    for t in workflow.leaving(state.code)],
    } for state in workflow.states]  # fmt: skip


def workflow_panel(request: Request, application: Application) -> dict[str, Any] | None:
    """What the application's page shows of its workflow: the diagram, and the transitions the agent may take."""
    version = application.version.procedure.workflow_version
    if version is None:
        return None
    spec = version.parsed
    state = spec.state(application.state)
    return {
        "spec": spec, "version": version, "diagram": diagram(spec, application.state),
        "state": state.label if state else APPLICATION_STATES.get(application.state, application.state),
        "transitions": request.find_service(IWorkflows).available(application), "motivation": MOTIVATION,
        "levels": application.version.procedure.validation_levels,
    }  # fmt: skip
