"""The helpdesk's benchmark, run by ``make bench`` after bench/audit.py (see bench/README.md).

On PostgreSQL, in one run, Cagou served as in production (gunicorn with
gunicorn.conf.py and production.ini, the helpdesk module enabled, the demonstration loaded) next
to the baseline of bench/bare_helpdesk.py (a bare Pyramid + SQLAlchemy
application doing the same SQL, served the same way):

1. The technicians' queue page, ``GET /intranet/assistance/file/`` signed in
   as the demonstration technician, with 100,000 tickets in the database
   (inserted with COPY after the demonstration): latencies one technician at
   a time (the page's own), then with 4 clients back to back (the
   server at full load), against the baseline's page running the same
   query. Target: 95th percentile under 150 ms. Then other views of the
   queue (all tickets, most recent first; full-text search; breaching soon),
   Cagou only.
2. Ticket creation through the whole stack: 16 client processes, each signed
   in as its own agent, post the real new-ticket form (multipart, CSRF token)
   back to back; the baseline parses the same form and inserts the same row;
   and, to show what the platform alone costs, a signed-in JSON POST that
   stores nothing (bench/plugins/cagou_benchaudit with ``?audit=0&change=0``).
   Alternating slices, as bench/run.py does. Target: at least 50 % of the
   baseline's throughput.
3. "Take the next one": 20 technicians (one client process each, signed in)
   press the button together until their queue of 1,000 tickets is empty;
   then the baseline's one-statement ``FOR UPDATE SKIP LOCKED`` does the same
   with another 1,000 tickets. The run checks that every ticket was taken
   exactly once, by the technician it was handed to, with one audit entry
   (Cagou), and fails otherwise.

Prints a Markdown report and writes it to var/bench/helpdesk.md; exits 1 when
a request failed or a ticket was lost or taken twice.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import html
import http.client
import json
import multiprocessing
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import run
import sqlalchemy as sa

VAR = run.VAR / "helpdesk"
PLUGINS = run.BENCH / "plugins"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cagou_bench_helpdesk"
FORM = "/intranet/assistance/nouvelle"
#: bench/plugins/cagou_benchaudit's endpoint without its audit entry: a signed-in, CSRF-checked POST doing nothing.
EMPTY_POST = "/intranet/banc/audit?audit=0&change=0"
QUEUE = "/intranet/assistance/file/"
NEXT = "/intranet/assistance/file/suivant"
DEFAULT_PAGE = "my group's open tickets (default)"
QUEUE_VIEWS = {
    "all tickets, most recent first": QUEUE + "?view=all&sort=recent",
    "full-text search": QUEUE + "?view=all&text=" + urllib.parse.quote("vpn maison"),
    "breaching soon": QUEUE + "?view=breaching&sort=due",
}
TICKET_LOCATION = re.compile(r"/intranet/assistance/tickets/(\d+)$")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
BOUNDARY = "----cagou-banc-assistance"
#: The core's demonstration technician (cagou.demo), a member of BAU in the helpdesk's demonstration.
TECHNICIAN_LOGIN, TECHNICIAN_PASSWORD = "technicien", "demo-technicien-2026"
#: The accounts this benchmark creates (never in a real database).
BENCH_PASSWORD = "banc-d-essai-assistance-2026"
TAKE_GROUP, BASELINE_TAKE_GROUP = "BANC", "BANC-REF"
CATEGORY = "Matériel > Ordinateur portable"
CREATE_TARGET = 0.50
QUEUE_P95_TARGET_MS = 150.0
CAGOU, BASELINE = "Cagou", run.BASELINE
EMPTY = "Cagou, empty POST"


@dataclass(frozen=True)
class Session:
    """A signed-in client: the session cookie and the CSRF token of its pages."""

    login: str
    account_id: int
    cookie: str
    token: str


@dataclass(frozen=True)
class Drain:
    """What the technicians saw while emptying a queue, and what the database says afterwards."""

    app: str
    technicians: int
    tickets: int
    handed: dict[int, list[str]]
    seconds: float
    latencies: list[float]
    errors: int
    error_sample: str
    holders: dict[int, str]
    audited: collections.Counter[int]

    @property
    def twice(self) -> int:
        return sum(1 for logins in self.handed.values() if len(logins) > 1)

    @property
    def lost(self) -> int:
        return self.tickets - len(self.handed)

    @property
    def wrong_holder(self) -> int:
        return sum(1 for ticket, logins in self.handed.items() if self.holders.get(ticket) not in logins)

    @property
    def exactly_once(self) -> bool:
        audit_ok = self.app != CAGOU or (
            len(self.audited) == self.tickets and set(self.audited.values()) == {1}
        )  # fmt: skip
        return not (self.twice or self.lost or self.wrong_holder or self.errors) and audit_ok


# -- setting up ------------------------------------------------------------------


def environment(url: str, secret: str) -> dict[str, str]:
    """Production's environment (as bench/run.py gives it), plus the audit bench's module for the empty POST."""
    return {
        **run.cagou_environment(run.Database("PostgreSQL", url, VAR), secret),
        "CAGOU_PLUGINS_EXTRA": "cagou_benchaudit",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH", "")])),
    }


def cagou(env: dict[str, str], *arguments: str) -> None:
    command = [str(run.BIN / "cagou"), "-c", str(run.INI), *arguments]
    subprocess.run(command, cwd=run.ROOT, env=env, check=True, capture_output=True, text=True)


def prepare(url: str, env: dict[str, str]) -> None:
    """What an operator does: migrate, load the demonstration, enable the module."""
    run.prepare_folder(run.Database("PostgreSQL", url, VAR))
    run.reset_postgresql(url)
    enable = (["modules", "enable", "helpdesk"], ["modules", "enable", "benchaudit"])
    for arguments in (["db", "upgrade"], ["demo"], *enable):
        cagou(env, *arguments)


def bench_people(env: dict[str, str], agents: int, technicians: int, take_tickets: int) -> None:
    """Agents who open tickets, technicians of a group of their own, and two queues to empty (one per app).

    Done through the platform's services in this process, configured with
    production.ini and the run's environment, as a command would.
    """
    os.environ.update({key: value for key, value in env.items() if key.startswith("CAGOU_")})
    sys.path.insert(0, str(PLUGINS))
    from startup import app_settings
    from zope.sqlalchemy import mark_changed

    from cagou import configure
    from cagou.db import get_engine, transaction_scope
    from cagou.identity.models import AGENT
    from cagou.interfaces import IAccounts
    from cagou_helpdesk import rules
    from cagou_helpdesk import settings as helpdesk_settings
    from cagou_helpdesk.models import Category, Group, Member

    registry = configure(app_settings(run.INI)).registry
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        for number in range(1, agents + 1):
            login = f"banc.agent{number:02d}"
            accounts.create(login, f"Agent de banc {number:02d}", AGENT, email=f"{login}@banc.example.nc",
                            password=BENCH_PASSWORD)  # fmt: skip
        group = Group(code=TAKE_GROUP, name="Banc d'essai : prendre le suivant")
        baseline = Group(code=BASELINE_TAKE_GROUP, name="Banc d'essai : référence")
        request.db.add_all([group, baseline])
        request.db.flush()
        for number in range(1, technicians + 1):
            login = f"banc.tech{number:02d}"
            account = accounts.create(login, f"Technicien de banc {number:02d}", AGENT,
                                      email=f"{login}@banc.example.nc", password=BENCH_PASSWORD)  # fmt: skip
            accounts.grant(account, "helpdesk:technician")
            request.db.add(Member(group_id=group.id, account_id=account.id))
        category = request.db.scalars(sa.select(Category).where(Category.path == CATEGORY)).one()
        requester = accounts.by_login("agent")
        matrix, levels = rules.priority_matrix(request), rules.service_levels(request)
        calendar = helpdesk_settings.get(registry).calendar
        now = rules.now(request)
        rows = []
        chance = random.Random(4)
        for target in (group, baseline):
            for number in range(take_tickets):
                urgency, impact = chance.choice([(2, 1), (3, 1), (1, 1), (2, 2)])
                created = now - datetime.timedelta(minutes=take_tickets - number)
                row = {
                    "title": f"Portable à préparer n° {number + 1}", "description": "Je passe en télétravail lundi.",
                    "category_id": category.id, "urgency": urgency, "impact": impact,
                    "priority": matrix[(urgency, impact)], "status": "new", "source": "web",
                    "requester_id": requester.id, "opened_by_id": requester.id, "group_id": target.id,
                    "created_at": created, "updated_at": created, "acknowledged_at": created, "reopened": 0,
                }  # fmt: skip
                first_response, resolution = levels[row["priority"]]
                row["first_response_due"] = calendar.add(created, datetime.timedelta(minutes=first_response))
                row["resolution_due"] = calendar.add(created, datetime.timedelta(minutes=resolution))
                rows.append(row)
        request.db.execute(sa.insert(sa.table("helpdesk_ticket", *(sa.column(name) for name in rows[0]))), rows)
        mark_changed(request.db)
    get_engine(registry).dispose()


def plain_url(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fill(url: str, count: int) -> float:
    """COPY ``count`` tickets of two years in the bureaus' queues (most closed long ago); the seconds it took.

    Their due dates are the creation plus a fixed delay per priority (no
    business-hours calendar: only the queue's sorting and filtering read them).
    """
    from cagou_helpdesk.demo.catalogue import TOPICS
    from cagou_helpdesk.demo.planner import default_queue
    from cagou_helpdesk.demo.texts import REQUESTS
    from cagou_helpdesk.reference import DEFAULT_MATRIX

    started = time.perf_counter()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        groups = {code: id_ for code, id_ in connection.execute(sa.text("SELECT code, id FROM helpdesk_group"))}
        categories = {path: id_ for path, id_ in connection.execute(sa.text("SELECT path, id FROM helpdesk_category"))}
        members: dict[str, list[int]] = collections.defaultdict(list)
        for code, account_id in connection.execute(
            sa.text("SELECT g.code, m.account_id FROM helpdesk_member m JOIN helpdesk_group g ON g.id = m.group_id")
        ):
            members[code].append(account_id)
        requesters = list(
            connection.scalars(sa.text("SELECT id FROM account WHERE kind = 'agent' AND login NOT LIKE 'banc.%'"))
        )
    engine.dispose()
    chance = random.Random(100_000)
    now = datetime.datetime.now(datetime.UTC)
    sample = {"commune": "Païta", "commune2": "Bourail", "service": "DFI", "isp": "Lagoon", "printer": "IMP-DFI-02",
              "phone": "27 45 12", "number": 4242, "stock": 12}  # fmt: skip
    texts = {topic: [(t, d.format(**sample)) for t, d in REQUESTS[topic]] for topic in TOPICS}
    topics = list(TOPICS)
    statuses = (
        ["closed"] * 88 + ["resolved"] * 3 + ["new"] * 3 + ["assigned"] * 1 + ["in_progress"] * 3 + ["waiting"] * 2
    )
    delays = {1: (0.5, 4), 2: (1, 8), 3: (4, 24), 4: (8, 40)}  # hours to first response, to resolution
    columns = (
        "title", "description", "category_id", "urgency", "impact", "priority", "status", "waiting_for", "source",
        "requester_id", "opened_by_id", "group_id", "assignee_id", "created_at", "updated_at", "first_response_at",
        "resolved_at", "closed_at", "first_response_due", "resolution_due", "paused_since", "reopened", "rating",
        "acknowledged_at",
    )  # fmt: skip
    statement = f"COPY helpdesk_ticket ({', '.join(columns)}) FROM STDIN"
    with psycopg.connect(plain_url(url)) as connection, connection.cursor() as cursor, cursor.copy(statement) as copy:
        for _ in range(count):
            topic = chance.choice(topics)
            title, description = chance.choice(texts[topic])
            code = default_queue(TOPICS[topic])
            urgency, impact = chance.choice([(2, 1), (2, 1), (2, 1), (1, 1), (3, 1), (2, 2)])
            priority = DEFAULT_MATRIX[(urgency, impact)]
            status = chance.choice(statuses)
            created = now - datetime.timedelta(seconds=chance.randrange(2 * 365 * 86400))
            if status in ("new", "assigned", "in_progress", "waiting"):
                created = now - datetime.timedelta(seconds=chance.randrange(10 * 86400))
            answer, resolve = delays[priority]
            answered = created + datetime.timedelta(hours=answer * chance.uniform(0.2, 2))
            resolved = answered + datetime.timedelta(hours=resolve * chance.uniform(0.2, 2))
            done = status in ("resolved", "closed")
            copy.write_row((
                title, description, categories[TOPICS[topic]], urgency, impact, priority, status,
                "requester" if status == "waiting" else None, "web", (requester := chance.choice(requesters)),
                requester, groups[code], None if status == "new" else chance.choice(members[code]), created,
                resolved if done else created, None if status == "new" else answered, resolved if done else None,
                resolved + datetime.timedelta(days=7) if status == "closed" else None,
                created + datetime.timedelta(hours=answer), created + datetime.timedelta(hours=resolve),
                answered if status == "waiting" else None, 0, chance.choice([None, None, 4, 5]) if done else None,
                created,
            ))  # fmt: skip
    with psycopg.connect(plain_url(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE helpdesk_ticket")
    return time.perf_counter() - started


def ticket_count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count: int = connection.scalar(sa.text("SELECT count(*) FROM helpdesk_ticket"))
    engine.dispose()
    return count


# -- the servers and the sessions ----------------------------------------------------


@contextlib.contextmanager
def bare_server(
    url: str, env: dict[str, str], script: str = "bare_helpdesk.py",
    arguments: tuple[str, ...] = ("--take-group", BASELINE_TAKE_GROUP), folder: Path = VAR,
) -> Iterator[int]:  # fmt: skip
    """A baseline (bench/bare_helpdesk.py by default) in its own process group (what run.server does for
    bench/serve.py)."""
    port = run.free_port()
    log = folder / "bare-server.log"
    command = [run.PYTHON, str(run.BENCH / script), "--port", str(port), "--database-url", url, *arguments]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=run.ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        run.wait_until_ready(process, port, log)
        yield port
    finally:
        run.stop(process)


def sign_in(port: int, login: str, password: str, page: str) -> Session:
    """Through the real login form; then the CSRF token of ``page``, as the browser would find it."""
    status, set_cookies, body = run.fetch(port, "GET", "/intranet/connexion")
    found = CSRF_FIELD.search(body.decode())
    if status != 200 or found is None:
        raise SystemExit(f"The login page answered {status} without a CSRF token")
    cookie = run.session_cookie(set_cookies)
    form = urllib.parse.urlencode({"login": login, "password": password, "csrf_token": html.unescape(found.group(1))})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    status, set_cookies, _ = run.fetch(port, "POST", "/intranet/connexion", headers, form)
    if status != 303:
        raise SystemExit(f"Signing in as {login} failed ({status})")
    cookie = run.session_cookie(set_cookies, cookie)
    status, _, body = run.fetch(port, "GET", page, {"Cookie": cookie})
    found = CSRF_FIELD.search(body.decode())
    if status != 200 or found is None:
        raise SystemExit(f"{page} answered {status} to {login}, without a CSRF token")
    return Session(login, 0, cookie, html.unescape(found.group(1)))


def account_ids(url: str, logins: list[str]) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        query = sa.text("SELECT login, id FROM account WHERE login = ANY(:logins)")
        found = {login: account_id for login, account_id in connection.execute(query, {"logins": logins})}
    engine.dispose()
    return found


# -- 1. the queue page ------------------------------------------------------------------


@dataclass(frozen=True)
class QueueLine:
    page: str
    clients: int
    measure: run.Measure


def queue_pages(cagou_port: int, bare_port: int, cookie: str, args: argparse.Namespace) -> list[QueueLine]:
    """The default page one technician at a time, then several at once (Cagou and baseline); the other views."""
    lines = []
    for clients in dict.fromkeys((1, args.queue_clients)):
        load = run.Load(args.queue_duration, args.warmup, clients, 2)
        apps = {CAGOU: (cagou_port, cookie), BASELINE: (bare_port, "")}
        lines += [QueueLine(DEFAULT_PAGE, clients, m) for m in run.compare(QUEUE, apps, load, "PostgreSQL")]
    one = run.Load(args.queue_duration, args.warmup, 1, 2)
    for name, path in QUEUE_VIEWS.items():
        lines += [QueueLine(name, 1, m) for m in run.compare(path, {CAGOU: (cagou_port, cookie)}, one, "PostgreSQL")]
    return lines


# -- 2. opening tickets ------------------------------------------------------------------


def multipart(fields: dict[str, str]) -> bytes:
    """The body a browser sends for the new-ticket form, with no file attached."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n")
    return "".join(parts).encode()


