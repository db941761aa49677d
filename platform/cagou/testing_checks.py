"""Checks the core's tests and every module's tests run, each suite on its own routes.

The core's suite runs them on the core and the sample module, a module's
suite on its own pages (``plugins/helpdesk/tests`` is the worked example):

- hostile input (:func:`refusals`, :func:`post_raw`, :func:`post_multipart`):
  what a browser never sends, refused by the input guard before any view;
- hostile forms (:func:`walk`, :func:`assert_forms_refuse_control_characters`,
  :func:`assert_forms_take_crafted_values`): every form the demonstration's
  people reach, sent crafted values;
- the access matrix (:func:`access_browsers`, :func:`access_matrix`): every
  route, asked as five kinds of people, answers as its permission says; the
  table lands in ``test-artifacts/`` and is printed at the end of the run;
- the API contract (:func:`prepared_schema`, :func:`call_and_check`): each
  operation of the OpenAPI document, sent generated requests by schemathesis;
- translations (:func:`template_messages`, :func:`english_catalog`,
  :func:`data_messages`): every message has its English translation;
- migrations (:func:`assert_models_match_migrations`,
  :func:`assert_branch_at_head`): a module's models and its migrations agree,
  on the database the suite runs on, and its branch is at its head.
"""

from __future__ import annotations

import datetime
import io
import itertools
import os
import re
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote_from_bytes, urlsplit
from xml.etree import ElementTree

import schemathesis
import sqlalchemy as sa
import webtest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, settings
from pyramid.authorization import ACLHelper
from pyramid.config import Configurator
from pyramid.interfaces import IRoute, IRoutesMapper
from pyramid.registry import Registry
from pyramid.security import NO_PERMISSION_REQUIRED
from webtest.forms import Checkbox, File, MultipleSelect, Radio, Select, Submit

from cagou.audit.models import AuditEntry
from cagou.contributions import HealthResult, NavEntry
from cagou.db import Base, get_engine, migrate, transaction_scope
from cagou.db.migrate import check_table_prefixes, include_name
from cagou.identity.policy import principals_of
from cagou.interfaces import IAccounts
from cagou.modules.services import SITE_LABELS
from cagou.plugins import flatten, get_plugins
from cagou.sites import API_PREFIX, COMMON, route_site
from cagou.testing import login
from cagou.web.views import CLIENT_ERROR_TITLES

#: Where the access matrices are written, at the root of the repository (the tests run from there).
ARTIFACTS = Path.cwd() / "test-artifacts"

# -- hostile input ---------------------------------------------------------------------------------


def refusals(registry: Registry) -> list[AuditEntry]:
    with transaction_scope(registry) as request:
        query = sa.select(AuditEntry).where(AuditEntry.action == "core:request:refused-input").order_by(AuditEntry.id)
        return list(request.db.scalars(query))


def form_body(fields: list[tuple[str, bytes]]) -> bytes:
    return b"&".join(
        quote_from_bytes(name.encode()).encode() + b"=" + quote_from_bytes(value).encode() for name, value in fields
    )


def post_multipart(app: webtest.TestApp, path: str, body: bytes, boundary: str) -> webtest.TestResponse:
    """A multipart body sent as it is (WebTest's post would encode it again, with its own boundary)."""
    return app.request(
        path, method="POST", body=body, content_type=f"multipart/form-data; boundary={boundary}", expect_errors=True
    )


def post_raw(app: webtest.TestApp, path: str, fields: list[tuple[str, bytes]], **kwargs: Any) -> webtest.TestResponse:
    return app.post(path, form_body(fields), content_type="application/x-www-form-urlencoded", **kwargs)


# -- hostile forms ---------------------------------------------------------------------------------

#: Pages walked at most from a site's home.
MAX_PAGES = 120
MARKUP = "<script>alert('cagou')</script>"
CORPUS = [
    MARKUP,
    "' OR '1'='1' -- ; DROP TABLE account;",
    '=HYPERLINK("http://exemple.invalid","clic")',
    "\u202egnp.exe",
    "Écran 🖨️ 𝕏 naïve façon œuvre",
    "a" * 20_000,
    "   ",
    "-99999999999999999999",
    "2026-02-30",
    "%s%n{0}{{7*7}}",
    "../../../../etc/passwd",
]
HOSTILE = ["avant\x00après", "bip\x07", "\x1b[31mrouge"]
#: Actions left out: they end the session or the account the walk goes on with.
SKIPPED_ACTIONS = ("deconnexion",)
#: Pages and forms alike but for the numbers in their address are walked and sent this many times.
SAME_SHAPE = 2
#: Tables a refusal may write to: its audit entry (and its SQLite full-text index), the rate-limit counter, sessions.
REFUSAL_TABLES = {"audit_entry", "attempt_counter", "login_session"}


def shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def home(site: str) -> str:
    return "/intranet/" if site == "intranet" else "/"


def signed_in(app: webtest.TestApp, login_name: str | None, password: str | None, site: str) -> None:
    app.reset()
    if login_name is not None and password is not None:
        login(app, login_name, password, site)


def same_site(href: str, site: str) -> bool:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href.startswith("/"):
        return False
    on_intranet = parts.path.startswith("/intranet/")
    return on_intranet == (site == "intranet") and not parts.path.endswith((".csv", ".xlsx"))


def walk(app: webtest.TestApp, site: str) -> list[tuple[str, webtest.forms.Form]]:
    """The forms of every page reachable from the site's home, one per action, method and fields."""
    seen_pages: set[str] = set()
    shapes = Counter[str]()
    forms: dict[tuple[str, Any], tuple[str, webtest.forms.Form]] = {}
    queue = deque([home(site)])
    while queue and len(seen_pages) < MAX_PAGES:
        path = queue.popleft()
        if path in seen_pages or shapes[shape(path)] >= SAME_SHAPE:
            continue
        seen_pages.add(path)
        shapes[shape(path)] += 1
        page = app.get(path, expect_errors=True)
        while page.status_int in (301, 302, 303) and same_site(page.location.removeprefix("http://localhost"), site):
            page = page.follow(expect_errors=True)
        assert page.status_int < 500, f"{path}: {page.status}"
        if page.content_type != "text/html":
            continue
        for link in page.html.find_all("a", href=True):
            href = link["href"].split("#")[0]
            if href and same_site(href, site) and "deconnexion" not in href:
                queue.append(href)
        for form in page.forms.values():
            action = form.action or path
            if any(skipped in action for skipped in SKIPPED_ACTIONS):
                continue
            key = (shape(action), form.method.upper(), tuple(sorted(name for name in form.fields if name)))
            if shapes[repr(key)] < SAME_SHAPE and (action, key) not in forms:
                shapes[repr(key)] += 1
                forms[action, key] = (path, form)
    # The module switches last: a module switched off takes its forms with it.
    return sorted(forms.values(), key=lambda item: "/console/modules" in (item[1].action or ""))


def typed_fields(form: webtest.forms.Form, hidden_too: bool) -> Iterator[Any]:
    for name, fields in form.fields.items():
        if not name or name == "csrf_token":
            continue
        for field in fields:
            if isinstance(field, Select | MultipleSelect | Checkbox | Radio | File | Submit):
                continue
            if field.__class__.__name__ == "Hidden" and not hidden_too:
                continue
            yield field


def send(form: webtest.forms.Form, value: str, hidden_too: bool) -> webtest.TestResponse | None:
    fields = list(typed_fields(form, hidden_too))
    if not fields:
        return None
    for field in fields:
        field.force_value(value)
    return form.submit(expect_errors=True)


def table_counts(registry: Registry) -> dict[str, int]:
    inspector = sa.inspect(get_engine(registry))
    with get_engine(registry).connect() as connection:
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in inspector.get_table_names()
            if name not in REFUSAL_TABLES and not name.startswith("audit_entry_fts")
        }


def assert_forms_refuse_control_characters(registry: Registry, forms: list[tuple[str, webtest.forms.Form]]) -> None:
    """Control characters in every typed field: a 400 in French for each form, and nothing stored."""
    before = table_counts(registry)
    sent = 0
    for value in HOSTILE:
        for page, form in forms:
            answer = send(form, value, hidden_too=False)
            if answer is None:
                continue
            sent += 1
            where = f"{form.method} {form.action} (from {page})"
            assert answer.status_int == 400, f"{where}: {answer.status}"
            text = answer.json["error"] if answer.content_type == "application/json" else answer.text
            assert "caractère invisible" in text, where
    assert sent, "no form had a field to type in"  # each account reaches one at least (a deletion, a search…)
    assert table_counts(registry) == before


