"""Form errors tied to their fields, in French."""

from __future__ import annotations


class FormErrors(dict[str, str]):
    """Field name → message. The key ``form`` holds an error about the whole form.

    Templates render each message next to its field and link it with
    ``aria-describedby``; the page title announces that the form has errors.
    """

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)