def opener(
    port: int, cookie: str, token: str, client: int, empty: bool, measure_from: float, stop_at: float
) -> tuple[list[float], int, str, int]:
    """One agent posting the new-ticket form back to back on one keep-alive connection; a ticket is a 303.

    The client keeps its session cookie as it was before the post: each post
    flashes "Votre demande est enregistrée…" into the session, which the
    ticket page a browser is redirected to shows and removes; without that
    page, the messages would pile up in the cookie until it overflows.
    """
    connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
    latencies: list[float] = []
    errors, sample, size, number = 0, "", 0, 0
    while (began := time.monotonic()) < stop_at:
        number += 1
        if empty:
            path, expected = EMPTY_POST, 200
            body = json.dumps({"reference": f"HD-{client:02d}{number:06d}"}).encode()
            headers = {"Content-Type": "application/json", "X-CSRF-Token": token}
        else:
            path, expected = FORM, 303
            body = multipart({
                "csrf_token": token, "title": f"Portable à préparer ({client}-{number})",
                "description": "Bonjour, je passe en télétravail lundi et je n'ai qu'un poste fixe au bureau.",
                "category": CATEGORY, "urgency": "2", "impact": "1", "contact_phone": "27 45 12",
            })  # fmt: skip
            headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        if cookie:
            headers["Cookie"] = cookie
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            size = len(response.read())
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            status, sample = 0, repr(error)
            connection.close()
            connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
        ended = time.monotonic()
        if began < measure_from:
            continue
        if status == expected:
            latencies.append(ended - began)
        else:
            errors += 1
            sample = sample or f"HTTP {status}"
    connection.close()
    return latencies, errors, sample, size


