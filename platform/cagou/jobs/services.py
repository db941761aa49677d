"""The job queue service, the huey tasks behind it, and the scheduler."""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from huey import PostgresHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey, Task, TaskWrapper
from huey.storage import PostgresStorage
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from cagou.clock import local
from cagou.contributions import ScheduledJob
from cagou.db import transaction_scope
from cagou.interfaces import IClock, IJobQueue, IModuleStates
from cagou.jobs.models import ScheduledRun
from cagou.plugins import CORE, get_plugins

log = logging.getLogger(__name__)

#: A failing job is tried again this many times, this many seconds apart.
RETRIES = 5
RETRY_DELAY_SECONDS = 60
#: A queued job of a disabled module waits this long before asking again.
POSTPONE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Job:
    """A job the worker can run: ``run(registry, **arguments)``."""

    name: str
    run: Callable[..., None]
    module: str


def get_jobs(registry: Registry) -> dict[str, Job]:
    jobs: dict[str, Job] = registry["cagou.jobs"]
    return jobs


def get_huey(registry: Registry) -> Huey:
    huey: Huey = registry["cagou.huey"]
    return huey


def add_job(config: Configurator, name: str, run: Callable[..., None] | str) -> None:
    """Directive ``config.add_job(name, run)``: a job owned by the calling module."""
    owner = get_plugins(config.registry).module_of_package(config.package.__name__)
    module = owner.name if owner is not None else CORE
    jobs = get_jobs(config.registry)

    def register() -> None:
        jobs[name] = Job(name=name, run=config.maybe_dotted(run), module=module)

    config.action(("cagou.job", name), register)


# -- the queue -----------------------------------------------------------------


def jobs_url(settings: dict[str, Any]) -> str:
    """``cagou.jobs.url``, or by default a store of the same kind as the database."""
    explicit = str(settings.get("cagou.jobs.url") or "")
    if explicit:
        return explicit
    database = str(settings["cagou.database_url"])
    if database.startswith("postgresql"):
        return database
    return f"sqlite:///{settings['cagou.var']}/jobs.sqlite"


def build_huey(settings: dict[str, Any]) -> Huey:
    url = jobs_url(settings)
    if url.startswith("redis"):
        return RedisHuey("cagou", url=url, results=False)
    if url.startswith("postgresql"):
        dsn = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            return PostgresHuey("cagou", dsn=dsn, results=False)
        except psycopg.errors.InsufficientPrivilege:
            # The application's role may not create tables (docs/deployment.md, the three roles):
            # the owner's `cagou db upgrade` made them, `cagou db grant` let this role use them.
            return PostgresHuey("cagou", dsn=dsn, results=False, create_tables=False)
        except psycopg.OperationalError:
            # The database is unreachable (restarting): a process started now answers 503 until it
            # returns, rather than failing to start. Its tables are there since the first start.
            log.warning("The job queue's tables could not be checked: the database is unreachable")
            return PostgresHuey("cagou", dsn=dsn, results=False, create_tables=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("cagou", filename=str(path), results=False)
    raise ConfigurationError(
        f"cagou.jobs.url : adresse non reconnue « {url} » (sqlite:///, postgresql:// ou redis://)."
    )


def register_tasks(registry: Registry) -> None:
    """Give huey the two tasks everything goes through."""
    huey = get_huey(registry)

    @huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, name="cagou.run_job")
    def run_job(name: str, arguments: dict[str, Any]) -> None:
        run_queued_job(registry, name, arguments)

    @huey.periodic_task(crontab(), name="cagou.scheduler")
    def scheduler() -> None:
        run_due_jobs(registry)

    registry["cagou.run_job_task"] = run_job


def _run_job_task(registry: Registry) -> TaskWrapper:
    task: TaskWrapper = registry["cagou.run_job_task"]
    return task


def run_queued_job(registry: Registry, name: str, arguments: dict[str, Any]) -> None:
    job = get_jobs(registry).get(name)
    if job is None:
        log.error("Job %s is not registered; dropped", name)
        return
    if job.module not in registry.getUtility(IModuleStates).active():
        log.info("Job %s postponed: module %s is disabled", name, job.module)
        _run_job_task(registry).schedule(args=(name, arguments), delay=POSTPONE_SECONDS)
        return
    job.run(registry, **arguments)


def shares_the_database(registry: Registry) -> bool:
    """True when huey keeps its queue in the platform's PostgreSQL database."""
    settings = registry.settings
    return isinstance(get_huey(registry).storage, PostgresStorage) and jobs_url(settings) == str(
        settings["cagou.database_url"]
    )


