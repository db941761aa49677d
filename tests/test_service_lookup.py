"""``request.find_service`` without a wired container (cagou.services): the answers pyramid_services gives."""

from __future__ import annotations

from typing import Any

import pytest
from pyramid.config import Configurator
from pyramid.interfaces import IRequestExtensions
from pyramid.request import Request, apply_request_extensions
from zope.interface import Interface, alsoProvides, implementer

from cagou import services


class IGreeter(Interface):
    pass


class IFolder(Interface):
    pass


class Greeter:
    def __init__(self, context: Any, request: Request) -> None:
        self.context, self.request = context, request


class FolderGreeter(Greeter):
    pass


class Root:
    pass


@implementer(IFolder)
class Folder:
    pass


@pytest.fixture
def config() -> Configurator:
    config = Configurator()
    config.include("pyramid_services")
    services.replace_find_service(config)
    return config


def new_request(config: Configurator, context: Any = None) -> Request:
    config.commit()
    request = Request.blank("/")
    request.registry = config.registry
    apply_request_extensions(request)
    request.context = context
    return request


def test_the_platform_answers_with_its_own_lookup(registry):
    assert registry.getUtility(IRequestExtensions).methods["find_service"] is services.find_service


def test_a_factory_makes_one_service_per_request_without_the_container(config):
    config.register_service_factory(Greeter, IGreeter)
    request = new_request(config, Root())
    greeter = request.find_service(IGreeter)
    assert isinstance(greeter, Greeter)
    assert (greeter.context, greeter.request) == (None, request)  # as wired calls a context-free factory
    assert request.find_service(IGreeter) is greeter
    assert "services" not in request.__dict__
    assert new_request(config, Root()).find_service(IGreeter) is not greeter


def test_a_registered_instance_is_the_service(config):
    greeter = Greeter(None, None)
    config.register_service(greeter, IGreeter)
    assert new_request(config, Root()).find_service(IGreeter) is greeter
    assert new_request(config).find_service(IGreeter) is greeter


def test_a_named_service_is_another_service(config):
    config.register_service_factory(Greeter, IGreeter)
    config.register_service_factory(FolderGreeter, IGreeter, name="dossier")
    request = new_request(config)
    assert type(request.find_service(IGreeter)) is Greeter
    assert type(request.find_service(IGreeter, name="dossier")) is FolderGreeter


def test_a_factory_for_a_kind_of_context_gets_that_context(config):
    config.register_service_factory(Greeter, IGreeter)
    config.register_service_factory(FolderGreeter, IGreeter, context=IFolder)
    folder = Folder()
    request = new_request(config, folder)
    greeter = request.find_service(IGreeter)
    assert type(greeter) is FolderGreeter
    assert greeter.context is folder
    assert request.find_service(IGreeter) is greeter
    assert type(request.find_service(IGreeter, context=Root())) is Greeter


def test_a_context_providing_an_interface_of_its_own_is_seen(config):
    config.register_service_factory(Greeter, IGreeter)
    config.register_service_factory(FolderGreeter, IGreeter, context=IFolder)
    context = Root()
    alsoProvides(context, IFolder)
    greeter = new_request(config, context).find_service(IGreeter)
    assert type(greeter) is FolderGreeter
    assert greeter.context is context


def test_an_unknown_service_is_a_lookup_error(config):
    with pytest.raises(LookupError):
        new_request(config, Root()).find_service(IGreeter)
