"""What to answer the sending server: accepted, dropped, refused, or try again later."""

from __future__ import annotations

from dataclasses import dataclass

from cagou_helpdesk.models import (
    Ticket,
)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
DROPPED = "dropped"
REFUSED = "refused"
DEFERRED = "deferred"


@dataclass(frozen=True)
class Outcome:
    """What became of one message, and the SMTP answer (plain ASCII) that says it."""

    kind: str
    smtp_reply: str
    ticket_id: int | None = None
    #: For the log and the audit log, in French.
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.smtp_reply.startswith("250")


def accepted(ticket: Ticket, what: str) -> Outcome:
    return Outcome(ACCEPTED, f"250 2.0.0 Added to {ticket.reference}", ticket.id, what)


def duplicate(ticket_id: int) -> Outcome:
    return Outcome(DUPLICATE, "250 2.0.0 Already received", ticket_id, "courriel déjà reçu")


def dropped(detail: str) -> Outcome:
    return Outcome(DROPPED, "250 2.0.0 Automatic message discarded", None, detail)


def refused(reason: str, detail: str, code: str = "5.7.1") -> Outcome:
    return Outcome(REFUSED, f"550 {code} {reason}", None, detail)


def deferred(reason: str, detail: str, code: str = "4.3.0") -> Outcome:
    return Outcome(DEFERRED, f"451 {code} {reason}", None, detail)


DISABLED = deferred("Helpdesk is disabled, try again later", "module d'assistance désactivé sur l'intranet")
FAILED = deferred("Temporary failure, try again later", "erreur inattendue")


class Rollback(Exception):  # noqa: N818 (a way out of the transaction, not an error)
    """Leave the transaction without keeping anything, and answer ``outcome``; ``audited``: say it in the audit log."""

    def __init__(self, outcome: Outcome, audited: bool = False) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome
        self.audited = audited


def reject(outcome: Outcome) -> Rollback:
    """Keep nothing of a refused or dropped message but its entry in the audit log (see :func:`record_refusal`)."""
    return Rollback(outcome, audited=True)
