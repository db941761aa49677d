"""Bulk actions on applications of the queue (:mod:`cagou_aids.bulk`): one action, hundreds of files.

The selection is read at once, in one query with each file's version and
procedure, and locked (``SELECT … FOR UPDATE``, in id order, so that two bulk
actions over the same files wait for each other instead of deadlocking); the
transitions already taken on those files (for the four-eyes rule) are read in
one more query. Each file then goes through its own service, as if taken
alone, except that ``IWorkflows.take`` neither locks again a file locked here
nor flushes its rows one file at a time: they are flushed together at the end
(a few multi-row statements instead of three per file). What is left per file
is its mail and its audit entry.

It all runs in the request's one transaction rather than in chunks: the 800
validations the instructors asked for take a few seconds (bench/aids_bulk.py),
a refusal is raised before its file is touched (the services' rule) so that a
refused file leaves nothing behind, and a failure of the whole (the database
gone) leaves every file as it was, with nothing reported done that was not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, IAuditLog, Invalid, Refused
from cagou_aids.bulk import MAX_BULK, BulkReport, FileResult, offered
from cagou_aids.interfaces import IBulkActions
from cagou_aids.models import Procedure
from cagou_aids.services.locks import locked_applications, preloaded


def reason(refusal: Refused | Invalid) -> str:
    return refusal.message if isinstance(refusal, Refused) else " ".join(refusal.errors.values())


@implementer(IBulkActions)
class BulkActionService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def run(
        self, procedure: Procedure, code: str, application_ids: Sequence[int], inputs: Mapping[str, Any]
    ) -> BulkReport:
        request = self.request
        action = next((action for action in offered(request, procedure) if action.code == code), None)
        if action is None:
            raise Invalid(FormErrors(action="Choisissez l'une des actions proposées pour cette démarche."))
        if not application_ids:
            raise Invalid(FormErrors(selection="Cochez au moins une demande, ou toutes celles du filtre."))
        if len(application_ids) > MAX_BULK:
            raise Invalid(FormErrors(selection=f"{MAX_BULK} demandes au plus à la fois : affinez le filtre."))
        action.check(request, procedure, inputs)
        applications = locked_applications(request, procedure, application_ids)
        if not applications:
            raise Invalid(FormErrors(selection="Aucune des demandes cochées n'est de cette démarche."))
        report = BulkReport(action.label)
        with preloaded(request, applications) as taken:
            for application in applications:
                try:
                    report.results.append(FileResult(application.receipt, True, action.run(request, application,
                                                                                           inputs)))  # fmt: skip
                except (Refused, Invalid) as refusal:
                    report.results.append(FileResult(application.receipt, False, reason(refusal)))
                taken.pop(application.id, None)  # what it wrote is the database's to tell from now on
        done, refused = len(report.done), len(report.refused)
        request.find_service(IAuditLog).record(
            "aids:bulk", f"Action groupée « {action.label} » sur {len(applications)} demande(s) de "
            f"« {procedure.title} » : {done} faite(s), {refused} refusée(s).", module="aids",
            object_type="aids_procedure", object_id=str(procedure.id),
            changes={"after": {"action": code, "done": [r.receipt for r in report.done],
                               "refused": {r.receipt: r.text for r in report.refused}}},
        )  # fmt: skip
        return report
