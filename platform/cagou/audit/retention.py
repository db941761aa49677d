"""How long the entries of each module are kept: the ``cagou.audit.retention`` setting."""

from __future__ import annotations

#: Stands for every module the setting does not name.
EVERY_OTHER_MODULE = "*"


def retention_rules(text: str) -> dict[str, int]:
    """``core:3650 sample:30 *:365`` → days per module; a module not named is kept forever.

    Raises ``ValueError`` in French for a malformed rule.
    """
    rules: dict[str, int] = {}
    for item in text.replace(",", " ").split():
        module, _, days = item.partition(":")
        if not module or not days.isdigit() or int(days) < 1:
            raise ValueError(
                f"règle de conservation invalide « {item} » (attendu : module:jours, par exemple sample:30)."
            )
        rules[module] = int(days)
    return rules
