"""The listener: the aiosmtpd server (SMTP or LMTP) and the ``cagou helpdesk-mail`` command."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any

import click
from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from pyramid.registry import Registry

from cagou.kit import (
    Environment,
    fail,
    pass_env,
)
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.inbound.answers import FAILED, Outcome
from cagou_helpdesk.inbound.common import DATA_SIZE_LIMIT, log
from cagou_helpdesk.inbound.reading import parse
from cagou_helpdesk.inbound.receiving import module_enabled, receive


class HelpdeskHandler:
    """aiosmtpd handler: one message, whatever its recipients, goes to :func:`receive` once."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        raw = envelope.original_content or b""
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(
            None, self.deliver, envelope.mail_from or "", list(envelope.rcpt_tos), raw, peer
        )
        if isinstance(server, LMTP):
            # LMTP answers once per accepted recipient (RFC 2033); the message was handled once.
            return "\r\n".join([outcome.smtp_reply] * max(1, len(envelope.rcpt_tos)))
        return outcome.smtp_reply

    def deliver(self, envelope_from: str, recipients: list[str], raw: bytes, peer: str | None) -> Outcome:
        try:
            message = parse(raw)
        except Exception:
            log.exception("Unreadable mail from %s", envelope_from)
            return FAILED
        return receive(self.registry, envelope_from, message, recipients, peer, raw)


class Listener(Controller):
    """An aiosmtpd controller for the helpdesk, in a thread; port 0 picks a free port (read ``port`` after start)."""

    def __init__(self, registry: Registry, host: str, port: int, lmtp: bool = False, **kwargs: Any) -> None:
        self.lmtp = lmtp
        super().__init__(
            HelpdeskHandler(registry),
            hostname=host,
            port=port,
            ident="Cagou helpdesk",
            data_size_limit=DATA_SIZE_LIMIT,
            **kwargs,
        )

    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs) if self.lmtp else SMTP(self.handler, **self.SMTP_kwargs)

    def _run(self, ready_event: threading.Event) -> None:
        try:
            super()._run(ready_event)
        finally:
            # aiosmtpd leaves a failed bind (address in use) to its start timeout: say it at once.
            ready_event.set()

    def _trigger_server(self) -> None:
        if self._thread_exception is not None:
            raise self._thread_exception
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"« {value} » : écrivez HÔTE:PORT, par exemple 127.0.0.1:2525.")
    return host, int(port)


@click.command("helpdesk-mail")
@click.option(
    "--listen",
    metavar="HÔTE:PORT",
    default=None,
    help="Adresse d'écoute (par défaut le réglage helpdesk.mail_listen, 127.0.0.1:2525).",
)
@click.option("--lmtp", is_flag=True, help="Parler LMTP (remise par Postfix) au lieu de SMTP.")
@pass_env
def mail_command(env: Environment, listen: str | None, lmtp: bool) -> None:
    """Écouter le courrier adressé à l'assistance (SMTP) et le verser dans les tickets."""
    registry = env.registry
    settings = helpdesk_settings.get(registry)
    try:
        host, port = parse_listen(listen) if listen else (settings.mail_host, settings.mail_port)
    except ValueError as error:
        fail(f"Option --listen invalide : {error}")
    listener = Listener(registry, host, port, lmtp=lmtp)
    try:
        listener.start()
    except OSError as error:
        fail(f"Impossible d'écouter sur {host}:{port} : {error.strerror or error}.")
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)}
    protocol = "LMTP" if lmtp else "SMTP"
    click.echo(f"Courrier de l'assistance : écoute {protocol} sur {host}:{listener.port} (Ctrl-C pour arrêter).")
    if not module_enabled(registry):
        click.echo(
            "Le module d'assistance est désactivé sur l'intranet : le courrier est différé (451) "
            "jusqu'à sa réactivation.",
            err=True,
        )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        listener.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo("Écoute arrêtée.")
