"""Mail to the helpdesk: an SMTP/LMTP listener that turns messages into tickets and replies.

(Being written: see the module's README section.)
"""

from __future__ import annotations

import click


@click.command("helpdesk-mail")
def mail_command() -> None:
    """Écouter le courrier adressé à l'assistance (SMTP) et le verser dans les tickets."""
    raise click.ClickException("Pas encore disponible.")
