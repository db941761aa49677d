"""Every route belongs to a site; a process serves only the sites it is told to."""

from __future__ import annotations

import pytest
import webtest
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRoutesMapper

from cagou import configure
from cagou.sites import COMMON, route_site


def routes(registry) -> dict[str, tuple[str, str | None]]:
    mapper = registry.getUtility(IRoutesMapper)
    return {route.name: (route.pattern, route_site(route)) for route in mapper.get_routes()}


def test_every_route_belongs_to_a_site(registry):
    table = routes(registry)
    assert table, "the route table is empty"
    for name, (pattern, site) in table.items():
        assert site in ("public", "intranet", COMMON), name
        if site == "intranet":
            assert pattern.startswith("/intranet/"), name
        else:
            assert not pattern.startswith("/intranet"), name


def test_both_sites_are_served_by_default(registry):
    sites = {site for _, site in routes(registry).values()}
    assert sites == {"public", "intranet", COMMON}


def test_a_public_only_process_has_no_intranet_route_at_all(settings):
    registry = configure({**settings, "cagou.sites": "public"}).registry
    table = routes(registry)
    assert not [name for name, (pattern, site) in table.items() if site == "intranet"]
    assert not [name for name, (pattern, _) in table.items() if pattern.startswith("/intranet")]
    assert "sample.public" in table
    assert "sample.notes" not in table
    assert "console.modules" not in table


def test_a_public_only_process_answers_404_under_intranet(settings):
    app = webtest.TestApp(configure({**settings, "cagou.sites": "public"}).make_wsgi_app())
    for path in ("/intranet/", "/intranet/connexion", "/intranet/console/", "/intranet/exemple/"):
        app.get(path, status=404)
    assert app.get("/").status_int == 200
    assert app.get("/sante").json == {"status": "ok", "database": "ok"}


def test_an_intranet_only_process_has_no_public_route(settings):
    registry = configure({**settings, "cagou.sites": "intranet"}).registry
    table = routes(registry)
    assert not [name for name, (_, site) in table.items() if site == "public"]
    app = webtest.TestApp(configure({**settings, "cagou.sites": "intranet"}).make_wsgi_app())
    app.get("/connexion", status=404)
    assert app.get("/intranet/connexion").status_int == 200


def test_an_unknown_site_is_refused(settings):
    with pytest.raises(ConfigurationError, match=r"cagou\.sites"):
        configure({**settings, "cagou.sites": "public extranet"})


def test_a_route_added_without_a_site_stops_the_platform(settings, monkeypatch):
    import cagou_sample

    original = cagou_sample.includeme

    def includeme(config):
        original(config)
        config.add_route("sample.rogue", "/rogue")

    monkeypatch.setattr(cagou_sample, "includeme", includeme)
    with pytest.raises(ConfigurationError, match=r"sample\.rogue"):
        configure(settings)
