"""The aids module's mails to applicants: their text, in French, with the answers they sent."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from cagou_aids.answers import shown
from cagou_aids.definition import REPEAT, Definition
from cagou_aids.models import Application, Procedure, StoredFile


def confirmation(
    procedure: Procedure, application: Application, definition: Definition, at: datetime.datetime,
    files: Sequence[StoredFile] = (),
) -> str:  # fmt: skip
    """The acknowledgement of a submission: its number, when, and every answer as the applicant gave it."""
    lines = [
        "Bonjour,",
        "",
        f"Votre demande « {procedure.title} » est enregistrée sous le numéro {application.receipt},",
        f"le {at:%d/%m/%Y à %H:%M} (heure de Nouméa). Gardez ce numéro : il vous sera demandé pour tout échange.",
        "",
    ]
    if application.duplicate_of is not None:
        lines += ["", duplicate_notice(application.duplicate_of, at.tzinfo)]
    lines += [
        "",
        "Vos réponses :",
    ]
    for page in definition.pages:
        answered = [spec for spec in page.fields if spec.has_answer and spec.name in application.answers]
        if not answered:
            continue
        lines += ["", page.title]
        for spec in answered:
            answer = application.answers[spec.name]
            if spec.type == REPEAT:
                for number, entry in enumerate(answer or [], start=1):
                    values = " ; ".join(
                        f"{inner.label} : {shown(inner, entry.get(inner.name))}" for inner in spec.fields
                    )
                    lines.append(f"- {spec.label} {number} : {values}")
            else:
                lines.append(f"- {spec.label} : {shown(spec, answer) or '(sans réponse)'}")
    if files:
        lines += [
            "",
            "Les fichiers envoyés (et leur empreinte SHA-256, qui permet de vérifier qu'ils n'ont pas changé) :",
        ]
        lines += [f"- {stored.filename} : {stored.sha256}" for stored in files]
    contact = f" à {procedure.contact_email}" if procedure.contact_email else ""
    lines += ["", "Le récépissé de dépôt (PDF) est joint à ce courriel ; il se télécharge aussi depuis le suivi de "
              "votre demande."]  # fmt: skip
    lines += ["", f"Pour toute question, écrivez{contact} en rappelant votre numéro.", "", "La province Sud"]
    return "\n".join(lines)


def duplicate_notice(first: Application, zone: datetime.tzinfo | None) -> str:
    """What an applicant is told when they had applied already: the new application is kept, and linked."""
    when = first.submitted_at.astimezone(zone)
    return (
        f"Vous avez déjà déposé une demande sur cette démarche le {when:%d/%m/%Y}, numéro {first.receipt} : "
        "la nouvelle est enregistrée et signalée au service instructeur, qui les examinera ensemble."
    )
