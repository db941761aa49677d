"""An application's state in words: its workflow's label and meaning, else the module's own (submitted,
withdrawn), for every page and the public API alike."""

from __future__ import annotations

from cagou_aids.models import APPLICATION_STATES, COMPLEMENT, STATE_EXPLANATIONS, SUBMITTED, Application
from cagou_aids.workflow import Workflow


def state_labels(workflow: Workflow | None) -> dict[str, str]:
    """The states' labels: the workflow's, over the module's own (submitted, withdrawn…)."""
    labels = dict(APPLICATION_STATES)
    if workflow is not None:
        labels.update({state.code: state.label for state in workflow.states})
    return labels


def state_for_applicant(application: Application) -> tuple[str, str]:
    """The application's state as "Mes démarches" shows it: its label, and what it means for the applicant."""
    version = application.version.procedure.workflow_version
    state = version.parsed.state(application.state) if version is not None else None
    if state is not None:
        return state.label, state.meaning
    return APPLICATION_STATES.get(application.state, application.state), STATE_EXPLANATIONS.get(application.state, "")


def asking_states(workflow: Workflow | None) -> frozenset[str]:
    """The states from which an instructor may request documents: submitted, or, under a workflow, every state a
    transition leaves for ``complement`` ("en instruction" in the aid with payment)."""
    if workflow is None:
        return frozenset({SUBMITTED})
    return frozenset(source for t in workflow.transitions if t.target == COMPLEMENT for source in t.sources)
