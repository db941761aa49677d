"""A procedure's groups of instructors, as its designer defines them: members and routing rule.

A group names the form's field that routes (a commune, a sector, any choice or one-line answer) and the
answers that send an application to it; the default group takes every other. Saving the groups routes the
procedure's applications that are in no group yet (those sent before the procedure had groups): the
submission routes every later one, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from cagou.kit import FormErrors, IAuditLog, IClock, Invalid, check_text
from cagou_aids.assignment import group_for, groups_of, instructors_of
from cagou_aids.definition import FILE, LONG_TEXT, REPEAT, FieldSpec
from cagou_aids.interfaces import IInstructorGroups
from cagou_aids.models import Application, Assignment, GroupMember, InstructorGroup, Procedure
from cagou_aids.models.assignment import MAX_GROUP_NAME, MAX_ROUTING_VALUE

MAX_VALUES = 50


def routing_fields(procedure: Procedure) -> list[FieldSpec]:
    """The fields a group may route on: one answer each (not a block, a file or a long text)."""
    return [spec for spec in procedure.latest.parsed.fields()
            if spec.has_answer and spec.type not in (REPEAT, FILE, LONG_TEXT)]  # fmt: skip


@implementer(IInstructorGroups)
class GroupService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def save(
        self, procedure: Procedure, name: str, field: str, values: Sequence[str], member_ids: Iterable[int],
        is_default: bool = False, group: InstructorGroup | None = None,
    ) -> InstructorGroup:  # fmt: skip
        request = self.request
        errors = FormErrors()
        name = check_text(errors, "nom", name, "Le nom du groupe", MAX_GROUP_NAME)
        others = [other for other in groups_of(request.db, procedure.id) if group is None or other.id != group.id]
        if name and any(other.name.casefold() == name.casefold() for other in others):
            errors.add("nom", f"La démarche a déjà un groupe « {name} ».")
        kept = [value.strip()[:MAX_ROUTING_VALUE] for value in values if value.strip()][:MAX_VALUES]
        if is_default:
            field, kept = "", []
            if any(other.is_default for other in others):
                errors.add("defaut", "La démarche a déjà un groupe par défaut : un seul prend les autres demandes.")
        elif field not in {spec.name for spec in routing_fields(procedure)}:
            errors.add("champ", "Choisissez le champ du formulaire dont la réponse oriente vers ce groupe.")
        elif not kept:
            errors.add("valeurs", "Indiquez au moins une réponse qui oriente vers ce groupe (une par ligne).")
        eligible = {account.id for account in instructors_of(request, procedure)}
        members = sorted(set(member_ids))
        if any(member not in eligible for member in members):
            errors.add("membres", "Les membres d'un groupe sont des instructeurs de la direction de la démarche.")
        if errors:
            raise Invalid(errors)
        before = None if group is None else group_state(group)
        if group is None:
            group = InstructorGroup(procedure_id=procedure.id, created_at=request.find_service(IClock).now())
            request.db.add(group)
        group.name, group.field, group.routing_values, group.is_default = name, field, kept, is_default
        group.members = [GroupMember(account_id=member) for member in members]
        request.db.flush()
        routed = self.route_pending(procedure)
        request.find_service(IAuditLog).record(
            "aids:procedure:groups", f"Groupe d'instructeurs « {name} » de « {procedure.title} » enregistré"
            f"{f' ({routed} demande(s) orientée(s))' if routed else ''}.", module="aids",
            object_type="aids_procedure", object_id=str(procedure.id),
            changes={"before": before, "after": group_state(group)},
        )  # fmt: skip
        return group

    def remove(self, group: InstructorGroup) -> None:
        request = self.request
        before = group_state(group)
        request.db.execute(sa.update(Assignment).where(Assignment.group_id == group.id).values(group_id=None))
        request.db.delete(group)
        request.db.flush()
        request.find_service(IAuditLog).record(
            "aids:procedure:groups", f"Groupe d'instructeurs « {group.name} » supprimé.", module="aids",
            object_type="aids_procedure", object_id=str(group.procedure_id), changes={"before": before, "after": None},
        )  # fmt: skip

    def route_pending(self, procedure: Procedure) -> int:
        """Route the procedure's applications that are in no group (those sent before it had groups): one SELECT,
        then one INSERT of the rows missing and one UPDATE per group, whatever the number of applications."""
        db = self.request.db
        groups = groups_of(db, procedure.id)
        rows = db.execute(
            sa.select(Application.id, Application.answers, Assignment.application_id)
            .outerjoin(Assignment, Assignment.application_id == Application.id)
            .where(Application.procedure_id == procedure.id, Assignment.group_id.is_(None))
        ).all()
        created: list[dict[str, int]] = []
        updated: dict[int, list[int]] = {}
        for application_id, answers, has_row in rows:
            group = group_for(groups, answers)
            if group is None:
                continue
            if has_row is None:
                created.append({"application_id": application_id, "group_id": group.id})
            else:
                updated.setdefault(group.id, []).append(application_id)
        if created:
            db.execute(sa.insert(Assignment), created)
        for group_id, ids in updated.items():
            db.execute(sa.update(Assignment).where(Assignment.application_id.in_(ids)).values(group_id=group_id))
        mark_changed(db)  # Core statements: the transaction commits them only when told
        db.flush()
        return len(created) + sum(len(ids) for ids in updated.values())


def group_state(group: InstructorGroup) -> dict[str, object]:
    return {"name": group.name, "field": group.field, "values": list(group.routing_values),
            "default": group.is_default, "members": sorted(group.member_ids)}  # fmt: skip
