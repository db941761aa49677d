"""Hostile input is refused before any view runs: one place, for the core and every module.

No field of the platform may hold a NUL or another control character (tab
and line ends aside), nor half of a surrogate pair: PostgreSQL refuses NUL in
text, a lone surrogate cannot be encoded at all, and the other controls only
ever come from a forged request or a corrupted paste. Invalid UTF-8, a
multipart body that cannot be read (a part without a name…) and a JSON body
that does not parse are refused the same way. Without this tween each view
had to think of it, and those that did not answered 500.

The refusal is a 400 with a French message naming the field, as JSON on the
API. A form sent from a browser is not lost: the page shows what was sent,
the offending characters taken out, and sends it again with one click (the
target page then checks it as usual). Each refusal is audited, a bounded
number per address and hour so that a flood of forged requests cannot fill
the log; it is written in the request's transaction, which commits since
nothing else happens in it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pyramid.registry import Registry
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response

from cagou.api.clients import wants_json
from cagou.audit.models import REFUSED
from cagou.db import in_transaction
from cagou.identity.resubmission import Pending
from cagou.interfaces import IAuditLog, IRateLimits
from cagou.web.views import json_error

log = logging.getLogger(__name__)

#: Control characters (C0 but tab, line feed and carriage return; DEL; C1) and surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: The bodies this guard reads: forms, and JSON (``application/json``, ``application/…+json``).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Headers whose value the platform stores (the audit log keeps the user agent).
STORED_HEADERS = ("User-Agent",)
#: Fields never written back into a page, even cleaned.
SECRET_FIELD = re.compile("password|passe", re.IGNORECASE)
#: The rate limit (one of the core's) of audited refusals per address; past it they are only logged.
RATE_LIMIT = "refused-input.address"
#: Records are numbered with 32-bit integers (``Integer`` columns): a larger number in an address names
#: none, and PostgreSQL refuses to compare a column with it ("integer out of range"), which answered 500.
LARGEST_RECORD_NUMBER = 2**31 - 1
NUMBER = re.compile(r"\d{10,}")
NOT_FOUND = "La page demandée n'existe pas, ou n'est plus disponible."
MAX_NAME_SHOWN = 60
TEMPLATE = "cagou:web/templates/refused_input.jinja2"


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, and what of it can be offered again."""

    message: str
    #: The query string without the offending characters, for a link that follows it (GET).
    cleaned_query: list[tuple[str, str]] | None = None
    #: The form without the offending characters, for a page that sends it again (POST).
    cleaned_form: Pending | None = None
    #: Passwords were left out of ``cleaned_form``: the person types them again.
    secrets_dropped: bool = False
    #: The address itself is refused: the answer is drawn as if for the site's root.
    bad_path: bool = False
    #: 400, or 404 for an address that can name nothing.
    status: int = 400


def cleaned(text: str) -> str:
    return FORBIDDEN.sub("", text)


def field_name(name: str) -> str:
    return cleaned(name)[:MAX_NAME_SHOWN] or "?"


def character_message(where: str, text: str) -> str:
    found = FORBIDDEN.search(text)
    code = f"U+{ord(found.group()):04X}" if found else "?"
    return (
        f"{where} contient un caractère invisible qui ne peut pas être enregistré ({code}) : "
        "un caractère de contrôle ou un demi-caractère mal encodé, souvent venu d'un copier-coller."
    )


def first_bad_field(fields: Iterator[tuple[str, str]]) -> str | None:
    """The message about the first field whose name or value holds a forbidden character."""
    for name, value in fields:
        if FORBIDDEN.search(name):
            return character_message("Le nom d'un champ", name)
        if FORBIDDEN.search(value):
            return character_message(f"Le champ « {field_name(name)} »", value)
    return None


def too_large(number: str) -> bool:
    """A number no record carries; its length is looked at first (Python converts 4 300 digits at most)."""
    digits = number.lstrip("0")
    return len(digits) > len(str(LARGEST_RECORD_NUMBER)) or int(digits or "0") > LARGEST_RECORD_NUMBER


def check_path_and_headers(request: Request) -> Refusal | None:
    try:
        path = request.path_info
    except UnicodeDecodeError:
        return Refusal("L'adresse demandée est mal formée (encodage invalide).", bad_path=True)
    if FORBIDDEN.search(path):
        return Refusal(character_message("L'adresse demandée", path), bad_path=True)
    if any(too_large(number) for number in NUMBER.findall(path)):
        return Refusal(NOT_FOUND, bad_path=True, status=404)
    for header in STORED_HEADERS:
        if FORBIDDEN.search(request.headers.get(header, "")):
            return Refusal(character_message(f"L'en-tête {header}", request.headers[header]))
    return None


def check_query(request: Request) -> Refusal | None:
    try:
        fields = list(request.GET.items())
    except UnicodeDecodeError:
        return Refusal("L'adresse demandée est mal formée : ses paramètres ne sont pas en UTF-8.")
    message = first_bad_field(iter(fields))
    if message is None:
        return None
    return Refusal(message, cleaned_query=[(cleaned(name), cleaned(value)) for name, value in fields])


