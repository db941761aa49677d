"""What the application's intranet page shows in its section "Annotations privées": the annotations with their
values (or what was typed, on a refusal), the eligibility suggestion, the triage's score, the suggestions kept
with the proposals, and what each transition still needs."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from cagou.kit import FormErrors, Root, directorate_acl, local
from cagou_aids.annotations import KINDS, YES_NO, AnnotationSpec, shown_value
from cagou_aids.models import Application
from cagou_aids.services.annotations import (
    annotation_files,
    missing_annotations,
    snapshots_of,
    specs_for,
    suggestion_for,
    values_of,
)  # fmt: skip
from cagou_aids.triage import priority_score, weights_for
from cagou_aids.workflow import Transition

INSTRUCT = "aids:application:instruct"
#: The section's inputs are named ``annotation-<code>``, so that a code never meets another form's field.
PREFIX = "annotation-"


class Context:
    def __init__(self, request: Request, application: Application) -> None:
        self.__parent__ = Root(request)
        self.__acl__ = directorate_acl(request.registry, application.version.procedure.directorate)


def typed_value(spec: AnnotationSpec, value: Any) -> str:
    """A stored value as its input shows it."""
    if value is None:
        return ""
    if spec.kind == YES_NO:
        return "oui" if value else "non"
    return str(value)


def annotation_panel(request: Request, application: Application, errors: FormErrors) -> dict[str, Any] | None:
    db = request.db
    procedure = application.version.procedure
    specs = specs_for(db, procedure)
    suggestion = suggestion_for(db, application)
    weights = weights_for(db, procedure)
    snapshots = snapshots_of(db, application)
    if not specs and suggestion is None and weights is None and not snapshots:
        return None
    values = values_of(db, application)
    refused = any(key.startswith(PREFIX) for key in errors)
    rows = [{
        "spec": spec, "name": PREFIX + spec.code, "shown": shown_value(spec, values.get(spec.code)),
        "typed": request.POST.get(PREFIX + spec.code, "") if refused else typed_value(spec, values.get(spec.code)),
        "error": errors.get(PREFIX + spec.code, ""),
    } for spec in specs]  # fmt: skip
    return {
        "rows": rows, "kinds": KINDS, "files": annotation_files(db, application), "suggestion": suggestion,
        "score": priority_score(weights, application.answers) if weights is not None else None,
        "snapshots": [(local(request.registry, s.at), s.text) for s in snapshots],
        "may_edit": bool(request.has_permission(INSTRUCT, Context(request, application))),
        "missing": lambda transition: missing_for(request, application, transition),
    }  # fmt: skip


def missing_for(request: Request, application: Application, transition: Transition) -> str:
    missing = missing_annotations(request.db, application, transition)
    if not missing:
        return ""
    return "À remplir d'abord : " + ", ".join(f"« {label} »" for label in missing) + " (annotations privées)."
