"""The payment ("mise en paiement") of a signed act, its file for the paying accountant, and the file it returns.

Putting a signed act into payment takes the workflow's payment transition on
each of its applications still "acte signé". The payment file lists those in
payment: beneficiary, RIDET, bank details (the form's IBAN answer), amount,
the act's number and its budget imputation; reading it is a read of personal
data (audited). The accountant's return is a CSV file, one line per payment
(``numero;montant;statut;motif``, ``statut`` "payé" or "rejeté"), checked
whole before anything changes: a line the act does not hold in payment, an
amount that is not the act's, an unknown status or a line given twice
refuses the file with each problem named. A paid line takes the "payer"
transition (the applicant mailed), a rejected one the workflow's rejection,
whose mail asks the applicant to correct their bank details.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from zope.interface import implementer

from cagou.kit import FormErrors, IAuditLog, Invalid, Refused
from cagou_aids.answers import NUMBER_SPACES, applicant_name
from cagou_aids.definition import IBAN
from cagou_aids.interfaces import IPayments, IWorkflows
from cagou_aids.models import Application
from cagou_aids.models.acts import SIGNED, Act
from cagou_aids.services.acts import INSTRUCT, ActService, ridet_of, workflow_of
from cagou_aids.services.envelopes import cfp
from cagou_aids.workflow import Transition, Workflow

PAYMENT_HEADER = ["Bénéficiaire", "RIDET", "IBAN", "Montant (F CFP)", "Numéro de demande", "Arrêté",
                  "Imputation budgétaire"]  # fmt: skip
PAID, REJECTED = "payé", "rejeté"
STATUSES = {"paye": PAID, "payé": PAID, "rejete": REJECTED, "rejeté": REJECTED}
RETURN_COLUMNS = ("numero", "montant", "statut", "motif")
MAX_RETURN_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 10


@dataclass(frozen=True)
class PaymentSteps:
    """The workflow's transitions of payment: into payment, paid, and rejected by the accountant."""

    order: Transition
    paid: Transition
    rejected: Transition


def payment_steps(spec: Workflow, signed_state: str) -> PaymentSteps:
    """Read from the workflow: the one transition out of the signed state into payment, and the two out of it."""
    order = next((t for t in spec.leaving(signed_state) if not t.by_act and t.target not in (signed_state,)), None)
    leaving = spec.leaving(order.target) if order is not None else []
    paid = next((t for t in leaving if spec.by_code[t.target].final), None)
    rejected = next((t for t in leaving if t.target == signed_state), None)
    if order is None or paid is None or rejected is None:
        raise Refused("Le circuit de cette démarche ne prévoit pas la mise en paiement après la signature.", 409)
    return PaymentSteps(order, paid, rejected)


def iban_of(application: Application) -> str:
    names = (spec.name for spec in application.version.parsed.fields() if spec.type == IBAN)
    return next((str(application.answers[name]) for name in names if application.answers.get(name)), "")


