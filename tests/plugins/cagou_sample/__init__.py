"""A small module that exercises every point of the plugin contract.

It lives with the core's tests: it is what a real module looks like, reduced
to what the tests need to prove that the core honours the contract.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.kit import INTRANET, PUBLIC
from cagou_sample import models  # noqa: F401  (the module's tables join the metadata)
from cagou_sample.hooks import *  # noqa: F403  (the hook implementations are the module's API)
from cagou_sample.interfaces import INotes
from cagou_sample.jobs import echo
from cagou_sample.services import note_service_factory
from cagou_sample.views import NOTE_SCHEMA, note_context


def includeme(config: Configurator) -> None:
    config.register_service_factory(note_service_factory, INotes)
    config.add_site_route(INTRANET, "sample.notes", "/exemple/")
    config.add_site_route(INTRANET, "sample.note_add", "/exemple/ajouter")
    config.add_site_route(INTRANET, "sample.note_form", "/exemple/nouvelle")
    config.add_site_route(PUBLIC, "sample.public", "/exemple/")
    config.add_site_route(INTRANET, "sample.note_edit", r"/exemple/{id:\d+}/modifier", factory=note_context)
    config.add_site_route(INTRANET, "sample.api.notes", "/api/v1/exemple/notes")
    # One note by its number: the API contract's test reads a record that exists, and many that do not.
    config.add_site_route(INTRANET, "sample.api.note", "/api/v1/exemple/notes/{id}")
    config.add_api_operation(
        "sample.api.notes",
        "GET",
        summary="Les notes d'exemple",
        permission="sample:note:view",
        response={"type": "array", "items": NOTE_SCHEMA},
        tags=("exemple",),
    )
    config.add_api_operation(
        "sample.api.notes",
        "POST",
        summary="Ajouter une note d'exemple",
        permission="sample:note:view",
        request_body={"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
        response=NOTE_SCHEMA,
        status=201,
        errors={409: "Une note porte déjà ce titre."},
        tags=("exemple",),
    )
    config.add_api_operation(
        "sample.api.note",
        "GET",
        summary="Une note d'exemple",
        permission="sample:note:view",
        response=NOTE_SCHEMA,
        tags=("exemple",),
    )
    config.add_job("sample.echo", echo)
    config.scan("cagou_sample.views")
    config.scan("cagou_sample.forms")
