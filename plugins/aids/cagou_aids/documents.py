"""The documents a workflow's transition may produce (its ``"document"`` effect), by template code.

Kept apart from the service that prints them (``services/transition_effects.py``) so
that :mod:`cagou_aids.workflow` checks a workflow's file against them without
importing WeasyPrint.
"""

from __future__ import annotations

#: Template code → what the document is, in French.
DOCUMENTS = {
    "decision_refus": "Lettre de décision de refus, avec les voies et délais de recours",
    "decision_attribution": "Lettre de décision d'attribution : le montant, l'arrêté, les voies et délais de recours",
}
