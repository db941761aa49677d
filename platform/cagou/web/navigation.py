"""The main navigation: entries from the enabled modules that the person may follow.

None until the person is fully signed in: on the second-factor page the roles
that need no second factor (the helpdesk's requester, every agent's) already
count, but the modules are not open yet, so their menu is not shown either.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.request import Request

from cagou.contributions import NavEntry
from cagou.identity.second_factor import awaits_second_factor
from cagou.plugins import call_enabled, flatten


@dataclass(frozen=True)
class NavLink:
    title: str
    url: str
    current: bool


def navigation(request: Request) -> list[NavLink]:
    """The links of the current site's navigation, in order, the current page marked."""
    if awaits_second_factor(request):
        return []
    entries: list[NavEntry] = flatten(call_enabled(request, "cagou_navigation"))
    links = []
    for entry in sorted(entries, key=lambda e: (e.order, e.title)):
        if entry.site != request.site:
            continue
        if entry.permission and not request.can(entry.permission):
            continue
        url = request.route_path(entry.route_name)
        current = request.matched_route is not None and request.matched_route.name == entry.route_name
        links.append(NavLink(entry.title, url, current))
    return links