def assert_forms_take_crafted_values(forms: list[tuple[str, webtest.forms.Form]]) -> None:
    """The corpus in every field: never a 5xx, and the markup never comes back unescaped."""
    # Typed fields alone first (hidden ones as the page gave them, so the checks behind reach the value), then all.
    for value, hidden_too in itertools.product(CORPUS, (False, True)):
        for page, form in forms:
            answer = send(form, value, hidden_too)
            if answer is None:
                continue
            where = f"{form.method} {form.action} (from {page}) with {value[:40]!r}, hidden fields too: {hidden_too}"
            assert answer.status_int < 500, f"{where}: {answer.status}"
            assert MARKUP not in answer.text, f"{where}: the markup came back unescaped"


# -- the access matrix -----------------------------------------------------------------------------

PERSONAS: dict[str, tuple[str, str, str] | None] = {
    "anonyme": None,
    "particulier": ("citoyen", "demo-citoyen-2026", "public"),
    "agent sans rôle": ("agent", "demo-agent-2026", "intranet"),
    "agent avec rôle": ("technicien", "demo-technicien-2026", "intranet"),
    "administrateur": ("admin", "demo-admin-2026", "intranet"),
}
#: Values for the placeholders of route patterns.
SAMPLE_VALUES = {"module": "sample", "site": "intranet", "key": "inconnu", "subpath": "cagou.css"}


def url_of(pattern: str) -> str:
    return re.sub(r"\{(\w+)(:[^}]*)?\}|\*(\w+)", lambda m: SAMPLE_VALUES.get(m.group(1) or m.group(3), "1"), pattern)


def get_permission(registry: Registry, route_name: str) -> str | None:
    """The permission of the view that answers GET on the route, or None when no view does."""
    for item in registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        methods = view["request_methods"]
        if view["route_name"] == route_name and (methods is None or "GET" in methods):
            permissions = [related["value"] for related in item["related"] if related.category_name == "permissions"]
            return permissions[0] if permissions else ""
    return None


def expected(registry: Registry, url: str, permission: str, account: Any) -> str:
    """What the permission table says: 'ok', 'connexion' (sent to sign in) or 'refusé'."""
    if permission == NO_PERMISSION_REQUIRED:
        return "ok"
    if account is not None and not account.is_staff and url.startswith(API_PREFIX):
        return "refusé"  # the intranet's API is for agents, whatever the roles say
    root = SimpleNamespace(__acl__=registry["cagou.acl"])
    # Every persona signed in completely, second factor included where their roles need it.
    if ACLHelper().permits(root, principals_of(account, strong=True), permission):
        return "ok"
    return "connexion" if account is None else "refusé"


def observed(response: webtest.TestResponse) -> str:
    if (response.status_int == 303 and "/connexion" in response.location) or response.status_int == 401:
        return "connexion"
    if response.status_int >= 500:
        return "erreur"
    if response.status_int == 403:
        return "refusé"
    return "ok"


