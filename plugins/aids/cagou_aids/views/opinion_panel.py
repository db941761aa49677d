"""The opinions' part of an application's page on the intranet: those the agent reads, and the form to ask one.

Kept apart from :mod:`cagou_aids.views.opinions` (which uses the instruction
views) so that :mod:`cagou_aids.views.instruction` adds it to its page in one
call.
"""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.request import Request
from wtforms import SelectMultipleField

from cagou.kit import Form as KitForm
from cagou.kit import FormErrors, IClock, TextField, local
from cagou_aids.models import Application
from cagou_aids.models.opinions import CONFIDENTIAL, VISIBILITIES
from cagou_aids.opinion_rules import answering_directorates, may_ask, opinions_of
from cagou_aids.queries import files_sent
from cagou_aids.services.opinions import TO_DIRECTORATE

#: The opinion form's fields: a refusal of one of them shows the form again with what was typed.
ASK_FIELDS = ("question", "destinataire", "direction", "courriel", "visibilite", "echeance", "fichiers")
#: The deadline the form proposes.
DEFAULT_DAYS = 15


class AskForm(KitForm):
    question = TextField()
    destinataire = TextField()
    direction = TextField()
    courriel = TextField()
    visibilite = TextField()
    echeance = TextField()
    fichiers = SelectMultipleField(validate_choice=False)


def local_day(request: Request, instant: datetime.datetime) -> str:
    return local(request.registry, instant).strftime("%d/%m/%Y")


def opinion_panel(request: Request, application: Application, errors: FormErrors) -> dict[str, Any]:
    """What the application's page shows of its opinions: those the agent reads, and the form to ask one."""
    procedure = application.version.procedure
    refused = any(name in errors for name in ASK_FIELDS)
    typed = AskForm(request.POST if refused else None)
    today = local(request.registry, request.find_service(IClock).now()).date()
    if not refused:
        typed.destinataire.data, typed.visibilite.data = TO_DIRECTORATE, CONFIDENTIAL
        typed.echeance.data = (today + datetime.timedelta(days=DEFAULT_DAYS)).strftime("%d/%m/%Y")
    directorates = [d for d in answering_directorates(request) if d.id != procedure.directorate_id]
    return {
        "opinions": opinions_of(request, application), "may_ask": may_ask(request, procedure),
        "directorates": directorates, "files": files_sent(request.db, application), "form": typed,
        "visibilities": VISIBILITIES, "day": lambda instant: local_day(request, instant), "open": refused,
        "attachment_url": lambda opinion, stored: request.route_path(
            "aids.opinion_attachment", id=procedure.id, receipt=application.receipt, opinion=opinion.id, file=stored.id
        ),
    }  # fmt: skip