@implementer(IPayments)
class PaymentService(ActService):
    def steps(self, act: Act) -> PaymentSteps:
        spec = workflow_of(act.procedure)
        signature = next(t for t in spec.transitions if t.step == "signature")
        return payment_steps(spec, signature.target)

    def lines_in(self, act: Act, state: str) -> list[Any]:
        return [line for line in act.lines if line.active and line.application.state == state]

    def order(self, act: Act) -> int:
        self.require(act.procedure, INSTRUCT, "La mise en paiement revient à un instructeur de la direction de "
                                              "cette démarche.")  # fmt: skip
        if act.state != SIGNED:
            raise Refused(f"L'arrêté n° {act.reference} n'est pas signé : il ne peut être mis en paiement.", 409)
        steps = self.steps(act)
        lines = self.lines_in(act, steps.order.sources[0])
        if not lines:
            raise Refused(f"Aucune demande de l'arrêté n° {act.reference} n'attend sa mise en paiement.", 409)
        workflows = self.request.find_service(IWorkflows)
        for line in lines:
            workflows.take(line.application, steps.order.code, {}, None)
        total = sum(line.amount for line in lines)
        self.request.find_service(IAuditLog).record(
            "aids:act:payment", f"Arrêté n° {act.reference} mis en paiement : {len(lines)} demande(s), {cfp(total)}.",
            module="aids", object_type="aids_act", object_id=str(act.id),
            changes={"after": {"lines": len(lines), "total": total}},
        )  # fmt: skip
        return len(lines)

    def payment_rows(self, act: Act) -> Iterator[list[Any]]:
        self.require(act.procedure, INSTRUCT, "Le fichier de paiement revient aux instructeurs de la démarche.")
        self.request.find_service(IAuditLog).record_read(
            "aids:act:payment_file", f"Fichier de paiement de l'arrêté n° {act.reference} lu.", "aids", "aids_act",
            str(act.id),
        )  # fmt: skip
        for line in self.lines_in(act, self.steps(act).order.target):
            application = line.application
            yield [applicant_name(application), ridet_of(application), iban_of(application), line.amount,
                   application.receipt, act.reference, act.imputation]  # fmt: skip

    def import_return(self, act: Act, data: bytes) -> tuple[int, int]:
        self.require(act.procedure, INSTRUCT, "Le retour du payeur revient à un instructeur de la démarche.")
        steps = self.steps(act)
        expected = {line.application.receipt: line for line in self.lines_in(act, steps.order.target)}
        rows, problems = read_return(data, expected, act)
        if problems:
            shown = " ; ".join(problems[:MAX_PROBLEMS]) + (" …" if len(problems) > MAX_PROBLEMS else "")
            raise Invalid(FormErrors(fichier=f"Fichier refusé, rien n'a changé : {shown}"))
        workflows = self.request.find_service(IWorkflows)
        paid = 0
        for receipt, status, reason in rows:
            transition = steps.paid if status == PAID else steps.rejected
            motivation = reason or "Coordonnées bancaires refusées par le payeur."
            workflows.take(expected[receipt].application, transition.code, {"motivation": motivation}, None)
            paid += status == PAID
        self.request.find_service(IAuditLog).record(
            "aids:act:payment_return", f"Retour du payeur sur l'arrêté n° {act.reference} : {paid} payée(s), "
            f"{len(rows) - paid} rejetée(s).", module="aids", object_type="aids_act", object_id=str(act.id),
            changes={"after": {"paid": paid, "rejected": len(rows) - paid}},
        )  # fmt: skip
        return paid, len(rows) - paid


def read_return(data: bytes, expected: dict[str, Any], act: Act) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The lines of the accountant's file (receipt, status, reason), and every problem found in it."""
    if len(data) > MAX_RETURN_BYTES:
        return [], [f"le fichier dépasse {MAX_RETURN_BYTES // (1024 * 1024)} Mo"]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=";" if text.count(";") >= text.count(",") else ",")
    header = [cell.strip().casefold() for cell in next(reader, [])]
    if tuple(header[:4]) != RETURN_COLUMNS[: len(header[:4])] or len(header) < 3:
        return [], [f"la première ligne doit nommer les colonnes {';'.join(RETURN_COLUMNS)}"]
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        receipt, amount, status, reason = [*(cell.strip() for cell in cells), "", "", "", ""][:4]
        line = expected.get(receipt)
        if line is None:
            problems.append(f"ligne {number} : la demande « {receipt[:40]} » n'est pas en paiement sur l'arrêté "
                            f"n° {act.reference}")  # fmt: skip
            continue
        if receipt in seen:
            problems.append(f"ligne {number} : la demande {receipt} figure deux fois")
        seen.add(receipt)
        compact = NUMBER_SPACES.sub("", amount)
        if not compact.isdigit() or int(compact) != line.amount:
            problems.append(f"ligne {number} : montant « {amount[:20]} » pour {receipt}, l'arrêté attribue "
                            f"{cfp(line.amount)}")  # fmt: skip
        if status.casefold() not in STATUSES:
            problems.append(f"ligne {number} : statut « {status[:20]} » inconnu (payé ou rejeté)")
            continue
        rows.append((receipt, STATUSES[status.casefold()], reason[:500]))
    if not rows and not problems:
        problems.append("le fichier ne contient aucune ligne")
    return rows, problems
