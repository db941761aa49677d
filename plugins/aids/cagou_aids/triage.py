"""The triage of a census: a priority score per registration, from the criteria it declares and weights its
procedure's designer sets. The score orders the instructors' list (``?tri=priorite``) and the export of the
people to contact; it never decides anything.

The weights (stored as :func:`weights_data` writes them)::

    {"criteria_field": "criteres", "criteria": {"Besoin médical": 50, "Grossesse": 40, …},
     "household_field": "foyer", "age_field": "membre_age", "per_member": 5,
     "child_under": 3, "per_child": 20, "senior_from": 70, "per_senior": 20}

score = the sum of the weights of the criteria ticked + ``per_member`` × the
people travelling along + ``per_child`` × those of them younger than
``child_under`` + ``per_senior`` × those aged ``senior_from`` or more.

The score is **computed on read**, never stored: weights changed by the
designer reorder the list and the export at once, with nothing to recompute
nor to migrate; a census is small (about 1,500 registrations in 2020), and
scoring all of a procedure's registrations is a loop over their answers.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cagou.kit import FormErrors
from cagou_aids.annotations import AnnotationsError
from cagou_aids.definition import CHOICES, INTEGER, REPEAT, Definition
from cagou_aids.eligibility import whole
from cagou_aids.models import Application, Procedure
from cagou_aids.models.annotations import InstructionRules

#: The list's ordering by score (``?tri=priorite``).
PRIORITY = "priorite"
#: What the weights read in the shipped census's form (shipped/repatriation.json).
DEFAULT_FIELDS = {"criteria_field": "criteres", "household_field": "foyer", "age_field": "membre_age"}
MAX_WEIGHT = 1000
AGE_NUMBERS = {"child_under": "L'âge sous lequel une personne compte comme enfant",
               "senior_from": "L'âge à partir duquel une personne compte comme âgée"}  # fmt: skip
WEIGHT_NUMBERS = {"per_member": "Le poids par personne qui voyage avec le demandeur",
                  "per_child": "Le poids par enfant", "per_senior": "Le poids par personne âgée"}  # fmt: skip


@dataclass(frozen=True)
class TriageWeights:
    criteria_field: str
    household_field: str
    age_field: str
    criteria: Mapping[str, int] = field(default_factory=dict)
    per_member: int = 0
    child_under: int = 0
    per_child: int = 0
    senior_from: int = 120
    per_senior: int = 0


def criteria_options(definition: Definition, name: str) -> tuple[str, ...]:
    spec = next((spec for spec in definition.fields() if spec.name == name and spec.type == CHOICES), None)
    return tuple(spec.choices) if spec is not None else ()


def parse_weights(data: Mapping[str, Any], definition: Definition) -> TriageWeights:
    """The weights ``data`` gives, checked against the census's form; raises :class:`WeightsError`."""
    errors = FormErrors()
    specs = {spec.name: spec for spec in definition.fields()}
    criteria_field = str(data.get("criteria_field", "")).strip()
    if criteria_field not in specs or specs[criteria_field].type != CHOICES:
        errors.add("criteria_field", "Le champ des critères est un champ à choix multiples du formulaire.")
    household = str(data.get("household_field", "")).strip()
    if household not in specs or specs[household].type != REPEAT:
        errors.add("household_field", "Le champ du foyer est un bloc répétable du formulaire.")
    age = str(data.get("age_field", "")).strip()
    inner = {spec.name: spec for spec in specs[household].fields} if household in specs else {}
    if age not in inner or inner[age].type != INTEGER:
        errors.add("age_field", "Le champ de l'âge est un nombre entier du bloc du foyer.")
    raw_criteria = data.get("criteria", {})
    criteria = {}
    options = criteria_options(definition, criteria_field)
    for number, option in enumerate(options, start=1):
        raw = raw_criteria.get(option, 0) if isinstance(raw_criteria, dict) else 0
        criteria[option] = whole(errors, f"critere-{number}", raw, f"Le poids de « {option} »", MAX_WEIGHT)
    numbers = {key: whole(errors, key, data.get(key, 0), label, MAX_WEIGHT) for key, label in WEIGHT_NUMBERS.items()}
    ages = {key: whole(errors, key, data.get(key, 0), label, 120) for key, label in AGE_NUMBERS.items()}
    if errors:
        raise WeightsError(errors)
    return TriageWeights(criteria_field, household, age, criteria, **numbers, **ages)


WeightsError = AnnotationsError


def weights_data(weights: TriageWeights) -> dict[str, Any]:
    return {**asdict(weights), "criteria": dict(weights.criteria)}


def weights_of(data: Mapping[str, Any]) -> TriageWeights | None:
    return TriageWeights(**data) if data else None


def priority_score(weights: TriageWeights, answers: Mapping[str, Any]) -> int:
    ticked = answers.get(weights.criteria_field) or []
    score = sum(weights.criteria.get(option, 0) for option in ticked if isinstance(option, str))
    members = answers.get(weights.household_field) or []
    if not isinstance(members, list):
        return score
    ages = [row.get(weights.age_field) for row in members if isinstance(row, dict)]
    known = [age for age in ages if isinstance(age, int) and not isinstance(age, bool)]
    score += weights.per_member * len(members)
    score += weights.per_child * sum(1 for age in known if age < weights.child_under)
    score += weights.per_senior * sum(1 for age in known if age >= weights.senior_from)
    return score


def weights_for(db: Session, procedure: Procedure) -> TriageWeights | None:
    rules = db.get(InstructionRules, procedure.id)
    return weights_of(rules.triage) if rules is not None else None


def ranked(weights: TriageWeights | None, rows: Sequence[Application]) -> list[tuple[int, Application]]:
    """``rows`` (the latest first) by score, the highest first; equal scores keep their order."""
    scored = [(priority_score(weights, row.answers) if weights else 0, row) for row in rows]
    return sorted(scored, key=lambda pair: -pair[0])


def by_priority(
    db: Session, procedure: Procedure, query: sa.Select[Any],
    after: tuple[datetime.datetime, int] | None, size: int,
) -> list[Application]:  # fmt: skip
    """A page of ``query``'s applications by score; ``after`` is the (submitted_at, id) of the page before's last
    row, as the list's cursor says it whatever the order."""
    rows: list[Application] = list(db.scalars(query.order_by(Application.submitted_at.desc(), Application.id.desc())))
    ordered = [row for _, row in ranked(weights_for(db, procedure), rows)]
    start = 0
    if after is not None:
        start = next((index + 1 for index, row in enumerate(ordered) if (row.submitted_at, row.id) == after), 0)
    return ordered[start : start + size]
