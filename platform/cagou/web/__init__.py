"""Pages, layout, static assets, errors, and what every response carries."""

from __future__ import annotations

import re
import uuid

from pyramid.config import Configurator
from pyramid.events import BeforeRender, NewRequest, NewResponse
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED

from cagou.contributions import INTRANET, PUBLIC
from cagou.identity.second_factor import awaits_second_factor
from cagou.settings import is_production
from cagou.sites import COMMON
from cagou.web.form_bodies import FormRequest
from cagou.web.i18n import LOCALE_NAMES
from cagou.web.navigation import navigation

LAYOUT = "cagou:web/templates/layout.jinja2"
FRAGMENT = "cagou:web/templates/fragment.jinja2"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)


def is_htmx(request: Request) -> bool:
    """True for a request htmx made (it wants a fragment, not a whole page)."""
    headers = request.headers
    return bool(headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true")


def assign_request_id(event: NewRequest) -> None:
    """Reuse the proxy's request id when it is sane, else make one."""
    request = event.request
    given = request.headers.get("X-Request-Id", "")
    request.environ["cagou.request_id"] = given if REQUEST_ID.match(given) else uuid.uuid4().hex


def secure_response(event: NewResponse) -> None:
    request, response = event.request, event.response
    headers = response.headers
    headers.setdefault("X-Request-Id", request.environ.get("cagou.request_id", ""))
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if is_production(request.registry.settings):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if is_htmx(request):
        headers.add("Vary", "HX-Request")


def template_globals(event: BeforeRender) -> None:
    """What every template may use, the layout to extend first."""
    request: Request | None = event.get("request")
    if request is None:
        return
    event.setdefault("layout", FRAGMENT if is_htmx(request) else LAYOUT)
    event.setdefault("navigation", lambda: navigation(request))
    # The header's search, like the navigation, waits until the session is fully signed in.
    event.setdefault("awaits_second_factor", lambda: awaits_second_factor(request))
    event.setdefault("flash_messages", lambda: flash_messages(request))
    event.setdefault("locale_names", LOCALE_NAMES)
    event.setdefault("site", request.site)
    event.setdefault("home_path", home_path(request))
    settings = request.registry.settings
    idle, warning = settings["cagou.sessions.idle_minutes"], settings["cagou.sessions.warning_minutes"]
    event.setdefault("session_warning_after", int((idle - warning) * 60))
    event.setdefault("INTRANET", INTRANET)
    event.setdefault("PUBLIC", PUBLIC)


def flash_messages(request: Request) -> list[str]:
    """Messages left for the next page; the session is only touched when there are some."""
    if "session" not in request.__dict__ and "cagou_session" not in request.cookies:
        return []
    messages: list[str] = request.session.pop_flash() if request.session.peek_flash() else []
    return messages


def home_path(request: Request) -> str:
    """The home page of the request's site: "Mon espace" on the intranet."""
    path: str = request.route_path("space" if request.site == INTRANET else "home")
    return path


def csrf_token(request: Request) -> str:
    token: str = request.session.get_csrf_token()
    return token


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    settings.setdefault("jinja2.i18n.domain", "cagou")
    settings.setdefault(
        "jinja2.filters",
        "local_time = cagou.web.filters:local_time\n"
        "mail_date = cagou.web.filters:mail_date\n"
        "francs = cagou.web.filters:francs",
    )
    settings.setdefault("jinja2.newstyle", "true")
    settings.setdefault("jinja2.trim_blocks", "true")
    settings.setdefault("jinja2.lstrip_blocks", "true")
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.include("cagou.web.i18n")
    # request.POST parsed by the multipart package rather than cgi.FieldStorage (see cagou.web.form_bodies).
    config.set_request_factory(FormRequest)
    config.add_request_method(is_htmx, "is_htmx", reify=True)
    config.add_request_method(csrf_token, "csrf", reify=True)
    config.add_subscriber(assign_request_id, NewRequest)
    config.add_subscriber(secure_response, NewResponse)
    config.add_subscriber(template_globals, BeforeRender)
    # Under the transaction: a refusal is audited in it (see cagou.web.input_guard).
    config.add_tween("cagou.web.input_guard.input_guard_tween_factory", under="pyramid_tm.tm_tween_factory")
    config.add_static_view(
        "static", "cagou:web/static", site=COMMON, permission=NO_PERMISSION_REQUIRED, cache_max_age=3600
    )
    config.add_static_view(
        "assets/htmx",
        f"{settings['cagou.assets.directory']}/htmx.org/dist",
        site=COMMON,
        permission=NO_PERMISSION_REQUIRED,
        cache_max_age=86400,
    )
    config.add_site_route(COMMON, "health", "/sante")
    config.add_site_route(PUBLIC, "home", "/")
    config.add_site_route(INTRANET, "space", "/")
    config.add_site_route(INTRANET, "search", "/recherche")
    config.scan(".views")
    config.include(".unavailable")
    config.include(".proxies")
    config.include(".request_log")
