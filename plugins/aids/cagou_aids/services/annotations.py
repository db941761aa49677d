"""Private annotations, eligibility rules and triage weights: the designer sets them per procedure, the
instructors fill the annotations on each application.

Every change is audited: the definitions as ``aids:procedure:annotations``,
``aids:procedure:eligibility`` and ``aids:procedure:triage`` (before and
after), each instructor's change of values as ``aids:annotation:set`` (the
values changed, before and after). A file annotation is kept as a message's
files are (``IFileStorage``, a row of ``aids_file`` tied to the application,
its ``field`` ``annotation:<code>``, which keeps it out of everything the
applicant reads); a new file replaces the one before (kept, no longer shown).

The workflow calls two functions of this module from
:meth:`~cagou_aids.services.workflows.WorkflowService.take`:
:func:`check_annotations` (a requirement ``annotation`` refuses the
transition while its annotation is empty) and :func:`keep_suggestion` (a
proposal keeps the eligibility suggestion of that moment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.orm import Session
from zope.interface import implementer

from cagou.kit import (
    Account,
    FormErrors,
    IAuditLog,
    IClock,
    IFileStorage,
    Invalid,
    Refused,
    Upload,
    check_upload,
)  # fmt: skip
from cagou_aids.annotations import (
    FILE,
    FILE_FIELD_PREFIX,
    MAX_ANNOTATION_FILE,
    AnnotationsError,
    AnnotationSpec,
    annotations_data,
    is_filled,
    parse_annotations,
    read_value,
)  # fmt: skip
from cagou_aids.definition import AMOUNT, FILE_TYPES, INTEGER
from cagou_aids.eligibility import Suggestion, parse_rules, rules_data, rules_of, suggest
from cagou_aids.interfaces import IAnnotations
from cagou_aids.models import Application, ApplicationEvent, Procedure, StoredFile, TransitionTaken
from cagou_aids.models.annotations import AnnotationValue, EligibilitySnapshot, InstructionRules
from cagou_aids.triage import parse_weights, weights_data
from cagou_aids.workflow import ANNOTATION, PROPOSAL, Transition


def rules_for(db: Session, procedure: Procedure) -> InstructionRules | None:
    return db.get(InstructionRules, procedure.id)


def specs_for(db: Session, procedure: Procedure) -> tuple[AnnotationSpec, ...]:
    rules = rules_for(db, procedure)
    return parse_annotations(rules.annotations) if rules is not None else ()


def values_of(db: Session, application: Application) -> dict[str, Any]:
    query = sa.select(AnnotationValue).where(AnnotationValue.application_id == application.id)
    return {row.code: row.value for row in db.scalars(query)}


def annotation_files(db: Session, application: Application) -> dict[str, StoredFile]:
    """Each file annotation's current file, by annotation code."""
    query = sa.select(StoredFile).where(
        StoredFile.application_id == application.id, StoredFile.field.startswith(FILE_FIELD_PREFIX),
        StoredFile.replaced_at.is_(None),
    )  # fmt: skip
    return {row.field.removeprefix(FILE_FIELD_PREFIX): row for row in db.scalars(query.order_by(StoredFile.id))}


def suggestion_for(db: Session, application: Application) -> Suggestion | None:
    rules = rules_for(db, application.version.procedure)
    eligibility = rules_of(rules.eligibility) if rules is not None else None
    return suggest(eligibility, application.answers) if eligibility is not None else None


def missing_annotations(db: Session, application: Application, transition: Transition) -> list[str]:
    """The labels of the annotations ``transition`` requires that are still empty on ``application``."""
    required = [requirement for requirement in transition.requires if requirement.kind == ANNOTATION]
    if not required:
        return []
    specs = {spec.code: spec for spec in specs_for(db, application.version.procedure)}
    values = values_of(db, application)
    return [
        (specs[r.code].label if r.code in specs else r.label or r.code)
        for r in required if not is_filled(values.get(r.code))
    ]  # fmt: skip


def check_annotations(request: Request, application: Application, transition: Transition) -> None:
    """Refuse ``transition`` (400, nothing changed) while an annotation it requires is empty."""
    missing = missing_annotations(request.db, application, transition)
    if missing:
        names = ", ".join(f"« {label} »" for label in missing)
        raise Refused(f"« {transition.label} » demande d'abord de remplir l'annotation privée {names}.", 400)


def keep_suggestion(request: Request, application: Application, taken: TransitionTaken) -> None:
    """A proposal keeps, with its transition, the eligibility suggestion of this moment, and says it in the
    instructors' history."""
    if taken.step != PROPOSAL:
        return
    suggestion = suggestion_for(request.db, application)
    if suggestion is None:
        return
    request.db.add(EligibilitySnapshot(
        application_id=application.id, transition_id=taken.id, eligible=suggestion.eligible,
        text=suggestion.text[:500], amount=suggestion.amount, at=taken.at,
    ))  # fmt: skip
    request.db.add(ApplicationEvent(
        application_id=application.id, at=taken.at, state=taken.to_state, public=False,
        text=f"Suggestion d'éligibilité au moment de la proposition : {suggestion.text}"[:500],
    ))  # fmt: skip


def snapshots_of(db: Session, application: Application) -> list[EligibilitySnapshot]:
    query = sa.select(EligibilitySnapshot).where(EligibilitySnapshot.application_id == application.id)
    return list(db.scalars(query.order_by(EligibilitySnapshot.id)))


def erase_annotations(db: Session, application_ids: Sequence[int]) -> None:
    """What the instructors noted on applications being deleted (tests) or anonymised (retention), and the
    suggestions kept with their proposals (figures read from the answers)."""
    db.execute(sa.delete(AnnotationValue).where(AnnotationValue.application_id.in_(application_ids)))
    db.execute(sa.delete(EligibilitySnapshot).where(EligibilitySnapshot.application_id.in_(application_ids)))


