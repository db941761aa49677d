"""Rate limits on sign-in, registration and password reset (see :mod:`cagou.ratelimits.services`)."""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.interfaces import IRateLimits
from cagou.ratelimits.services import parse_rules, rate_limits_factory


def includeme(config: Configurator) -> None:
    config.registry["cagou.ratelimits"] = parse_rules(config.get_settings()["cagou.ratelimits"])
    config.register_service_factory(rate_limits_factory, IRateLimits)
