"""French first, English second: locale negotiation and message catalogs.

Messages are written in French in the code and templates; the English catalog
translates them. Catalogs are read from the ``.po`` files of the core and of
every module (``<package>/locale/<lang>/LC_MESSAGES/*.po``) and merged into
the ``cagou`` domain when the platform starts, so nothing is compiled by hand.
"""

from __future__ import annotations

import functools
import io
from importlib.resources import files
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pyramid.config import Configurator
from pyramid.events import NewResponse
from pyramid.i18n import Localizer, Translations, TranslationStringFactory
from pyramid.interfaces import ILocalizer
from pyramid.request import Request

from cagou.settings import is_production

DOMAIN = "cagou"
DEFAULT_LOCALE = "fr"
LOCALES = ("fr", "en")
LOCALE_NAMES = {"fr": "Français", "en": "English"}
COOKIE = "_LOCALE_"

_ = TranslationStringFactory(DOMAIN)


def negotiate_locale(request: Request) -> str:
    """An explicit choice (``?_LOCALE_=en`` or its cookie), else the browser's."""
    for candidate in (request.params.get(COOKIE), request.cookies.get(COOKIE)):
        if candidate in LOCALES:
            return str(candidate)
    best: str | None = request.accept_language.lookup(LOCALES, default=DEFAULT_LOCALE)
    return best or DEFAULT_LOCALE


def remember_choice(event: NewResponse) -> None:
    """Keep the language chosen with ``?_LOCALE_=`` in a cookie."""
    request = event.request
    choice = request.GET.get(COOKIE)
    if choice in LOCALES:
        secure = is_production(request.registry.settings)  # like the session's: production is served over TLS
        event.response.set_cookie(COOKIE, choice, max_age=365 * 24 * 3600, samesite="Lax", httponly=True, secure=secure)


def load_translations(packages: list[str], locale: str) -> Translations:
    """Merge the ``.po`` catalogs of ``packages`` for ``locale`` into one domain."""
    merged = compile_catalog(Catalog(locale=locale))
    for package in packages:
        folder = files(package).joinpath("locale", locale, "LC_MESSAGES")
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".po"):
                continue
            merged.merge(compiled_po(entry.read_bytes(), locale))
    return merged


@functools.cache
def compiled_po(content: bytes, locale: str) -> Translations:
    """A ``.po`` file's catalog, compiled once per content in the process.

    Parsing is most of the cost of building the platform (a third of a second
    for the catalogs), which the test suite does before every test; merging
    only reads the compiled catalog, so one copy serves every platform.
    """
    return compile_catalog(read_po(io.BytesIO(content), locale=locale))


def compile_catalog(catalog: Catalog) -> Translations:
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(request: Request, message: str, **mapping: Any) -> str:
    """``message`` (French) in the request's language."""
    translated: str = request.localizer.translate(_(message, mapping=mapping or None))
    return translated


def setup_translations(config: Configurator, packages: list[str]) -> None:
    for locale in LOCALES:
        localizer = Localizer(locale, load_translations(packages, locale))
        config.registry.registerUtility(localizer, ILocalizer, name=locale)


def includeme(config: Configurator) -> None:
    config.set_locale_negotiator(negotiate_locale)
    config.add_subscriber(remember_choice, NewResponse)
