"""What a service raises when it refuses: the input field by field, or the action as a whole.

A module's services check what they are given and raise one of these before
writing anything; the transaction then aborts, so nothing is stored half-way.
A page shows :class:`Invalid`'s messages next to their fields (a 400); the JSON
API turns both into its one error format (:func:`cagou.api.errors.refusals`).
"""

from __future__ import annotations

from cagou.web.forms import FormErrors


class Invalid(Exception):  # noqa: N818  (read as kit.Invalid)
    """Input refused field by field; nothing was stored."""

    def __init__(self, errors: FormErrors) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Refused(Exception):  # noqa: N818  (read as kit.Refused)
    """An action refused as a whole, with a French message and the HTTP status to answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