def check_form(request: Request) -> Refusal | None:
    try:
        post = request.POST
        items = list(post.items())
    except (TypeError, ValueError, UnicodeDecodeError, KeyError):
        return Refusal("Le formulaire envoyé est mal formé et n'a pas pu être lu ; rien n'a été enregistré.")
    if any(not isinstance(name, str) for name, _ in items):
        return Refusal("Le formulaire envoyé contient une partie sans nom ; rien n'a été enregistré.")
    texts = [(name, value) for name, value in items if isinstance(value, str)]
    files = [(name, str(getattr(value, "filename", "") or "")) for name, value in items if not isinstance(value, str)]
    message = first_bad_field(iter(texts)) or first_bad_field(iter(files))
    if message is None:
        return None
    kept = tuple(
        (cleaned(name), cleaned(value))
        for name, value in texts
        if name != "csrf_token" and not SECRET_FIELD.search(name)
    )
    secrets_dropped = any(SECRET_FIELD.search(name) for name, _ in texts)
    form = Pending(request.path_qs, kept, files_dropped=bool(files))
    return Refusal(message, cleaned_form=form, secrets_dropped=secrets_dropped)


def strings_of(value: Any) -> Iterator[tuple[str, str]]:
    """Every (key, string) of a parsed JSON document, keys included."""
    if isinstance(value, str):
        yield "", value
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, ""
            for _, text in strings_of(item):
                yield key, text


def reject_constant(name: str) -> Any:
    raise ValueError(name)


def check_json(request: Request) -> Refusal | None:
    body = request.body
    if not body.strip():
        return None
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Refusal("Le corps de la requête n'est pas un document JSON valide (UTF-8).")
    message = first_bad_field(strings_of(document))
    return Refusal(message) if message is not None else None


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def check(request: Request) -> Refusal | None:
    """Why ``request`` must be refused before any view sees it, or None."""
    refusal = check_path_and_headers(request) or check_query(request)
    if refusal is not None or request.method not in BODY_METHODS:
        return refusal
    content_type = request.content_type
    if content_type in FORM_TYPES:
        return check_form(request)
    if is_json(content_type):
        return check_json(request)
    return None


def neutralize(request: Request, refusal: Refusal) -> None:
    """Take what was refused out of the request, so that rendering the answer cannot trip on it."""
    environ = request.environ
    if refusal.bad_path:
        environ["PATH_INFO"] = "/intranet/" if environ["PATH_INFO"].startswith("/intranet/") else "/"
    environ["QUERY_STRING"] = urlencode(refusal.cleaned_query or [])
    if FORBIDDEN.search(environ.get("HTTP_USER_AGENT", "")):
        del environ["HTTP_USER_AGENT"]
    if request.method in BODY_METHODS:
        request.body = b""
        request.content_type = "application/x-www-form-urlencoded"


def audit(request: Request, path: str, refusal: Refusal) -> None:
    """Keep the refusal in the audit log, up to the rule's figure per address and hour (not a mere 404)."""
    if not in_transaction(request) or refusal.status == 404:
        return
    limits = request.find_service(IRateLimits)
    checks = {RATE_LIMIT: request.client_addr or ""}
    if limits.blocked_for(checks) is not None:
        log.warning("Refused input on %s %s (not audited: limit reached): %s", request.method, path, refusal.message)
        return
    limits.count(checks)
    request.find_service(IAuditLog).record(
        "core:request:refused-input", f"Requête refusée ({request.method} {path}) : {refusal.message}", category=REFUSED
    )


def input_guard_tween_factory(handler: Callable[[Request], Any], registry: Registry) -> Callable[[Request], Any]:
    """Check every request before routing, and answer a refusal at once."""

    def input_guard_tween(request: Request) -> Any:
        refusal = check(request)
        if refusal is None:
            return handler(request)
        path = cleaned(request.environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace"))[:200]
        as_json = wants_json(request)  # before the address is taken out
        neutralize(request, refusal)
        audit(request, path, refusal)
        return refused_input(request, refusal, as_json)

    return input_guard_tween


def refused_input(request: Request, refusal: Refusal, as_json: bool) -> Response:
    """The refusal: JSON on the API; in a page, with the cleaned form or address offered again.

    Rendered here rather than raised: an exception would abort the
    transaction, and with it the audit entry.
    """
    if as_json:
        return json_error(
            request, refusal.status, "Ressource introuvable." if refusal.status == 404 else refusal.message
        )
    query = refusal.cleaned_query
    values = {
        "title": "Page introuvable" if refusal.status == 404 else "Envoi refusé",
        "message": refusal.message,
        "pending": refusal.cleaned_form,
        "secrets_dropped": refusal.secrets_dropped,
        "cleaned_url": request.path + "?" + urlencode(query) if query is not None else None,
    }
    response = render_to_response(TEMPLATE, values, request=request)
    response.status_int = refusal.status
    return response