def drive_openers(port: int, sessions: list[Session], empty: bool, warmup: float, seconds: float) -> run.Slice:
    measure_from = time.monotonic() + run.FORK_MARGIN_SECONDS + warmup
    stop_at = measure_from + seconds
    arguments = [(port, s.cookie, s.token, n, empty, measure_from, stop_at) for n, s in enumerate(sessions)]
    with multiprocessing.get_context("fork").Pool(len(sessions), initializer=run.quiet_signals) as pool:
        results = pool.starmap(opener, arguments)
    return run.Slice(
        latencies=[latency for result in results for latency in result[0]],
        errors=sum(result[1] for result in results),
        error_sample=next((result[2] for result in results if result[2]), ""),
        body_bytes=max(result[3] for result in results),
    )


def creation(cagou_port: int, bare_port: int, agents: list[Session], load: run.Load) -> list[run.Measure]:
    """Cagou's form, Cagou's empty POST and the baseline's form, in alternating slices (A B C, C B A…)."""
    anonymous = [Session(s.login, 0, "", "") for s in agents]
    apps = {
        CAGOU: (cagou_port, agents, False), EMPTY: (cagou_port, agents, True), BASELINE: (bare_port, anonymous, False)
    }  # fmt: skip
    slices: dict[str, list[run.Slice]] = {name: [] for name in apps}
    for round_number in range(load.rounds):
        order = list(apps) if round_number % 2 == 0 else list(reversed(apps))
        for name in order:
            port, sessions, empty = apps[name]
            warmup = load.warmup if round_number == 0 else 0.0
            slices[name].append(drive_openers(port, sessions, empty, warmup, load.duration / load.rounds))
    measures = [run.merge(FORM, "PostgreSQL", name, parts, load.duration) for name, parts in slices.items()]
    for m in measures:
        print(
            f"  {m.app:<18} {m.per_second:8.1f} requests/s, median {m.median_ms:.1f} ms, {m.errors} errors", flush=True
        )
    return measures


