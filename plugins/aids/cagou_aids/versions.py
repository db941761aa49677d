"""What changes between two versions of a form, said for the designer before republishing.

A draft in progress was started under the published version; once a new
version is published, the applicant finishes it under the new one, and some
changes break it: a new required field (the draft has no answer for it), a
removed field (its answer is lost), a removed choice (an answer that was
valid is no more). Those are listed, in French, for the designer to confirm.
"""

from __future__ import annotations

from cagou_aids.definition import CHOICE, CHOICES, Definition, FieldSpec


def every_field(definition: Definition) -> dict[str, FieldSpec]:
    """Every field by name, a repeatable block's own fields included."""
    found: dict[str, FieldSpec] = {}
    for spec in definition.fields():
        found[spec.name] = spec
        found.update({inner.name: inner for inner in spec.fields})
    return found


def breaking_changes(before: Definition, after: Definition) -> list[str]:
    """The changes from ``before`` (published) to ``after`` that would break a draft started under ``before``."""
    old, new = every_field(before), every_field(after)
    changes: list[str] = []
    for name, spec in new.items():
        if spec.has_answer and spec.required and (name not in old or not old[name].required):
            changes.append(f"Nouveau champ obligatoire : « {spec.label} ».")
    for name, spec in old.items():
        if name not in new:
            changes.append(f"Champ supprimé : « {spec.label} » (les réponses déjà saisies seront perdues).")
        elif spec.type in (CHOICE, CHOICES) and new[name].type in (CHOICE, CHOICES):
            for choice in spec.choices:
                if choice not in new[name].choices:
                    changes.append(f"Choix supprimé : « {choice} » du champ « {spec.label} ».")
        elif spec.type != new[name].type:
            changes.append(f"Type changé : « {spec.label} » (les réponses déjà saisies peuvent ne plus convenir).")
    return changes
