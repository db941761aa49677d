"""Cagou: the core of the platform, and the public API for module authors.

:func:`main` is the WSGI application factory that PasteDeploy (``pserve``)
calls. :func:`configure` assembles the application in one ordered list of
``config.include`` calls, each saying why it is there and why its place
matters; the modules come last, once every service and directive they may use
exists.

A module author imports from here: :data:`hookimpl`, the contribution classes
(:class:`ModuleInfo`, :class:`NavEntry`…) and the site names.
"""

from __future__ import annotations

import logging
from typing import Any

from pyramid.config import Configurator
from pyramid.router import Router
from pyramid.session import SignedCookieSessionFactory
from pyramid.viewderivers import csrf_view

from cagou.api.clients import SESSION_COOKIE, csrf_applies
from cagou.contributions import (
    INTRANET,
    PUBLIC,
    AuditEntryView,
    AuthenticationUnavailable,
    Equipment,
    HealthResult,
    ModuleInfo,
    NavEntry,
    Permission,
    RateLimit,
    Role,
    ScheduledJob,
    SearchResult,
    Widget,
)
from cagou.db.migrate import check_table_prefixes
from cagou.hookspecs import hookimpl
from cagou.identity.policy import set_root_acl
from cagou.interfaces import IPlugins
from cagou.plugins import Module, Plugins, discover, flatten
from cagou.secrets import check_stored_secrets
from cagou.services import replace_find_service
from cagou.settings import is_production, normalize
from cagou.sites import check_every_route_has_a_site, prune_unserved_routes
from cagou.web.i18n import setup_translations

__all__ = [
    "INTRANET",
    "PUBLIC",
    "AuditEntryView",
    "AuthenticationUnavailable",
    "Equipment",
    "HealthResult",
    "ModuleInfo",
    "NavEntry",
    "Permission",
    "RateLimit",
    "Role",
    "ScheduledJob",
    "SearchResult",
    "Widget",
    "configure",
    "hookimpl",
    "main",
]

log = logging.getLogger(__name__)

#: Sessions end after this much inactivity.
SESSION_TIMEOUT_SECONDS = 30 * 60
#: Flash messages kept per queue: a page shows them all at once, and the session lives in a cookie.
FLASH_MESSAGES_KEPT = 5


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    """The WSGI application, for ``pserve development.ini``."""
    settings.setdefault("here", global_config.get("here", "."))
    config = configure(settings)
    # A server does not start with a key ring that cannot read the stored secrets.
    check_stored_secrets(config.registry)
    return config.make_wsgi_app()


def configure(settings: dict[str, Any]) -> Configurator:
    """Build the configurator of the whole platform, committed and checked."""
    settings = normalize(settings)
    plugins = discover(settings)
    config = Configurator(settings=settings)
    config.registry.registerUtility(plugins, IPlugins)

    # The site directive first: every route below is added through it.
    config.include("cagou.sites")
    # Services are looked up from the request; the registrations below need it.
    config.include("pyramid_services")
    # The same lookups without a wired container per request (see cagou.services).
    replace_find_service(config)
    # request.db, one transaction per request, retries on conflicts.
    config.include("cagou.db")
    # Time before everything that stamps a record with it.
    config.include("cagou.clock")
    # The key ring before any service that keeps a secret; production refuses to start without it.
    config.include("cagou.secrets")
    # Sessions and CSRF before any view: every state-changing request is checked.
    config.set_session_factory(session_factory(settings))
    config.set_default_csrf_options(
        require_csrf=True,
        token="csrf_token",  # noqa: S106
        header="X-CSRF-Token",
        # Not with a personal API token, nor on the API without the session cookie: nothing to forge.
        callback=csrf_applies,
    )
    # Which module is enabled where; its view deriver wraps every view added later.
    config.include("cagou.modules")
    # The CSRF check moves before the permission check: a forged request is
    # refused as such (400) before anyone learns whether it would be allowed.
    config.add_view_deriver(csrf_view, "csrf_view", under="module_enabled_view", over="secured_view")
    # The security policy, the root ACL and the default permission nobody holds.
    config.include("cagou.identity")
    config.include("cagou.audit")
    # Jobs before mail: the mailer registers its delivery job.
    config.include("cagou.jobs")
    config.include("cagou.mail")
    config.include("cagou.files")
    config.include("cagou.references")
    config.include("cagou.ratelimits")
    # Layout, static assets, translations, errors, then the console that uses them.
    config.include("cagou.web")
    config.include("cagou.console")
    # The JSON API's directive, before the modules that document their operations with it.
    config.include("cagou.api")
    # The modules last: every directive and service they may use is in place.
    include_modules(config, plugins)
    check_table_prefixes(plugins)

    setup_translations(config, ["cagou", *(m.package for m in plugins.loaded() if m.package and not m.builtin)])
    set_root_acl(config.registry, flatten(plugins.call("cagou_roles")))
    config.commit()
    check_every_route_has_a_site(config.registry)
    prune_unserved_routes(config.registry)
    return config


def session_factory(settings: dict[str, Any]) -> Any:
    cookie_session: Any = SignedCookieSessionFactory(
        settings["cagou.secret"],
        cookie_name=SESSION_COOKIE,
        httponly=True,
        samesite="Lax",
        secure=is_production(settings),
        timeout=SESSION_TIMEOUT_SECONDS,
        reissue_time=60,
    )

    class Session(cookie_session):  # type: ignore[misc]  # Pyramid's session class carries no types
        """Pyramid's signed cookie session, whose flash queues keep only their last messages.

        Whatever module flashes: a client that posts without following the
        redirects never reads its messages, which would pile up until the cookie
        passes the browsers' 4 KB and Pyramid answers 500 ("Cookie value is too
        long"). A person reads a page's messages at once: the last few suffice.
        """

        def flash(self, msg: str, queue: str = "", allow_duplicate: bool = True) -> None:
            super().flash(msg, queue, allow_duplicate)
            queued = list(self.peek_flash(queue))
            if len(queued) > FLASH_MESSAGES_KEPT:
                self.pop_flash(queue)
                for message in queued[-FLASH_MESSAGES_KEPT:]:
                    super().flash(message, queue)

    return Session


def include_modules(config: Configurator, plugins: Plugins) -> None:
    """``config.include`` each module; one whose ``includeme`` raises is left out, broken."""
    for module in plugins.loaded():
        if module.builtin or not hasattr(module.plugin, "includeme"):
            continue
        actions = config.action_state.actions
        before = len(actions)
        try:
            config.include(module.plugin)
        except Exception as error:
            del actions[before:]
            mark_broken(plugins, module, f"includeme : {error!r}")


def mark_broken(plugins: Plugins, module: Module, error: str) -> None:
    log.exception("Module %s is left out: %s", module.name, error)
    plugins.manager.unregister(name=module.name)
    module.error = error