def number_fields(procedure: Procedure) -> dict[str, str]:
    return {spec.name: spec.type for spec in procedure.latest.parsed.fields() if spec.type in (INTEGER, AMOUNT)}


@implementer(IAnnotations)
class AnnotationService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def rules(self, procedure: Procedure) -> InstructionRules:
        rules = rules_for(self.request.db, procedure)
        if rules is None:
            rules = InstructionRules(procedure_id=procedure.id, annotations=[], eligibility={}, triage={},
                                     updated_at=self.request.find_service(IClock).now())  # fmt: skip
            self.request.db.add(rules)
        return rules

    def record(self, procedure: Procedure, action: str, text: str, before: Any, after: Any) -> None:
        self.request.db.flush()
        self.request.find_service(IAuditLog).record(
            action, f"Démarche « {procedure.title} » : {text}.", module="aids", object_type="aids_procedure",
            object_id=str(procedure.id), changes={"before": before, "after": after},
        )  # fmt: skip

    def replace(self, procedure: Procedure, part: str, parse: Callable[[], Any], text: str) -> Any:
        """Set one part (``annotations``, ``eligibility``, ``triage``) of the procedure's rules to what ``parse``
        returns as stored JSON; ``Invalid`` with its problems, nothing kept."""
        try:
            after = parse()
        except AnnotationsError as refused:
            raise Invalid(refused.errors) from None
        rules = self.rules(procedure)
        before = getattr(rules, part)
        setattr(rules, part, after)
        rules.updated_at = self.request.find_service(IClock).now()
        self.record(procedure, f"aids:procedure:{part}", text, before, after)
        return after

    def define(self, procedure: Procedure, data: list[dict[str, Any]]) -> tuple[AnnotationSpec, ...]:
        stored = self.replace(procedure, "annotations", lambda: annotations_data(parse_annotations(data)),
                              "annotations privées")  # fmt: skip
        return parse_annotations(stored)

    def set_eligibility(self, procedure: Procedure, data: Mapping[str, Any]) -> None:
        self.replace(procedure, "eligibility", lambda: rules_data(parse_rules(data, number_fields(procedure))),
                     "règles d'éligibilité")  # fmt: skip

    def set_triage(self, procedure: Procedure, data: Mapping[str, Any]) -> None:
        self.replace(procedure, "triage", lambda: weights_data(parse_weights(data, procedure.latest.parsed)),
                     "poids du tri")  # fmt: skip

    def set_values(
        self, application: Application, inputs: Mapping[str, Any], uploads: Mapping[str, Upload],
        account: Account | None,
    ) -> dict[str, Any]:  # fmt: skip
        request = self.request
        if application.anonymised_at is not None:
            raise Refused("Cette demande est anonymisée (fin de sa durée de conservation) : elle ne reçoit plus "
                          "d'annotation.", 409)  # fmt: skip
        specs = {spec.code: spec for spec in specs_for(request.db, application.version.procedure)}
        errors = FormErrors()
        for code in sorted(set(inputs) | set(uploads)):
            if code not in specs:
                errors.add(code, f"Cette démarche n'a pas d'annotation « {code[:40]} ».")
        wanted = {code: read_value(errors, specs[code], raw, code) for code, raw in inputs.items() if code in specs}
        kinds = {code: check_upload(errors, code, upload, FILE_TYPES, MAX_ANNOTATION_FILE)
                 for code, upload in uploads.items() if code in specs and specs[code].kind == FILE}  # fmt: skip
        if errors:
            raise Invalid(errors)
        # Two instructors at once on one application: one after the other (the second's "before" is the first's).
        request.db.refresh(application, with_for_update=True)
        instant = request.find_service(IClock).now()
        for code, kind in kinds.items():
            assert kind is not None  # refused files raised above
            wanted[code] = self.store_file(application, code, uploads[code], kind, instant)
        rows = {row.code: row for row in request.db.scalars(
            sa.select(AnnotationValue).where(AnnotationValue.application_id == application.id)
        )}  # fmt: skip
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for code, value in wanted.items():
            old = rows[code].value if code in rows else None
            if old == value:
                continue
            before[code], after[code] = old, value
            if code in rows:
                rows[code].value, rows[code].updated_at = value, instant
                rows[code].account_id = account.id if account is not None else None
            else:
                request.db.add(AnnotationValue(application_id=application.id, code=code, value=value,
                                               account_id=account.id if account is not None else None,
                                               updated_at=instant))  # fmt: skip
        if after:
            request.db.flush()
            request.find_service(IAuditLog).record(
                "aids:annotation:set", f"Annotations privées de la demande {application.receipt} : "
                f"{', '.join(specs[code].label for code in after)}.", module="aids", object_type="aids_application",
                object_id=str(application.id), changes={"before": before, "after": after},
            )  # fmt: skip
        return after

    def store_file(self, application: Application, code: str, upload: Upload, kind: str, instant: Any) -> int:
        db = self.request.db
        field = f"{FILE_FIELD_PREFIX}{code}"
        db.execute(sa.update(StoredFile).where(
            StoredFile.application_id == application.id, StoredFile.field == field, StoredFile.replaced_at.is_(None)
        ).values(replaced_at=instant))  # fmt: skip
        key = self.request.find_service(IFileStorage).store(upload.data, upload.filename, kind)
        stored = StoredFile(application_id=application.id, field=field, sha256=upload.sha256,
                            filename=upload.filename, size=len(upload.data), content_type=kind, storage_key=key,
                            created_at=instant)  # fmt: skip
        db.add(stored)
        db.flush()
        return stored.id
