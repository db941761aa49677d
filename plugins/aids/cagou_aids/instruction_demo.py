"""The demonstration's private annotations, eligibility rules and triage weights on the two shipped procedures
(demo.py calls :func:`define_instruction_rules` on each), so that ``make run`` shows them."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from cagou_aids.interfaces import IAnnotations
from cagou_aids.models import Procedure

ANNOTATIONS: dict[str, list[dict[str, Any]]] = {
    "business_aid": [
        {"code": "montant_propose", "label": "Montant proposé", "kind": "montant",
         "help": "Le montant que l'instructeur propose, en F CFP."},
        {"code": "pieces_conformes", "label": "Pièces conformes", "kind": "oui_non"},
        {"code": "motif", "label": "Motif de la proposition", "kind": "choix",
         "options": ["Éligible", "Perte insuffisante", "Effectif trop élevé", "Pièces manquantes"]},
        {"code": "avis", "label": "Avis de l'instructeur", "kind": "texte"},
        {"code": "controle", "label": "Pièce de contrôle", "kind": "fichier",
         "help": "Un relevé ou une attestation obtenus par le service (PDF, JPEG ou PNG)."},
    ],
    "repatriation": [
        {"code": "contact_fait", "label": "Personne contactée", "kind": "oui_non"},
        {"code": "priorite_cellule", "label": "Priorité retenue par la cellule", "kind": "choix",
         "options": ["Haute", "Moyenne", "Basse"]},
        {"code": "vol_propose", "label": "Vol proposé", "kind": "texte"},
    ],
}  # fmt: skip
ELIGIBILITY = {"turnover_before": "ca_annee_precedente", "turnover_after": "ca_annee", "staff": "salaries",
               "loss_threshold": 50, "staff_ceiling": 10, "flat_amount": 200_000, "per_employee": 50_000,
               "loss_rate": 0, "cap": 500_000}  # fmt: skip
TRIAGE = {"criteria_field": "criteres", "household_field": "foyer", "age_field": "membre_age",
          "criteria": {"Besoin médical": 50, "Grossesse": 40, "Enfants en bas âge": 30,
                       "Étudiant en difficulté financière": 20, "Visa expiré ou sur le point de l'être": 25,
                       "Professionnel de santé": 35},
          "per_member": 5, "child_under": 3, "per_child": 20, "senior_from": 70, "per_senior": 20}  # fmt: skip


def define_instruction_rules(request: Request, procedure: Procedure, model: str) -> None:
    annotations = request.find_service(IAnnotations)
    annotations.define(procedure, ANNOTATIONS[model])
    if model == "business_aid":
        annotations.set_eligibility(procedure, ELIGIBILITY)
    else:
        annotations.set_triage(procedure, TRIAGE)
