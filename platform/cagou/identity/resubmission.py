"""A form sent after one's session has ended is not lost: sign in again, then send it again.

A POST that reaches a protected page without a signed-in person (the session
expired while the form was open, or was closed in another tab) is answered
with the sign-in form, which carries the text fields that were sent; files
cannot be carried, and the person is told so. Once signed in, the person sees
what they had sent and sends it with one click, to the same address, with
their new session and CSRF token: the page checks it as any other submission.
Nothing is kept on the server meanwhile, and nothing is sent without that
click.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webob.multidict import MultiDict

#: Names of the sign-in form's hidden fields that carry the submission.
FIELD_PREFIX = "reprise."
ACTION_FIELD = "reprise:adresse"
FILES_FIELD = "reprise:fichiers"


@dataclass(frozen=True)
class Pending:
    """A submission waiting for its author to sign in again."""

    #: The path (and query) the form was sent to.
    action: str
    #: Its text fields, in order, the CSRF token left out.
    fields: tuple[tuple[str, str], ...]
    #: Whether files were sent with it, which could not be kept.
    files_dropped: bool = False

    @property
    def texts(self) -> list[str]:
        """What the person wrote, for them to read again: the values with words in them.

        Choices from a list usually travel as codes (an urgency ``2``): they are
        sent again but not shown, having nothing to read.
        """
        return [value for _, value in self.fields if any(character.isalpha() for character in value)]

    def as_hidden_fields(self) -> list[tuple[str, str]]:
        """The sign-in form's hidden fields that carry this submission."""
        hidden = [(ACTION_FIELD, self.action), *((FIELD_PREFIX + name, value) for name, value in self.fields)]
        return [*hidden, (FILES_FIELD, "1")] if self.files_dropped else hidden


def is_local_path(target: str) -> bool:
    """A path of this platform: never another host, nor a scheme-relative address."""
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def sent_without_session(post: MultiDict[str, Any], path_qs: str) -> Pending:
    """The submission of a POST refused for want of a session."""
    fields = tuple((name, value) for name, value in post.items() if isinstance(value, str) and name != "csrf_token")
    files = any(getattr(value, "filename", "") for value in post.values())
    return Pending(path_qs, fields, files)


def carried_by(post: MultiDict[str, Any]) -> Pending | None:
    """The submission the sign-in form carries, if any, and only towards a path of this platform."""
    action = post.get(ACTION_FIELD, "")
    if not action or not is_local_path(action):
        return None
    fields = tuple(
        (name.removeprefix(FIELD_PREFIX), value) for name, value in post.items() if name.startswith(FIELD_PREFIX)
    )
    return Pending(action, fields, post.get(FILES_FIELD) == "1")
