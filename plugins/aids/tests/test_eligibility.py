"""The eligibility rules engine (cagou_aids/eligibility.py): a suggestion from a business aid's answers, never a
decision; and the suggestion kept with a proposal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cagou_aids.eligibility import EligibilityRules, RulesError, parse_rules, suggest
from cagou_aids.interfaces import IAnnotations
from cagou_aids.models import ApplicationEvent
from cagou_aids.models.annotations import EligibilitySnapshot
from pyramid.registry import Registry
from test_workflows import business, people, take  # noqa: F401  (people: a fixture)

from cagou.kit import transaction_scope

RULES = EligibilityRules("ca_annee_precedente", "ca_annee", "salaries", loss_threshold=50, staff_ceiling=10,
                         flat_amount=200_000, per_employee=50_000, cap=500_000)  # fmt: skip
FIELDS = {"ca_annee_precedente": "amount", "ca_annee": "amount", "salaries": "integer", "montant_demande": "amount"}


def answers(before: int | None, after: int | None, staff: int | None) -> dict[str, int | None]:
    return {"ca_annee_precedente": before, "ca_annee": after, "salaries": staff}


def test_eligible_the_page_says_why_and_the_amount_suggested() -> None:
    found = suggest(RULES, answers(10_000_000, 3_800_000, 4))
    assert found.eligible is True and found.amount == 400_000
    assert found.text == ("Éligible : perte de CA 62 % ≥ 50 %, 4 salariés ≤ 10 ; montant suggéré "
                          "400\u00a0000\u00a0F\u00a0CFP.")  # fmt: skip


def test_the_amount_is_capped_and_a_rate_of_the_loss_counts() -> None:
    assert suggest(RULES, answers(10_000_000, 0, 10)).amount == 500_000  # 200 000 + 10 × 50 000 = 700 000, capped
    by_rate = EligibilityRules("a", "b", "c", loss_threshold=0, staff_ceiling=5, loss_rate=10)
    assert suggest(by_rate, {"a": 1_000_000, "b": 400_000, "c": 1}).amount == 60_000  # 10 % of 600 000, no cap


def test_ineligible_says_which_rule_fails() -> None:
    assert (
        suggest(RULES, answers(10_000_000, 6_000_000, 4)).text
        == "Inéligible : perte de CA 40 % < 50 %, 4 salariés ≤ 10."
    )
    found = suggest(RULES, answers(10_000_000, 1_000_000, 12))
    assert found.eligible is False and found.amount is None and "12 salariés > 10" in found.text
    assert suggest(RULES, answers(10_000_000, 5_000_000, 1)).eligible is True  # exactly the threshold


def test_missing_or_strange_answers_suggest_nothing() -> None:
    for strange in (answers(None, 1, 1), answers(0, 0, 1), answers(10, 5, None), {"ca_annee_precedente": "beaucoup"},
                    answers(10, 5, True)):  # type: ignore[arg-type]  # fmt: skip
        found = suggest(RULES, strange)
        assert found.eligible is None and found.text.startswith("Pas de suggestion")
    assert suggest(RULES, answers(100, 150, 1)).text.startswith("Inéligible : perte de CA 0 %")  # turnover grew


def test_rules_are_checked_each_problem_under_its_key() -> None:
    with pytest.raises(RulesError) as refused:
        parse_rules({"turnover_before": "iban", "turnover_after": "ca_annee", "staff": "salaries",
                     "loss_threshold": "150", "staff_ceiling": "-1", "cap": "5,5"}, FIELDS)  # fmt: skip
    errors = refused.value.errors
    assert "est un champ nombre ou montant du formulaire" in errors["turnover_before"]
    assert errors["loss_threshold"] == "Le seuil de perte de chiffre d'affaires (%) est un nombre entier de 0 à 100."
    assert "staff_ceiling" in errors and "cap" in errors and "turnover_after" not in errors
    parsed = parse_rules({"turnover_before": "ca_annee_precedente", "turnover_after": "ca_annee", "staff": "salaries",
                          "loss_threshold": "50", "staff_ceiling": 10, "cap": "500 000"}, FIELDS)  # fmt: skip
    assert parsed.cap == 500_000 and parsed.flat_amount == 0


def test_a_proposal_keeps_the_suggestion_of_that_moment_for_the_instructors(
    registry: Registry,
    people: dict[str, int],  # noqa: F811  (the fixture imported above)
) -> None:
    with transaction_scope(registry) as request:
        procedure = business(request)
        request.find_service(IAnnotations).set_eligibility(procedure, {
            "turnover_before": "ca_annee_precedente", "turnover_after": "ca_annee", "staff": "salaries",
            "loss_threshold": 50, "staff_ceiling": 10, "flat_amount": 200_000, "per_employee": 50_000,
            "cap": 500_000,
        })  # fmt: skip
    take(registry, people["lea"], "instruire")
    take(registry, people["lea"], "proposer", "Éligible.")
    with transaction_scope(registry) as request:
        [kept] = request.db.scalars(sa.select(EligibilitySnapshot))
        line = request.db.scalar(sa.select(ApplicationEvent).where(ApplicationEvent.text.like("Suggestion%")))
        assert line is not None and line.public is False  # for the instructors only
        assert line.text == f"Suggestion d'éligibilité au moment de la proposition : {kept.text}"
    assert kept.text.startswith(("Éligible", "Inéligible", "Pas de suggestion"))
