"""Rate limits: the core's rules and the modules', counted in the database (see :mod:`cagou.ratelimits.services`)."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.interfaces import IRateLimits
from cagou.plugins import flatten, get_plugins
from cagou.ratelimits.services import parse_rules, rate_limits_factory


def includeme(config: Configurator) -> None:
    declared = flatten(get_plugins(config.registry).call("cagou_rate_limits"))
    config.registry["cagou.ratelimits"] = parse_rules(config.get_settings()["cagou.ratelimits"], declared)
    config.register_service_factory(rate_limits_factory, IRateLimits)
