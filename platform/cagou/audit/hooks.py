"""The core's audit hooks: the permission to read the log, the sealer's schedule, the commands.

Built-in features answer the same hooks as modules: the worker seals the
chain every minute through ``cagou_scheduled_jobs``, and ``cagou audit …``
arrives through ``cagou_cli_commands``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cagou.contributions import Permission, ScheduledJob
from cagou.hookspecs import hookimpl

if TYPE_CHECKING:
    import click
    from pyramid.registry import Registry


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [Permission("core:audit:view", "Consulter le journal d'audit")]


def seal_job(registry: Registry) -> None:
    """Chain the entries written since the last run (imported here: the web process never seals)."""
    from cagou.audit.sealer import seal

    seal(registry)


@hookimpl
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("core.audit.seal", "* * * * *", seal_job, "Sceller le journal d'audit")]


@hookimpl
def cagou_cli_commands(cli: click.Group) -> None:
    # Imported here: the web application never needs the command line.
    from cagou.audit.commands import audit

    cli.add_command(audit)
