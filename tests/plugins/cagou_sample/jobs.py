"""The sample module's jobs."""

from __future__ import annotations

from pyramid.registry import Registry

from cagou.kit import transaction_scope
from cagou_sample.models import SampleEvent


def echo(registry: Registry, text: str) -> None:
    with transaction_scope(registry) as request:
        request.db.add(SampleEvent(kind="echo", detail=text))


def tick(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        request.db.add(SampleEvent(kind="tick"))
