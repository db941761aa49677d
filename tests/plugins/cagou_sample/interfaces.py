"""The sample module's service, as the kit's manual says a module writes one (docs/plugins.md, "Services")."""

from __future__ import annotations

from zope.interface import Interface

# ruff: noqa: N805  (zope.interface methods are declared without ``self``, nor types)
# mypy: disable-error-code="no-untyped-def,misc"


class INotes(Interface):
    """The sample's notes."""

    def create(title):
        """Write the note ``title`` by the signed-in person and return it.

        ``Refused`` (409) for a reserved title; ``Invalid`` for a title taken
        whatever the case, found after writing on purpose so that the refusal
        undoes the note and its ``sample:note:create`` entry.
        """
