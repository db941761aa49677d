"""An instructor's saved views of a procedure's list: a name for a query string, theirs only."""

from __future__ import annotations

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import Account, FormErrors, IAuditLog, IClock, Invalid, Refused, check_text
from cagou_aids.interfaces import ISavedViews
from cagou_aids.models import Procedure
from cagou_aids.models.queue import MAX_VIEW_NAME, MAX_VIEW_QUERY, SavedView


def saved_views(request: Request, procedure: Procedure, account: Account) -> list[SavedView]:
    query = sa.select(SavedView).where(SavedView.account_id == account.id, SavedView.procedure_id == procedure.id)
    return list(request.db.scalars(query.order_by(SavedView.name)))


@implementer(ISavedViews)
class SavedViewService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def save(self, procedure: Procedure, account: Account, name: str, query: str) -> SavedView:
        request = self.request
        errors = FormErrors()
        name = check_text(errors, "nom", name, "Le nom de la vue", MAX_VIEW_NAME)
        if len(query) > MAX_VIEW_QUERY:
            errors.add("form", "Ces filtres sont trop longs pour être enregistrés : simplifiez-les.")
        if errors:
            raise Invalid(errors)
        view: SavedView | None = request.db.scalar(sa.select(SavedView).where(
            SavedView.account_id == account.id, SavedView.procedure_id == procedure.id, SavedView.name == name
        ))  # fmt: skip
        if view is None:
            view = SavedView(account_id=account.id, procedure_id=procedure.id, name=name, query=query,
                             created_at=request.find_service(IClock).now())  # fmt: skip
            request.db.add(view)
        view.query = query
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:view:save", f"Vue « {name} » de la liste de « {procedure.title} » enregistrée.", module="aids",
            object_type="aids_procedure", object_id=str(procedure.id), changes={"after": {"name": name,
                                                                                         "query": query}},
        )  # fmt: skip
        return view

    def delete(self, view: SavedView, account: Account) -> None:
        request = self.request
        if view.account_id != account.id:
            raise Refused("Cette vue n'existe pas.", 404)
        request.db.delete(view)
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:view:delete", f"Vue « {view.name} » supprimée.", module="aids", object_type="aids_procedure",
            object_id=str(view.procedure_id), changes={"before": {"name": view.name, "query": view.query}},
        )  # fmt: skip
