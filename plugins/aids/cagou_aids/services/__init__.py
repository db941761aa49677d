"""What changes the aids module's data: checks, writes and their audit entries, one file per service.

Views parse and render; they call ``request.find_service(IProcedures)`` or
``IApplications``, whose methods raise ``Invalid`` (a field's refusal) or
``Refused`` (the action's) before anything is kept.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou_aids.interfaces import (
    IApplications,
    IBulkActions,
    IDocumentRequests,
    IDrafts,
    IMessages,
    IProcedures,
    IReceipts,
    ISavedViews,
    IWorkflows,
)
from cagou_aids.services.applications import ApplicationService
from cagou_aids.services.bulk import BulkActionService
from cagou_aids.services.designer import DesignerService
from cagou_aids.services.drafts import DraftService
from cagou_aids.services.messages import MessageService
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
