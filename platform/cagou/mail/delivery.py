"""Where mail goes: a local folder in development, an SMTP server in production."""

from __future__ import annotations

import email
import mailbox
import re
import smtplib
from email.message import EmailMessage, Message
from email.policy import default
from pathlib import Path
from typing import Any, Protocol


class Delivery(Protocol):
    def deliver(self, message: Message) -> None: ...


class FolderDelivery:
    """Drop each message in a Maildir folder that the IT console can browse."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.folder: mailbox.Maildir | None = None

    def deliver(self, message: Message) -> None:
        # Opened at the first mail, not at start-up (commands that send nothing create no folder), then
        # kept: every module's notifications come here, and opening it checks three folders each time.
        if self.folder is None or not self.directory.exists():
            # Maildir creates its cur/new/tmp folders only when the folder itself is new.
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            self.folder = mailbox.Maildir(self.directory, create=True)
        self.folder.add(message)


class SmtpDelivery:
    """Hand each message to an SMTP server (STARTTLS and login when configured)."""

    def __init__(self, host: str, port: int, user: str = "", password: str = "", starttls: bool = False) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls

    def deliver(self, message: Message) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


#: The name Python's Maildir gives a delivered file: seconds, microseconds, process, counter.
_ARRIVAL = re.compile(r"^(\d+)\.M(\d+)P(\d+)Q(\d+)\.")


def in_arrival_order(folder: Path) -> list[tuple[str, EmailMessage]]:
    """The folder's messages with their keys, oldest delivery first.

    The Date header only has seconds, so two mails of the same second would
    come in any order; the file name Maildir gave at delivery breaks the tie.
    """

    def arrival(item: tuple[str, EmailMessage]) -> tuple[float, int]:
        key, message = item
        found = _ARRIVAL.match(key)
        if found is None:  # a file some other program dropped there
            return (message["Date"].datetime.timestamp() if message["Date"] else 0.0, 0)
        seconds, micro, _process, counter = (int(part) for part in found.groups())
        return (seconds + micro / 1_000_000, counter)

    return sorted(read_folder(folder).iteritems(), key=arrival)


def _parse(file: Any) -> EmailMessage:
    message: EmailMessage = email.message_from_binary_file(file, policy=default)
    return message


def read_folder(folder: Path) -> Any:
    """The development mail folder as a Maildir whose messages have decoded headers."""
    # The stub wants a MaildirMessage factory; any parsed message works.
    return mailbox.Maildir(folder, factory=_parse, create=False)  # type: ignore[arg-type]


def make_delivery(settings: dict[str, Any]) -> Delivery:
    if settings["cagou.mail.delivery"] == "smtp":
        return SmtpDelivery(
            settings["cagou.mail.smtp_host"],
            settings["cagou.mail.smtp_port"],
            settings["cagou.mail.smtp_user"],
            settings["cagou.mail.smtp_password"],
            settings["cagou.mail.smtp_starttls"],
        )
    return FolderDelivery(settings["cagou.mail.folder"])
