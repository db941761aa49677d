"""The two sites, and the rule that every route belongs to one of them.

The public extension (citizens and companies) is served at ``/`` and the
intranet (agents and IT) under ``/intranet/``. A process serves the sites
named in ``cagou.sites``; the routes of a site it does not serve are taken
out of its route table, so a public-only process has no intranet route at all. Routes that every
process needs (static assets, the health endpoint) belong to ``common``.

Modules add their routes with the ``add_site_route`` directive; a route added
otherwise stops the platform at start-up.
"""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRoute, IRoutesMapper
from pyramid.registry import Registry
from pyramid.request import Request

from cagou.contributions import INTRANET, PUBLIC

COMMON = "common"
PREFIXES: dict[str, str] = {PUBLIC: "", INTRANET: "/intranet", COMMON: ""}
#: Where the intranet's JSON API lives, the core's and every module's (see cagou.api.clients).
API_PREFIX = PREFIXES[INTRANET] + "/api/"
#: Where the public extension's JSON API lives: for the programs of residents and companies.
PUBLIC_API_PREFIX = PREFIXES[PUBLIC] + "/api/"


class SitePredicate:
    """Route predicate ``site=…``: it always matches, and records the site."""

    def __init__(self, value: str, config: Configurator) -> None:
        if value not in PREFIXES:
            raise ConfigurationError(f"Unknown site {value!r}: use public, intranet or common.")
        self.site = value

    def text(self) -> str:
        return f"site = {self.site}"

    phash = text

    def __call__(self, info: dict[str, Any], request: Request) -> bool:
        return True


def served_sites(registry: Registry) -> tuple[str, ...]:
    sites: tuple[str, ...] = registry.settings["cagou.sites"]
    return sites


def add_site_route(config: Configurator, site: str, name: str, pattern: str, **kwargs: Any) -> None:
    """Add route ``name`` to ``site``, under the site's prefix.

    The route of a site this process does not serve is taken out of the route
    table once the configuration is committed (:func:`prune_unserved_routes`):
    its views stay registered, since modules declare them without knowing
    the sites served, but no request can reach them any more.
    """
    config.add_route(name, PREFIXES[site] + pattern, site=site, **kwargs)


def prune_unserved_routes(registry: Registry) -> None:
    """Remove from the route table every route of a site this process does not serve."""
    mapper = registry.queryUtility(IRoutesMapper)
    if mapper is None:
        return
    kept = (COMMON, *served_sites(registry))
    for route in list(mapper.get_routes(include_static=True)):
        if route_site(route) not in kept:
            for routes in (mapper.routelist, mapper.static_routes):
                if route in routes:
                    routes.remove(route)
            del mapper.routes[route.name]


def route_site(route: IRoute) -> str | None:
    for predicate in route.predicates:
        if isinstance(predicate, SitePredicate):
            return predicate.site
    return None


def request_site(request: Request) -> str:
    """The site a request belongs to: its route's, or else its path's."""
    route = request.matched_route
    site = route_site(route) if route is not None else None
    if site in (PUBLIC, INTRANET):
        return site
    if request.path_info == PREFIXES[INTRANET] or request.path_info.startswith(PREFIXES[INTRANET] + "/"):
        return INTRANET if INTRANET in served_sites(request.registry) else PUBLIC
    return PUBLIC if PUBLIC in served_sites(request.registry) else INTRANET


def is_api_request(request: Request) -> bool:
    """A request to one of the JSON APIs' routes (the intranet's or the public extension's), whatever it carries."""
    # The raw path: the prefixes are ASCII, and an address that is not UTF-8 must not fail here (the input
    # guard refuses it, in JSON under these prefixes).
    path: str = request.environ.get("PATH_INFO", "")
    return path.startswith((API_PREFIX, PUBLIC_API_PREFIX))


def is_intranet_api_request(request: Request) -> bool:
    """A request to the intranet's JSON API, which is for agents only."""
    path: str = request.environ.get("PATH_INFO", "")
    return path.startswith(API_PREFIX)


def check_every_route_has_a_site(registry: Registry) -> None:
    """Stop at start-up if some route escaped the site rule."""
    mapper = registry.queryUtility(IRoutesMapper)
    routes = mapper.get_routes() if mapper else []
    orphans = [route.name for route in routes if route_site(route) is None]
    if orphans:
        raise ConfigurationError(
            "Every route must belong to a site (config.add_site_route); these do not: " + ", ".join(orphans)
        )


def includeme(config: Configurator) -> None:
    config.add_route_predicate("site", SitePredicate)
    config.add_directive("add_site_route", add_site_route)
    config.add_request_method(request_site, "site", reify=True)