def access_browsers(app_config: Configurator) -> dict[str, webtest.TestApp]:
    """A browser per persona, signed in (the demonstration's accounts)."""
    browsers = {}
    for persona, credentials in PERSONAS.items():
        browser = webtest.TestApp(app_config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
        if credentials is not None:
            login(browser, credentials[0], credentials[1], site=credentials[2])
        browsers[persona] = browser
    return browsers


def access_matrix(
    registry: Registry, people: dict[str, webtest.TestApp], keep: Callable[[IRoute], bool] = lambda route: True
) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """The matrix's rows (one per route ``keep`` takes) and the cells where the answer is not the permission's."""
    routes = registry.getUtility(IRoutesMapper).get_routes()
    with transaction_scope(registry) as request:
        accounts = {
            persona: request.find_service(IAccounts).by_login(credentials[0]) if credentials else None
            for persona, credentials in PERSONAS.items()
        }
        for account in accounts.values():
            if account is not None:
                [grant.directorate for grant in account.grants]  # loaded before the transaction ends
    rows, mismatches = [], []
    for route in sorted(routes, key=lambda r: r.pattern):
        if route_site(route) == COMMON or not keep(route):
            continue
        permission = get_permission(registry, route.name)
        if permission is None:
            continue  # no GET view: POST-only routes are covered by the CSRF and toggle tests
        cells = []
        for persona, browser in people.items():
            want = expected(registry, url_of(route.pattern), permission, accounts[persona])
            got = observed(browser.get(url_of(route.pattern), expect_errors=True))
            cells.append(got if got == want else f"**{got}** (attendu : {want})")
            if got != want:
                mismatches.append((route.name, persona, want, got))
        rows.append(f"| `{route.pattern}` | `{permission}` | " + " | ".join(cells) + " |")
    return rows, mismatches


def write_matrix(path: Path, rows: list[str]) -> None:
    header = "| route | permission | " + " | ".join(PERSONAS) + " |\n|---|---|" + "---|" * len(PERSONAS)
    path.parent.mkdir(exist_ok=True)
    path.write_text("# Qui peut ouvrir quoi\n\n" + header + "\n" + "\n".join(rows) + "\n")


def show_matrix(terminalreporter: Any, path: Path) -> None:
    """Print the matrix a suite wrote (call it from ``pytest_terminal_summary``)."""
    if path.exists():
        terminalreporter.write_sep("=", f"access matrix (test-artifacts/{path.name})")
        terminalreporter.write_line(path.read_text())


# -- the API contract ------------------------------------------------------------------------------

OPENAPI = "/intranet/api/openapi.json"
#: The public extension's document, and where its accounts make their tokens.
PUBLIC_OPENAPI, PUBLIC_TOKENS = "/api/openapi.json", "/mon-compte/jetons/"
#: The variable that sets how many generated requests each operation of the API is sent (docs/testing.md).
API_EXAMPLES_ENV = "CAGOU_API_EXAMPLES"
#: Requests per operation in the regular run, the same ones every run (derandomized): the contract of
#: every operation is checked each time; a deep run sends more (``CAGOU_API_EXAMPLES=200 make test``).
EXAMPLES_PER_OPERATION = int(os.environ.get(API_EXAMPLES_ENV) or 8)


def token_with_every_scope(app: webtest.TestApp, page_path: str = "/intranet/jetons/") -> str:
    """A personal token made on the tokens page (the intranet's, or :data:`PUBLIC_TOKENS`), every permission
    offered there ticked."""
    page = app.get(page_path)
    form = page.forms["formulaire-jeton"]
    form["name"] = "contrat de l'API"
    for checkbox in form.fields["scopes"]:
        checkbox.checked = True
    token: str = form.submit().html.find(id="nouveau-jeton").text
    return token


def prepared_schema(
    app: webtest.TestApp, token: str, parameters: dict[str, Any] | None = None, document: str = OPENAPI
) -> Any:
    """The application's ``document`` (the intranet's, or :data:`PUBLIC_OPENAPI`), bound to it, requests
    carrying ``token`` and the ``parameters`` given."""
    schema = schemathesis.openapi.from_wsgi(document, app.app)
    schema.config.update(headers={"Authorization": f"Bearer {token}"}, parameters=parameters)
    # Generated strings may hold NUL characters: the core's input guard refuses them with a 400 before any
    # view, a refusal every operation documents.
    schema.config.generation.update(allow_x00=True, max_examples=EXAMPLES_PER_OPERATION)
    return schema


HYPOTHESIS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=5000,  # milliseconds per request: a hang fails, a busy CI machine does not
    derandomize=True,
    database=None,
    # One application (and database) per operation, shared by its examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def call_and_check(case: schemathesis.Case[Any]) -> None:
    # Every check but "valid data is accepted": a request can fit the schema and name what does not exist
    # (a category, a cursor), and the API refuses it with a 400, as its document says.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])


# -- translations ----------------------------------------------------------------------------------


def template_messages(folder: Path) -> set[str]:
    extracted = extract_from_dir(
        str(folder),
        method_map=[("**/templates/**.jinja2", "jinja2")],
        options_map={"**/templates/**.jinja2": {"trimmed": "true"}},
    )
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in extracted}


def english_catalog(package: Path) -> dict[str, str]:
    """The English translations of the package folder's catalogs (``locale/en/LC_MESSAGES/*.po``)."""
    folder = package / "locale" / "en" / "LC_MESSAGES"
    messages: dict[str, str] = {}
    for path in folder.glob("*.po"):
        catalog = read_po(io.BytesIO(path.read_bytes()), locale="en")
        messages.update({str(m.id): str(m.string) for m in catalog if m.id})
    return messages


def loaded_packages(registry: Registry) -> list[Path]:
    """The folders of the core and of every module the platform loaded, found by the platform, not named here."""
    return [Path(str(files(module.package))) for module in get_plugins(registry).loaded() if module.package]


def assert_module_translated(registry: Registry, package: Path) -> None:
    """Every message of the module's templates has a non-empty English translation, and so has every message
    that reaches the templates through data (module titles, navigation, health checks), the module's among them."""
    catalog = english_catalog(package)
    missing = template_messages(package) - set(catalog)
    assert not missing, f"Messages without an English translation in {package.name}: {sorted(missing)}"
    assert [message for message, translation in catalog.items() if not translation.strip()] == []
    known = {message for loaded in loaded_packages(registry) for message in english_catalog(loaded)}
    assert data_messages(registry) - known == set()


