"""What changes the aids module's data: checks, writes and their audit entries, one file per service.

Views parse and render; they call ``request.find_service(IProcedures)`` or
``IApplications``, whose methods raise ``Invalid`` (a field's refusal) or
``Refused`` (the action's) before anything is kept.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou_aids.interfaces import (
    IActs,
    IAnnotations,
    IApplications,
    IAssignments,
    IBulkActions,
    IDocumentRequests,
    IDrafts,
    IEnvelopes,
    IInstructorGroups,
    IMessages,
    IOpinions,
    IPayments,
    IProcedures,
    IReceipts,
    ISavedViews,
    IWorkflows,
)
from cagou_aids.services.acts import ActService
from cagou_aids.services.annotations import AnnotationService
from cagou_aids.services.applications import ApplicationService
from cagou_aids.services.assignment import AssignmentService
from cagou_aids.services.bulk import BulkActionService
from cagou_aids.services.designer import DesignerService
from cagou_aids.services.drafts import DraftService
from cagou_aids.services.envelopes import EnvelopeService
from cagou_aids.services.groups import GroupService
from cagou_aids.services.messages import MessageService
from cagou_aids.services.opinions import OpinionService
from cagou_aids.services.payments import PaymentService
from cagou_aids.services.receipts import ReceiptService
from cagou_aids.services.requests import DocumentRequestService
from cagou_aids.services.saved_views import SavedViewService
from cagou_aids.services.workflows import WorkflowService


def includeme(config: Configurator) -> None:
    config.register_service_factory(lambda context, request: DesignerService(request), IProcedures)
    config.register_service_factory(lambda context, request: ApplicationService(request), IApplications)
    config.register_service_factory(lambda context, request: DraftService(request), IDrafts)
    config.register_service_factory(lambda context, request: ReceiptService(request), IReceipts)
    config.register_service_factory(lambda context, request: MessageService(request), IMessages)
    config.register_service_factory(lambda context, request: DocumentRequestService(request), IDocumentRequests)
    config.register_service_factory(lambda context, request: WorkflowService(request), IWorkflows)
    config.register_service_factory(lambda context, request: SavedViewService(request), ISavedViews)
    config.register_service_factory(lambda context, request: BulkActionService(request), IBulkActions)
    config.register_service_factory(lambda context, request: EnvelopeService(request), IEnvelopes)
    config.register_service_factory(lambda context, request: ActService(request), IActs)
    config.register_service_factory(lambda context, request: PaymentService(request), IPayments)
    config.register_service_factory(lambda context, request: AnnotationService(request), IAnnotations)
    config.register_service_factory(lambda context, request: OpinionService(request), IOpinions)
    config.register_service_factory(lambda context, request: AssignmentService(request), IAssignments)
    config.register_service_factory(lambda context, request: GroupService(request), IInstructorGroups)
