"""Human reference numbers for files, tickets and administrative acts."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.interfaces import IReferenceNumbers
from cagou.references.services import reference_numbers_factory


def includeme(config: Configurator) -> None:
    config.register_service_factory(reference_numbers_factory, IReferenceNumbers)