def data_messages(registry: Registry) -> set[str]:
    """Messages that reach templates through data: module titles, error titles, site labels, navigation, health."""
    plugins = get_plugins(registry)
    with transaction_scope(registry) as request:
        entries: list[NavEntry] = flatten(plugins.call("cagou_navigation", None, request=request))
        checks: list[HealthResult] = flatten(plugins.call("cagou_health_checks", None, request=request))
    messages = {module.title for module in plugins.loaded()}
    messages |= {entry.title for entry in entries} | {check.name for check in checks if check.name != "exemple"}
    messages |= set(CLIENT_ERROR_TITLES.values()) | set(SITE_LABELS.values())
    messages |= {"Page introuvable", "Accès refusé", "Erreur du serveur", "Courriels envoyés", "Journal d'audit"}
    return messages


# -- migrations -----------------------------------------------------------------


def assert_models_match_migrations(registry: Registry) -> None:
    """An autogenerate comparison of the migrated database with the models finds nothing to do."""
    with get_engine(registry).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ on {connection.dialect.name}: {differences}"


def assert_branch_at_head(registry: Registry, head: str, first: str) -> None:
    """The module's branch is applied up to ``head`` (its latest revision) from ``first``; again changes nothing.

    Its tables carry the module's prefix.
    """
    assert migrate.missing_heads(registry) == set()
    heads = migrate.head_revisions(registry)
    assert head in heads
    applied = migrate.applied_revisions(registry)
    assert applied >= heads | {"0001_core", first}
    migrate.upgrade(registry)
    assert migrate.applied_revisions(registry) == applied
    check_table_prefixes(get_plugins(registry))


# -- exports --------------------------------------------------------------------


def read_xlsx(data: bytes, sheet_name: str) -> tuple[list[list[object]], dict[str, str]]:
    """The rows of the first sheet, named ``sheet_name`` (strings, numbers, dates), read from the XML in the zip,
    and each cell's kind (``text``, ``number``, or its date format); no cell may be a formula.

    Dates are serial numbers whose style has a date format: they come back as datetimes.
    """
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        sheet = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))  # noqa: S314  (the test's own file)
        styles = ElementTree.fromstring(package.read("xl/styles.xml"))  # noqa: S314
        workbook = package.read("xl/workbook.xml").decode()
    assert f'name="{sheet_name}"' in workbook
    formats = {fmt.get("numFmtId"): fmt.get("formatCode") or "" for fmt in styles.iter(f"{main}numFmt")}
    cell_styles = styles.find(f"{main}cellXfs")
    assert cell_styles is not None
    cell_formats = [xf.get("numFmtId") for xf in cell_styles]
    assert not list(sheet.iter(f"{main}f")), "no cell is a formula"
    rows = []
    kinds: dict[str, str] = {}
    for row in sheet.iter(f"{main}row"):
        values: list[object] = []
        for cell in row:
            reference = cell.get("r") or ""
            column = re.sub(r"\d", "", reference)
            index = sum((ord(letter) - 64) * 26**power for power, letter in enumerate(reversed(column))) - 1
            values.extend([None] * (index - len(values)))
            if cell.get("t") == "inlineStr":
                values.append("".join(text.text or "" for text in cell.iter(f"{main}t")))
                kinds[reference] = "text"
                continue
            value = cell.find(f"{main}v")
            assert value is not None and value.text is not None
            number = float(value.text)
            code = formats.get(cell_formats[int(cell.get("s", "0"))], "")
            if "yy" in code:
                moment = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=number)  # noqa: DTZ001  (naive in a sheet)
                values.append(
                    moment.replace(microsecond=0) + datetime.timedelta(seconds=round(moment.microsecond / 1e6))
                )
                kinds[reference] = code
            else:
                values.append(int(number) if number.is_integer() else number)
                kinds[reference] = "number"
        rows.append(values)
    return rows, kinds


# -- files ----------------------------------------------------------------------

#: Small files of each kind, as their first bytes make them (``filetype`` reads the signature): what an upload
#: check must take (a PDF, a PNG) and refuse (a Windows program, whatever it is named).
PDF_SAMPLE = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG_SAMPLE = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PROGRAM_SAMPLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
