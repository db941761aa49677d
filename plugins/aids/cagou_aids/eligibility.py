"""Eligibility suggestions for a business aid: rules a procedure's designer sets, read against an application's
answers. A suggestion helps the instructor; it never decides.

The rules (stored as :func:`rules_data` writes them)::

    {"turnover_before": "ca_annee_precedente", "turnover_after": "ca_annee", "staff": "salaries",
     "loss_threshold": 50, "staff_ceiling": 10,
     "flat_amount": 100000, "per_employee": 50000, "loss_rate": 0, "cap": 500000}

- eligible when the loss of turnover, ``(before - after) / before`` in whole
  per cent (rounded down), reaches ``loss_threshold`` and the staff is at most
  ``staff_ceiling``;
- the suggested amount is ``flat_amount + per_employee × staff + loss_rate %
  × (before - after)``, in whole F CFP (rounded down), at most ``cap``.

The three field names are the form's answers the rules read (the shipped
business-aid model's by default); a missing or unreadable answer gives a
suggestion that says what is missing, neither eligible nor not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cagou.kit import FormErrors
from cagou_aids.annotations import AnnotationsError
from cagou_aids.answers import amount_text

#: What the rules read in the shipped business aid's form (services/procedures.py, shipped/business_aid.json).
DEFAULT_FIELDS = {"turnover_before": "ca_annee_precedente", "turnover_after": "ca_annee", "staff": "salaries"}
FIELD_LABELS = {
    "turnover_before": "Le champ du chiffre d'affaires de référence",
    "turnover_after": "Le champ du chiffre d'affaires de la période",
    "staff": "Le champ des salariés",
}
NUMBER_LABELS = {
    "loss_threshold": ("Le seuil de perte de chiffre d'affaires (%)", 100),
    "staff_ceiling": ("Le plafond de salariés", 100_000),
    "flat_amount": ("Le montant fixe (F CFP)", 1_000_000_000),
    "per_employee": ("Le montant par salarié (F CFP)", 1_000_000_000),
    "loss_rate": ("Le taux de la perte compensée (%)", 100),
    "cap": ("Le plafond de l'aide (F CFP)", 1_000_000_000),
}  # fmt: skip


@dataclass(frozen=True)
class EligibilityRules:
    turnover_before: str
    turnover_after: str
    staff: str
    loss_threshold: int
    staff_ceiling: int
    flat_amount: int = 0
    per_employee: int = 0
    loss_rate: int = 0
    cap: int = 0


@dataclass(frozen=True)
class Suggestion:
    #: None when the answers the rules read are missing.
    eligible: bool | None
    #: What the page says: "Éligible : perte de CA 62 % ≥ 50 %, 4 salariés ≤ 10 ; montant suggéré 400 000 F CFP".
    text: str
    amount: int | None = None


def whole(errors: FormErrors, name: str, raw: Any, label: str, highest: int) -> int:
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "") if raw is not None else ""
    if isinstance(raw, bool) or not (isinstance(raw, int) or text.isdigit()) or not 0 <= int(text or -1) <= highest:
        errors.add(name, f"{label} est un nombre entier de 0 à {highest:,}.".replace(",", "\u00a0"))
        return 0
    return int(text)


def parse_rules(data: Mapping[str, Any], fields: Mapping[str, str]) -> EligibilityRules:
    """The rules ``data`` gives, checked against the form's number fields ``fields`` (name → type); raises
    :class:`RulesError` with each problem under its key."""
    errors = FormErrors()
    names = {}
    for key, label in FIELD_LABELS.items():
        name = str(data.get(key, "") or "").strip()
        if name not in fields:
            errors.add(key, f"{label} est un champ nombre ou montant du formulaire (par exemple « "
                            f"{DEFAULT_FIELDS[key]} »).")  # fmt: skip
        names[key] = name
    numbers = {key: whole(errors, key, data.get(key, 0), label, highest)
               for key, (label, highest) in NUMBER_LABELS.items()}  # fmt: skip
    if errors:
        raise RulesError(errors)
    return EligibilityRules(names["turnover_before"], names["turnover_after"], names["staff"], **numbers)


RulesError = AnnotationsError


def rules_data(rules: EligibilityRules) -> dict[str, Any]:
    return asdict(rules)


def rules_of(data: Mapping[str, Any]) -> EligibilityRules | None:
    """Stored rules (written by :func:`rules_data`), None when there are none."""
    return EligibilityRules(**data) if data else None


def number(answers: Mapping[str, Any], name: str) -> int | None:
    value = answers.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def suggest(rules: EligibilityRules, answers: Mapping[str, Any]) -> Suggestion:
    before, after = number(answers, rules.turnover_before), number(answers, rules.turnover_after)
    staff = number(answers, rules.staff)
    if before is None or after is None or staff is None or before == 0:
        return Suggestion(None, "Pas de suggestion : le chiffre d'affaires de référence (non nul), celui de la "
                                "période et le nombre de salariés sont nécessaires.")  # fmt: skip
    lost = max(0, before - after)
    loss = lost * 100 // before
    loss_ok, staff_ok = loss >= rules.loss_threshold, staff <= rules.staff_ceiling
    loss_text = f"perte de CA {loss} % {'≥' if loss_ok else '<'} {rules.loss_threshold} %"
    staff_text = f"{staff} salarié{'s' if staff > 1 else ''} {'≤' if staff_ok else '>'} {rules.staff_ceiling}"
    if not (loss_ok and staff_ok):
        return Suggestion(False, f"Inéligible : {loss_text}, {staff_text}.")
    amount = rules.flat_amount + rules.per_employee * staff + rules.loss_rate * lost // 100
    if rules.cap:
        amount = min(amount, rules.cap)
    return Suggestion(True, f"Éligible : {loss_text}, {staff_text} ; montant suggéré {amount_text(amount)}.", amount)