def enqueue_statement(storage: PostgresStorage) -> sa.Select[Any]:
    """One statement that writes a row of huey's queue table and wakes its consumers.

    What ``PostgresStorage.enqueue`` does in its own transaction, written for
    the request's: PostgreSQL holds the NOTIFY back until the commit.
    """
    table = sa.table(
        storage.table_task,
        sa.column("id", sa.BigInteger),
        sa.column("queue", sa.Text),
        sa.column("data", sa.LargeBinary),
        sa.column("priority", sa.Float),
    )
    values: dict[str, Any] = {name: sa.bindparam(name) for name in ("queue", "data", "priority")}
    queued = sa.insert(table).values(values).returning(table.c.id).cte("queued")
    return sa.select(sa.func.pg_notify(storage.channel, "")).select_from(queued)


@implementer(IJobQueue)
class HueyJobQueue:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.jobs = get_jobs(request.registry)

    def enqueue(self, name: str, **arguments: Any) -> None:
        if name not in self.jobs:
            raise KeyError(f"Unknown job {name!r}")
        task = _run_job_task(self.request.registry).s(name, arguments)
        statement: sa.Select[Any] | None = self.request.registry["cagou.jobs.enqueue_statement"]
        if statement is not None:
            self.enqueue_in_transaction(statement, task)
        else:
            self.enqueue_after_commit(task)

    def enqueue_in_transaction(self, statement: sa.Select[Any], task: Task) -> None:
        """Huey's row, written with the request's own connection: it exists if and only if the request commits.

        Neither a second transaction nor huey's shared connection, which a
        lock serialises between threads, is needed.
        """
        huey = get_huey(self.request.registry)
        row = {"queue": huey.storage.name, "data": huey.serialize_task(task), "priority": task.priority or 0.0}
        self.request.db.connection().execute(statement, row)
        mark_changed(self.request.db)

    def enqueue_after_commit(self, task: Task) -> None:
        """Hand the task to huey's own store once the request commits (SQLite file, Redis)."""
        huey = get_huey(self.request.registry)

        def send(committed: bool) -> None:
            if committed:
                huey.enqueue(task)

        self.request.tm.get().addAfterCommitHook(send)


def job_queue_factory(context: Any, request: Request) -> HueyJobQueue:
    return HueyJobQueue(request)


# -- the scheduler -------------------------------------------------------------


def cron_matcher(expression: str) -> Callable[[datetime.datetime], bool]:
    """A test for a five-field cron expression; raises ValueError when malformed."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"Expression cron à cinq champs attendue : « {expression} ».")
    minute, hour, day, month, day_of_week = fields
    matcher: Callable[[datetime.datetime], bool] = crontab(minute, hour, day, month, day_of_week, strict=True)
    return matcher


def scheduled_jobs(registry: Registry) -> list[tuple[str, ScheduledJob]]:
    """Every module's scheduled jobs, with the module that declared each."""
    answers = get_plugins(registry).call_each("cagou_scheduled_jobs", None)
    return [(module, job) for module, jobs in answers for job in jobs]


def run_due_jobs(registry: Registry, now: datetime.datetime | None = None) -> list[str]:
    """Run the scheduled jobs due in the current minute; return those this worker ran."""
    if now is None:
        with transaction_scope(registry) as request:
            now = request.find_service(IClock).now()
    slot = local(registry, now).replace(second=0, microsecond=0)
    active = registry.getUtility(IModuleStates).active()
    ran = []
    for module, job in scheduled_jobs(registry):
        try:
            due = cron_matcher(job.schedule)(slot)
        except ValueError as error:
            get_plugins(registry).record_fault(module, f"{job.name} : {error}")
            continue
        if due and module in active and claim_slot(registry, job.name, slot):
            run_claimed(registry, job, slot)
            ran.append(job.name)
    return ran


def claim_slot(registry: Registry, job_name: str, slot: datetime.datetime) -> bool:
    """Insert the slot's row; the primary key lets a single worker succeed."""
    try:
        with transaction_scope(registry) as request:
            started = request.find_service(IClock).now()
            request.db.add(ScheduledRun(job=job_name, slot=slot, started_at=started))
            request.db.flush()
    except sa.exc.IntegrityError:
        return False
    return True


def run_claimed(registry: Registry, job: ScheduledJob, slot: datetime.datetime) -> None:
    error = None
    try:
        job.run(registry)
    except Exception:
        log.exception("Scheduled job %s failed", job.name)
        error = traceback.format_exc(limit=5)
    with transaction_scope(registry) as request:
        run = request.db.get(ScheduledRun, (job.name, slot))
        if run is not None:
            run.finished_at = request.find_service(IClock).now()
            run.error = error
