"""What a test does with the platform: sign in, read a form's token, run its jobs, read its mail, serve it."""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pyotp
import webtest
from pyramid.config import Configurator
from pyramid.registry import Registry

from cagou.clock import FrozenClock
from cagou.contributions import INTRANET
from cagou.db import transaction_scope
from cagou.identity.models import SecondFactor
from cagou.identity.second_factor import clear_secret
from cagou.interfaces import IAccounts, IClock
from cagou.jobs.services import get_huey
from cagou.mail.delivery import in_arrival_order
from cagou.plugins import get_plugins

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def site_prefix(site: str) -> str:
    return "/intranet" if site == INTRANET else ""


def login(app: webtest.TestApp, login_name: str, password: str, site: str = INTRANET) -> webtest.TestResponse:
    """Sign in through the real login form; return the page it leads to."""
    page = app.get(f"{site_prefix(site)}/connexion")
    form = page.forms[0]
    form["login"] = login_name
    form["password"] = password
    response = form.submit()
    if response.status_int == 303 and "/second-facteur" in response.location:
        response = give_second_factor(app, login_name, response.follow())
    return response.maybe_follow()


def totp_code(registry: Registry, login_name: str, steps_ahead: int = 0) -> str:
    """The code the person's authenticator shows now (by the platform's clock), or a step later."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        factor = request.db.get_one(SecondFactor, account.id)
        totp = pyotp.TOTP(clear_secret(request, factor))
        code: str = totp.generate_otp(totp.timecode(request.find_service(IClock).now()) + steps_ahead)
    return code


def give_second_factor(app: webtest.TestApp, login_name: str, page: webtest.TestResponse) -> webtest.TestResponse:
    """Fill the second-factor page as the person's phone would; enrol first if needed.

    A code is accepted once: when the current step's code already served
    (two sign-ins within 30 seconds), the next step's code is still valid.
    """
    registry = app.app.registry
    for steps_ahead in (0, 1):
        form = page.forms["formulaire-second-facteur"]
        form["code"] = totp_code(registry, login_name, steps_ahead)
        page = form.submit(expect_errors=True)
        if page.status_int != 401:
            break
    if page.status_int == 200 and "Codes de secours" in page.text:  # just enrolled: continue
        page = app.get(page.html.find("a", class_="button")["href"])
    return page


def csrf_token(page: webtest.TestResponse) -> str:
    """The CSRF token a page carries (for posting without its form)."""
    found = CSRF_FIELD.search(page.text)
    if found is None:
        raise AssertionError("The page carries no CSRF token")
    return found.group(1)


def write_ini(path: Path, settings: dict[str, Any], **overrides: str) -> Path:
    """A PasteDeploy file like development.ini, for the command line or another process.

    ``listen="127.0.0.1:PORT"`` adds a waitress server section; other keyword
    arguments override ``cagou.`` settings (``modules_refresh_seconds="1"``).
    """
    listen = overrides.pop("listen", None)
    values = {key: value for key, value in settings.items() if key.startswith("cagou.")}
    values.update({"cagou." + key.replace("_", ".", 1): value for key, value in overrides.items()})
    lines = ["[app:main]", "use = egg:cagou", *(f"{key} = {value}" for key, value in values.items())]
    if listen:
        lines += ["", "[server:main]", "use = egg:waitress#main", f"listen = {listen}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(ini: Path, environ: dict[str, str] | None = None) -> Iterator[str]:
    """The platform of ``ini`` (written with ``listen=``) served by its own process (pserve); its address.

    The process is stopped (SIGTERM to its group) when the block ends.
    """
    listen = re.search(r"^listen = (\S+)$", ini.read_text(), re.MULTILINE)
    if listen is None:
        raise ValueError(f"{ini} has no server section: write it with write_ini(..., listen=...)")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pserve"), str(ini)],
        env={**os.environ, **(environ or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://{listen.group(1)}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/sante", timeout=5):  # noqa: S310  (loopback)
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the platform of {ini} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a server a test started (slapd, clamd): terminated, killed when it is still there 10 s later."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def freeze_clock(registry: Registry, instant: datetime.datetime) -> FrozenClock:
    """Stop the platform's clock at ``instant``: every service that asks the time is told that one."""
    frozen = FrozenClock(instant)
    config = Configurator(registry=registry)
    config.register_service(frozen, IClock)
    config.commit()
    return frozen


def replace_hook(registry: Registry, hook_name: str, module: str, function: Any, monkeypatch: Any) -> None:
    """Make ``module``'s implementation of ``hook_name`` be ``function`` for one test."""
    hook = getattr(get_plugins(registry).manager.hook, hook_name)
    impl = next(impl for impl in hook.get_hookimpls() if impl.plugin_name == module)
    monkeypatch.setattr(impl, "function", function)


def delivered_mail(registry: Registry) -> list[EmailMessage]:
    """Run the queued jobs, then read every message dropped in the development mail folder, oldest first."""
    run_jobs(registry)
    folder = Path(registry.settings["cagou.mail.folder"])
    if not folder.exists():
        return []
    return [message for _key, message in in_arrival_order(folder)]


def run_jobs(registry: Registry) -> int:
    """Run every job due in the queue, as the worker would; return how many ran.

    A task whose time has not come (a retry, a postponed job) goes to huey's
    schedule, exactly as the consumer does with it.
    """
    huey = get_huey(registry)
    count = 0
    # Counted first: on PostgreSQL, huey's dequeue waits up to a second for a job when the queue is empty.
    while huey.pending_count() and (task := huey.dequeue()) is not None:
        if huey.ready_to_run(task):
            huey.execute(task)
            count += 1
        else:
            huey.add_schedule(task)
    return count
