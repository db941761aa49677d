"""Background work: jobs handed to a worker, and jobs that run on a schedule.

The queue is huey's: SQLite in a file of its own for the embedded setup,
PostgreSQL (the platform's database, tables ``huey_*``) or Redis in
production, chosen by ``cagou.jobs.url`` (by default, the same kind of store
as the database). ``cagou worker`` runs the consumer; ``make run`` starts it
with the web server.

- A job is a named function, registered with the ``config.add_job``
  directive. ``request.find_service(IJobQueue).enqueue(name, **arguments)``
  hands it to the worker once the request's transaction commits: a request
  that fails leaves no job behind. A failing job is retried with a delay.
  When the queue lives in the platform's PostgreSQL database (the default
  there), the job's row is written in the request's own transaction, so a
  committed request cannot lose its job either.
- A scheduled job is declared through the ``cagou_scheduled_jobs`` hook with a
  cron expression. Every minute each worker looks at what is due; each slot is
  claimed by inserting a ``scheduled_run`` row, whose primary key lets one
  worker only run it, whatever the number of workers.
- A job whose module is disabled does not run: a queued one is postponed
  until the module is back, a scheduled slot is skipped.
"""

from __future__ import annotations

from pyramid.config import Configurator

from cagou.interfaces import IJobQueue
from cagou.jobs.services import (
    add_job,
    build_huey,
    enqueue_statement,
    get_huey,
    job_queue_factory,
    register_tasks,
    shares_the_database,
)


def includeme(config: Configurator) -> None:
    registry = config.registry
    registry["cagou.jobs"] = {}
    registry["cagou.huey"] = build_huey(registry.settings)
    in_transaction = shares_the_database(registry)
    registry["cagou.jobs.enqueue_statement"] = enqueue_statement(get_huey(registry).storage) if in_transaction else None
    register_tasks(registry)
    config.add_directive("add_job", add_job)
    config.register_service_factory(job_queue_factory, IJobQueue)
