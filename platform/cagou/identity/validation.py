"""Checking what people type about themselves: RIDET, passwords, names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from zxcvbn import zxcvbn

MINIMUM_PASSWORD_LENGTH = 12
MAXIMUM_PASSWORD_LENGTH = 1024
#: zxcvbn's score (0 to 4) a password must reach: 3 is "safely unguessable" online.
MINIMUM_PASSWORD_SCORE = 3
MAXIMUM_NAME_LENGTH = 200

RIDET = re.compile(r"^(\d{7})\.?(\d{3})$")


def normalize_ridet(value: str) -> str:
    """``1234567001`` or ``1234567.001`` → ``1234567.001``; raises ValueError in French otherwise."""
    compact = re.sub(r"[\s\u00a0]", "", value)
    found = RIDET.match(compact)
    if found is None:
        raise ValueError(
            "Le RIDET comporte 7 chiffres pour l'entreprise puis 3 pour l'établissement, par exemple 1234567.001."
        )
    return f"{found.group(1)}.{found.group(2)}"


def password_problem(password: str, user_inputs: Sequence[str] = ()) -> str | None:
    """A French explanation of why ``password`` is refused, or None.

    Long enough, not among the commonest passwords, and not guessable from
    the person's own name, login or address (zxcvbn's estimate).
    """
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        return f"Le mot de passe doit contenir au moins {MINIMUM_PASSWORD_LENGTH} caractères."
    if len(password) > MAXIMUM_PASSWORD_LENGTH:
        return "Le mot de passe ne peut pas dépasser 1 024 caractères."
    inputs = [part for value in user_inputs for part in re.split(r"[\s@.]+", value.lower()) if len(part) > 2]
    if zxcvbn(password[:100], user_inputs=inputs)["score"] < MINIMUM_PASSWORD_SCORE:
        return (
            "Ce mot de passe est trop courant ou trop facile à deviner : choisissez une phrase de plusieurs mots "
            "sans lien avec votre nom."
        )
    return None


def name_problem(name: str) -> str | None:
    if not name.strip():
        return "Indiquez un nom."
    if len(name) > MAXIMUM_NAME_LENGTH:
        return f"Le nom ne peut pas dépasser {MAXIMUM_NAME_LENGTH} caractères."
    return None