# -- 3. taking the next one ---------------------------------------------------------------


def taker(
    port: int, cookie: str, token: str, technician: int, start_at: float
) -> tuple[list[int], list[float], int, str, float]:
    """One technician pressing "take the next one" until the queue is empty: (tickets, latencies, errors, …, end)."""
    connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
    path = f"{NEXT}?technicien={technician}" if not cookie else NEXT
    body = urllib.parse.urlencode({"csrf_token": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    tickets: list[int] = []
    latencies: list[float] = []
    errors, sample, failures = 0, "", 0
    while time.monotonic() < start_at:
        time.sleep(0.001)
    while failures < 10:
        began = time.monotonic()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status, location = response.status, response.headers.get("Location", "")
        except (OSError, http.client.HTTPException) as error:
            status, location, sample = 0, "", repr(error)
            connection.close()
            connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
        ended = time.monotonic()
        found = TICKET_LOCATION.search(location) if status == 303 else None
        if found is not None:
            tickets.append(int(found.group(1)))
            latencies.append(ended - began)
        elif status == 303 and location.endswith(QUEUE):
            break  # nothing left in the queue
        else:
            errors, failures = errors + 1, failures + 1
            sample = sample or f"HTTP {status} {location}"
    connection.close()
    return tickets, latencies, errors, sample, time.monotonic()


def drain(app: str, port: int, url: str, sessions: list[Session], group: str, tickets: int) -> Drain:
    start_at = time.monotonic() + run.FORK_MARGIN_SECONDS + 0.3
    arguments = [(port, s.cookie, s.token, s.account_id, start_at) for s in sessions]
    with multiprocessing.get_context("fork").Pool(len(sessions), initializer=run.quiet_signals) as pool:
        results = pool.starmap(taker, arguments)
    handed: dict[int, list[str]] = collections.defaultdict(list)
    for session, result in zip(sessions, results, strict=True):
        for ticket in result[0]:
            handed[ticket].append(session.login)
    holders, audited = holders_of(url, group)
    found = Drain(
        app=app, technicians=len(sessions), tickets=tickets, handed=dict(handed),
        seconds=max(result[4] for result in results) - start_at,
        latencies=sorted(latency for result in results for latency in result[1]),
        errors=sum(result[2] for result in results), error_sample=next((r[3] for r in results if r[3]), ""),
        holders=holders, audited=audited,
    )  # fmt: skip
    print(
        f"  {app:<13} {len(handed)} taken by {len(sessions)} technicians in {found.seconds:.1f} s, "
        f"{found.twice} twice, {found.lost} lost, {found.errors} errors",
        flush=True,
    )
    return found


def holders_of(url: str, group: str) -> tuple[dict[int, str], collections.Counter[int]]:
    """Who holds each ticket of the group, and how many "take" entries the audit log has per ticket."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT t.id, a.login FROM helpdesk_ticket t JOIN helpdesk_group g ON g.id = t.group_id "
                "LEFT JOIN account a ON a.id = t.assignee_id WHERE g.code = :group"
            ),
            {"group": group},
        )
        holders = {ticket_id: login for ticket_id, login in rows}
        entries = connection.scalars(
            sa.text(
                "SELECT object_id FROM audit_entry WHERE action = 'helpdesk:ticket:take' AND object_type = 'ticket'"
            )
        )
        audited = collections.Counter(int(object_id) for object_id in entries if int(object_id) in holders)
    engine.dispose()
    return holders, audited


# -- the report ------------------------------------------------------------------------


def percentile(latencies: list[float], rank: int) -> float:
    if len(latencies) < 2:
        return float("nan")
    return statistics.quantiles(latencies, n=100)[rank - 1] * 1000


def thousands(number: int) -> str:
    """``100000`` → ``100 000``, as the other reports write them."""
    return f"{number:,}".replace(",", " ")


def context(args: argparse.Namespace, tickets: int, fill_seconds: float, busy: list[str]) -> list[str]:
    describe = ["git", "describe", "--always", "--dirty"]
    commit = subprocess.run(describe, cwd=run.ROOT, capture_output=True, text=True).stdout.strip() or "unknown"
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return [
        f"- Date: {now}; commit {commit} (-dirty: with uncommitted changes)",
        f"- Machine: {run.platform.platform()}, {os.cpu_count()} cores, Python {run.platform.python_version()}",
        f"- Server: {run.server_description()}, "
        "cagou.environment = production, module helpdesk enabled, the demonstration loaded",
        f"- Database: PostgreSQL, {thousands(tickets)} tickets in `helpdesk_ticket` during the queue measures "
        f"({thousands(args.tickets)} inserted with COPY in {fill_seconds:.1f} s)",
        *busy,
    ]


def report(
    args: argparse.Namespace,
    queue: list[QueueLine],
    created: list[run.Measure],
    drains: list[Drain],
    lines: list[str],
) -> str:
    out = ["# Cagou benchmark: the helpdesk", "", *lines, ""]
    # 1. The queue
    out += [
        f"## The technicians' queue (`GET {QUEUE}`, signed in as `{TECHNICIAN_LOGIN}`)",
        "",
        f"Client processes sending requests back to back on one keep-alive connection each, {args.queue_duration:g} s "
        f"per line after {args.warmup:g} s of warm-up; 50 tickets a page. One client gives the page's own latency; "
        "several at once measure the server at full load (bench/processes.py compares one process with one per core).",
        "",
        "| Page | Clients | Application | Requests/s | Median (ms) | p95 (ms) | Bytes | Errors |",
        "|---|--:|---|--:|--:|--:|--:|--:|",
    ]
    for line in queue:
        m = line.measure
        out.append(f"| {line.page} | {line.clients} | {m.app} | {m.per_second:.0f} | {m.median_ms:.1f} | "
                   f"{m.p95_ms:.1f} | {m.body_bytes} | {m.errors} |")  # fmt: skip
    out.append("")
    for line in queue:
        if line.page == DEFAULT_PAGE and line.measure.app == CAGOU:
            verdict = "met" if line.measure.p95_ms < QUEUE_P95_TARGET_MS else "NOT MET"
            who = "one technician at a time" if line.clients == 1 else f"{line.clients} clients back to back"
            out.append(
                f"- Default queue page, {who}: p95 **{line.measure.p95_ms:.0f} ms** (target < 150 ms): {verdict}"
            )
    out.append("")
    # 2. Creation
    cagou_created = next(m for m in created if m.app == CAGOU)
    empty_post = next(m for m in created if m.app == EMPTY)
    bare_created = next(m for m in created if m.app == BASELINE)
    ratio = cagou_created.per_second / bare_created.per_second if bare_created.per_second else float("nan")
    floor = empty_post.per_second / bare_created.per_second if bare_created.per_second else float("nan")
    out += [
        f"## Opening tickets (`POST {FORM}`, {args.concurrency} agents)",
        "",
        f"Each client process is signed in as its own agent and posts the multipart form (CSRF token, no file) back "
        f"to back; {args.duration:g} s per application in {args.rounds} alternating slices. Cagou checks, stores the "
        "ticket, its audit entry, the acknowledgement mail in the outbox and its job; the baseline inserts the row. "
        f"*{EMPTY}* is the platform alone: a signed-in JSON POST with its CSRF header that stores nothing "
        f"(`{EMPTY_POST}`, bench/plugins/cagou_benchaudit), measured in the same alternation.",
        "",
        "| Application | Requests/s | Median (ms) | p95 (ms) | Ratio to baseline | Errors |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for m in (cagou_created, empty_post, bare_created):
        share = m.per_second / bare_created.per_second if bare_created.per_second else float("nan")
        out.append(f"| {m.app} | {m.per_second:.0f} | {m.median_ms:.1f} | {m.p95_ms:.1f} | {run.percent(share)} "
                   f"| {m.errors} |")  # fmt: skip
    verdict = "met" if ratio >= CREATE_TARGET else "NOT MET"
    out += ["", f"- Cagou opens **{run.percent(ratio)}** of the baseline's tickets per second (target ≥ 50 %): "
            f"{verdict}",
            f"- The platform alone (signed-in POST storing nothing) answers {run.percent(floor)} of the baseline's "
            "requests per second: the rest of the gap is the helpdesk's work on each ticket", ""]  # fmt: skip
    # 3. Take the next one
    out += [
        f"## Taking the next one ({args.technicians} technicians, {thousands(args.take_tickets)} tickets each side)",
        "",
        "Every technician presses the button back to back until the queue is empty (`POST "
        f"{NEXT}`, answered by a redirection to the ticket taken). Cagou first, then the baseline's single "
        "`UPDATE … (SELECT … FOR UPDATE SKIP LOCKED)` on its own queue.",
        "",
        "| Application | Taken | Taken twice | Lost | Wrong holder | Audited once | Seconds to empty | Takes/s "
        "| Median (ms) | p95 (ms) | Errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for d in drains:
        audited = f"{sum(1 for c in d.audited.values() if c == 1)}" if d.app == CAGOU else "—"
        rate = len(d.handed) / d.seconds if d.seconds else float("nan")
        out.append(
            f"| {d.app} | {len(d.handed)} | {d.twice} | {d.lost} | {d.wrong_holder} | {audited} | {d.seconds:.1f} "
            f"| {rate:.0f} | {percentile(d.latencies, 50):.1f} | {percentile(d.latencies, 95):.1f} | {d.errors} |"
        )
    for d in drains:
        verdict = "met" if d.exactly_once else "NOT MET"
        out.append(f"- {d.app}: every ticket taken exactly once, by the technician it was handed to: {verdict}")
    measures = [line.measure for line in queue] + created
    failures: list[run.Measure | Drain] = [m for m in measures if m.errors] + [d for d in drains if d.errors]
    if failures or not all(d.exactly_once for d in drains):
        out += ["", "## THIS RUN HAD ERRORS: its figures are not reliable", ""]
        for item in failures:
            out.append(f"- {item.app}: {item.errors} errors, e.g. {item.error_sample}")
        for d in drains:
            if not d.exactly_once:
                out.append(f"- {d.app}: {d.twice} taken twice, {d.lost} lost, {d.wrong_holder} with another holder")
    return "\n".join(out) + "\n"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The helpdesk's benchmark (see bench/README.md).")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of ticket creation per side (20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (3)")
    parser.add_argument("--concurrency", type=int, default=16, help="agents opening tickets (16)")
    parser.add_argument("--rounds", type=int, default=8, help="alternating slices of ticket creation (8)")
    parser.add_argument("--queue-duration", type=float, default=10.0, help="seconds per queue page (10)")
    parser.add_argument(
        "--queue-clients", type=int, default=4, help="client processes on the queue at full load, after one (4)"
    )
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets inserted before the queue (100000)")
    parser.add_argument("--technicians", type=int, default=20, help="technicians taking the next one (20)")
    parser.add_argument("--take-tickets", type=int, default=1000, help="tickets they take, per side (1000)")
    parser.add_argument("--postgresql-url", default=DEFAULT_URL, help="dropped and recreated by the run")
    arguments = parser.parse_args()
    if min(arguments.concurrency, arguments.rounds, arguments.queue_clients, arguments.technicians) < 1:
        parser.error("--concurrency, --rounds, --queue-clients and --technicians must be at least 1")
    return arguments


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_arguments()
    url = args.postgresql_url
    env = environment(url, secrets.token_urlsafe(48))
    busy_before = run.cpu_busy()
    print("Helpdesk: migrating, loading the demonstration, enabling the module…", flush=True)
    prepare(url, env)
    bench_people(env, args.concurrency, args.technicians, args.take_tickets)
    print(f"Inserting {thousands(args.tickets)} tickets…", flush=True)
    fill_seconds = fill(url, args.tickets) if args.tickets else 0.0
    tickets = ticket_count(url)
    create_load = run.Load(args.duration, args.warmup, args.concurrency, args.rounds)
    with run.server(["cagou"], env, VAR / "cagou-server.log") as cagou_port, bare_server(url, env) as bare_port:
        print("Queue page…", flush=True)
        technician = sign_in(cagou_port, TECHNICIAN_LOGIN, TECHNICIAN_PASSWORD, QUEUE)
        queue = queue_pages(cagou_port, bare_port, technician.cookie, args)
        print(f"Opening tickets ({args.concurrency} agents)…", flush=True)
        agents = [
            sign_in(cagou_port, f"banc.agent{n:02d}", BENCH_PASSWORD, FORM) for n in range(1, args.concurrency + 1)
        ]
        created = creation(cagou_port, bare_port, agents, create_load)
        print(f"Taking the next one ({args.technicians} technicians)…", flush=True)
        logins = [f"banc.tech{n:02d}" for n in range(1, args.technicians + 1)]
        ids = account_ids(url, logins)
        technicians = [
            Session(s.login, ids[s.login], s.cookie, s.token)
            for s in (sign_in(cagou_port, login, BENCH_PASSWORD, QUEUE) for login in logins)
        ]
        drains = [drain(CAGOU, cagou_port, url, technicians, TAKE_GROUP, args.take_tickets)]
        anonymous = [Session(s.login, s.account_id, "", "") for s in technicians]
        drains.append(drain(BASELINE, bare_port, url, anonymous, BASELINE_TAKE_GROUP, args.take_tickets))
    lines = context(args, tickets, fill_seconds, run.busy_lines(busy_before, run.cpu_busy()))
    text = report(args, queue, created, drains, lines)
    run.publish("helpdesk.md", text)
    failed = any(m.errors for m in [line.measure for line in queue] + created) or not all(
        d.exactly_once for d in drains
    )
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted.")
