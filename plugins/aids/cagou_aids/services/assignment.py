"""Routing, assignment, transfer and following of applications, and what followers are mailed.

Assigning and transferring lock the application's row first (``SELECT … FOR UPDATE``, as a transition does):
two agents assigning the same file at once are served one after the other, and the assignment row, one per
application, is created once. Followers are mailed the applicant's messages and the transitions taken by
someone else (:func:`tell_followers`), called by the messages' and the workflows' services.
"""

from __future__ import annotations

import datetime
from typing import cast

import sqlalchemy as sa
from pyramid.request import Request
from sqlalchemy.dialects import postgresql, sqlite
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from cagou.kit import FormErrors, IAccounts, IAuditLog, IClock, IMailer, Invalid, Refused, check_text
from cagou_aids.assignment import (
    INSTRUCT,
    assignment_of,
    follower_ids,
    group_for,
    groups_of,
    instructors_of,
)  # fmt: skip
from cagou_aids.interfaces import IAssignments
from cagou_aids.models import SUBMITTED, Application, ApplicationEvent, Assignment, Follower, InstructorGroup, Seen
from cagou_aids.services.workflows import resource_of

MAX_TRANSFER_MESSAGE = 2000


@implementer(IAssignments)
class AssignmentService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def now(self) -> datetime.datetime:
        instant: datetime.datetime = self.request.find_service(IClock).now()
        return instant

    def route(self, application: Application) -> InstructorGroup | None:
        group = group_for(groups_of(self.request.db, application.procedure_id), application.answers)
        if group is not None:
            self.request.db.add(Assignment(application_id=application.id, group_id=group.id))
        return group

    def locked(self, application: Application) -> Assignment:
        """The application's assignment row, under the application's row lock (created when it has none)."""
        request = self.request
        if application.anonymised_at is not None:
            raise Refused("Cette demande est anonymisée : elle n'est plus instruite.", 409)
        if not request.has_permission(INSTRUCT, resource_of(request, application.version.procedure)):
            raise Refused("Seul un instructeur de la direction de cette démarche attribue ses demandes.", 403)
        request.db.refresh(application, with_for_update=True)
        assignment = assignment_of(request.db, application)
        if assignment is None:
            assignment = Assignment(application_id=application.id)
            request.db.add(assignment)
        return assignment

    def colleague(self, application: Application, account_id: int) -> str:
        """The name of the instructor ``account_id``; 403 unless they may instruct the application."""
        eligible = {account.id: account for account in instructors_of(self.request, application.version.procedure)}
        if account_id not in eligible:
            raise Refused("Cet agent n'instruit pas les demandes de cette démarche : choisissez un instructeur de "
                          "sa direction.", 403)  # fmt: skip
        return eligible[account_id].display_name

    def give(
        self, application: Application, assignment: Assignment, account_id: int, history: str, action: str,
        summary: str, message: str = "",
    ) -> None:  # fmt: skip
        """``account_id`` gets the file: assigned, following it, a private line in the history, the audit entry."""
        instant = self.now()
        before = assignment.assignee_id
        assignment.assignee_id, assignment.assigned_at = account_id, instant
        assignment.assigned_by_id = self.request.identity.id
        self.add_follower(application, account_id, instant)
        self.request.db.add(ApplicationEvent(application_id=application.id, at=instant, state=application.state,
                                             text=history[:500], public=False))  # fmt: skip
        self.request.db.flush()
        after: dict[str, object] = {"assignee": account_id} | ({"message": message} if message else {})
        self.request.find_service(IAuditLog).record(
            action, summary, module="aids", object_type="aids_application", object_id=str(application.id),
            changes={"before": {"assignee": before}, "after": after},
        )  # fmt: skip

    def assign(self, application: Application, account_id: int) -> Assignment:
        request = self.request
        assignment = self.locked(application)
        name = self.colleague(application, account_id)
        if assignment.assignee_id == account_id:
            return assignment
        me = request.identity
        self.give(application, assignment, account_id, f"Attribuée à {name} par {me.display_name}.",
                  "aids:application:assign", f"Demande {application.receipt} attribuée à {name}.")  # fmt: skip
        if account_id != me.id:
            self.mail(account_id, f"Une demande vous est attribuée : {application.receipt}",
                      f"{me.display_name} vous a attribué la demande {application.receipt} "
                      f"« {application.version.procedure.title} ».")  # fmt: skip
        return assignment

    def transfer(self, application: Application, account_id: int, message: str) -> Assignment:
        request = self.request
        errors = FormErrors()
        text = check_text(errors, "message", message, "Le message à votre collègue", MAX_TRANSFER_MESSAGE)
        if errors:
            raise Invalid(errors)
        assignment = self.locked(application)
        me = request.identity
        if assignment.assignee_id != me.id:
            raise Refused("Seul l'agent à qui la demande est attribuée la transmet : attribuez-la plutôt.", 403)
        if account_id == me.id:
            raise Invalid(FormErrors(collegue="Choisissez un collègue : la demande vous est déjà attribuée."))
        name = self.colleague(application, account_id)
        self.give(application, assignment, account_id, f"Transmise par {me.display_name} à {name}.",
                  "aids:application:transfer", f"Demande {application.receipt} transmise à {name}.", text)  # fmt: skip
        self.mail(account_id, f"Une demande vous est transmise : {application.receipt}",
                  f"{me.display_name} vous transmet la demande {application.receipt} "
                  f"« {application.version.procedure.title} » :\n\n{text}")  # fmt: skip
        return assignment

    def follow(self, application: Application, following: bool = True) -> bool:
        request = self.request
        me = request.identity
        present = me.id in follower_ids(request.db, application.id)
        if present == following:
            return following
        if following:
            self.add_follower(application, me.id, self.now())
        else:
            request.db.execute(sa.delete(Follower).where(Follower.application_id == application.id,
                                                         Follower.account_id == me.id))  # fmt: skip
            mark_changed(request.db)
        request.find_service(IAuditLog).record(
            "aids:application:follow",
            f"{me.display_name} {'suit' if following else 'ne suit plus'} la demande {application.receipt}.",
            module="aids", object_type="aids_application", object_id=str(application.id),
            changes={"before": {"following": present}, "after": {"following": following}},
        )  # fmt: skip
        return following

    def add_follower(self, application: Application, account_id: int, instant: datetime.datetime) -> None:
        """Follows from now on; twice at once is once (the row is the pair's)."""
        db = self.request.db
        table = cast(sa.Table, Follower.__table__)
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        db.execute(dialect.insert(table).values(application_id=application.id, account_id=account_id, since=instant)
                   .on_conflict_do_nothing(index_elements=["application_id", "account_id"]))  # fmt: skip
        mark_changed(db)  # a Core statement: the transaction commits it only when told

    def seen(self, application: Application) -> None:
        db = self.request.db
        table = cast(sa.Table, Seen.__table__)
        dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
        values = {"application_id": application.id, "account_id": self.request.identity.id, "at": self.now()}
        statement = dialect.insert(table).values(values)
        db.execute(statement.on_conflict_do_update(index_elements=["application_id", "account_id"],
                                                   set_={"at": values["at"]}))  # fmt: skip
        mark_changed(db)

    def transition_taken(self, application: Application, label: str, before: str, reached: str) -> None:
        request = self.request
        if before == SUBMITTED and request.identity is not None:  # taken in hand: followed from now on
            self.add_follower(application, request.identity.id, self.now())
        who = request.identity.display_name if request.identity is not None else "Le service"
        tell_followers(request, application, f"Demande {application.receipt} : {label}",
                       f"{who} a fait « {label} » sur la demande {application.receipt} "
                       f"« {application.version.procedure.title} » : elle est maintenant « {reached} ».")  # fmt: skip

    def applicant_wrote(self, application: Application, text: str) -> None:
        tell_followers(self.request, application, f"Message du demandeur : {application.receipt}",
                       f"Le demandeur a écrit au sujet de la demande {application.receipt} "
                       f"« {application.version.procedure.title} » :\n\n{text}")  # fmt: skip

    def mail(self, account_id: int, subject: str, text: str) -> None:
        account = self.request.find_service(IAccounts).by_id(account_id)
        if account is not None and account.email:
            self.request.find_service(IMailer).send(account.email, subject, body_of(text))


def body_of(text: str) -> str:
    return (f"Bonjour,\n\n{text}\n\nRetrouvez-la dans l'intranet : Démarches, Mes dossiers.\n\n"
            "La province Sud")  # fmt: skip


def tell_followers(request: Request, application: Application, subject: str, text: str) -> None:
    """Mail the application's followers, but the signed-in agent who caused it."""
    me = request.identity.id if request.identity is not None else None
    accounts = request.find_service(IAccounts)
    for account_id in sorted(follower_ids(request.db, application.id) - {me}):
        account = accounts.by_id(account_id)
        if account is not None and account.active and account.email:
            request.find_service(IMailer).send(account.email, subject, body_of(text))
