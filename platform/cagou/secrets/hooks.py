"""The core's ``cagou secrets`` commands, added through ``cagou_cli_commands`` as a module would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cagou.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def cagou_cli_commands(cli: click.Group) -> None:
    # Imported here: the web application never needs the command line.
    from cagou.secrets.commands import secrets_group

    cli.add_command(secrets_group)
