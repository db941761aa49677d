"""The intranet's pages for private annotations, eligibility rules and the triage.

- ``/intranet/demarches/<id>/annotations`` (``aids:procedure:design``): the procedure's annotations, its
  eligibility rules and its triage's weights, each form saved on its own, every refusal next to its field;
- the application page's section "Annotations privées" posts to ``…/demandes/<numéro>/annotations``
  (``aids:application:instruct``);
- ``…/tri.csv`` and ``…/tri.xlsx`` (``aids:application:read``): the people to contact, by priority score,
  audited as a read of personal data (``aids:application:export``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from cagou.kit import (
    INTRANET,
    FormErrors,
    IAuditLog,
    Invalid,
    Refused,
    csv_response,
    uploads_of,
    xlsx_file,
    xlsx_response,
)  # fmt: skip
from cagou_aids.annotations import FILE, KINDS, annotations_data, annotations_from_rows
from cagou_aids.answers import shown
from cagou_aids.definition import Definition
from cagou_aids.eligibility import DEFAULT_FIELDS as ELIGIBILITY_FIELDS
from cagou_aids.eligibility import NUMBER_LABELS
from cagou_aids.interfaces import IAnnotations
from cagou_aids.models import PUBLISHED, Application, Procedure
from cagou_aids.services.annotations import number_fields, rules_for, specs_for
from cagou_aids.states import state_labels
from cagou_aids.triage import AGE_NUMBERS, WEIGHT_NUMBERS, criteria_options, ranked, weights_of
from cagou_aids.triage import DEFAULT_FIELDS as TRIAGE_FIELDS
from cagou_aids.views import refuse
from cagou_aids.views.annotation_panel import INSTRUCT, PREFIX
from cagou_aids.views.instruction import (
    APPLICATION_PAGE,
    DESIGN,
    READ,
    ProcedureContext,
    instructor_action,
    procedure_context,
)  # fmt: skip

PAGE = "cagou_aids:templates/annotations_design.jinja2"
EMPTY_ROWS = 2


def includeme(config: Configurator) -> None:
    procedure = {"factory": procedure_context}
    base = r"/demarches/{id:\d+}"
    config.add_site_route(INTRANET, "aids.annotations_design", base + "/annotations", **procedure)
    config.add_site_route(INTRANET, "aids.application_annotations", base + "/demandes/{receipt}/annotations",
                          **procedure)  # fmt: skip
    config.add_site_route(INTRANET, "aids.triage_csv", base + "/tri.csv", **procedure)
    config.add_site_route(INTRANET, "aids.triage_xlsx", base + "/tri.xlsx", **procedure)


def row_count(request: Request) -> int:
    """How many annotation rows the designer's form sent (its hidden ``lignes``)."""
    lines = request.POST.get("lignes", "")
    return min(int(lines), 100) if lines.isdigit() else 0


def shown_settings(posted: Any, refused: bool, stored: dict[str, Any], default: dict[str, str]) -> dict[str, Any]:
    """What a settings form shows: what was typed when refused, else what is stored, else the shipped names."""
    return dict(posted) if refused else (stored or dict(default))


def design_values(request: Request, procedure: Procedure, errors: FormErrors, part: str) -> dict[str, Any]:
    """The page's three forms, with what was typed in the one refused (``part``)."""
    rules = rules_for(request.db, procedure)
    definition = procedure.latest.parsed
    posted = request.POST if errors else {}
    if part == "annotations" and errors:
        rows = annotations_from_rows(posted, row_count(request))
    else:
        rows = annotations_data(specs_for(request.db, procedure))
    rows = [{**row, "options": "\n".join(row["options"])} for row in rows]
    rows += [{"code": "", "label": "", "help": "", "kind": "", "options": ""}] * EMPTY_ROWS
    eligibility = shown_settings(posted, part == "eligibilite", rules.eligibility if rules else {}, ELIGIBILITY_FIELDS)
    triage = shown_settings(posted, part == "tri", rules.triage if rules else {}, TRIAGE_FIELDS)
    options = criteria_options(definition, str(triage.get("criteria_field", "")))
    criteria: dict[str, Any] = triage.get("criteria", {}) if isinstance(triage.get("criteria"), dict) else {}
    return {
        "procedure": procedure, "rows": rows, "kinds": KINDS, "errors": errors, "part": part,
        "eligibility": eligibility, "number_labels": NUMBER_LABELS, "number_fields": number_fields(procedure),
        "triage": triage, "weight_labels": WEIGHT_NUMBERS, "age_labels": AGE_NUMBERS,
        "criteria": [(n, option, triage.get(f"critere-{n}", criteria.get(option, 0)))
                     for n, option in enumerate(options, start=1)],
    }  # fmt: skip


@view_config(route_name="aids.annotations_design", request_method="GET", renderer=PAGE, permission=DESIGN)
def design_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    return design_values(request, context.procedure, FormErrors(), "")


def posted_triage(request: Request, definition: Definition) -> dict[str, Any]:
    post = request.POST
    data: dict[str, Any] = {key: post.get(key, "") for key in (*TRIAGE_FIELDS, *WEIGHT_NUMBERS, *AGE_NUMBERS)}
    options = criteria_options(definition, data["criteria_field"])
    data["criteria"] = {option: post.get(f"critere-{n}", "0") for n, option in enumerate(options, start=1)}
    return data


@view_config(route_name="aids.annotations_design", request_method="POST", renderer=PAGE, permission=DESIGN)
def design_post(context: ProcedureContext, request: Request) -> Any:
    procedure, post = context.procedure, request.POST
    service = request.find_service(IAnnotations)
    part = post.get("partie", "")
    try:
        if part == "annotations":
            service.define(procedure, annotations_from_rows(post, row_count(request)))
            done = "Annotations privées enregistrées."
        elif part == "eligibilite":
            keys = (*ELIGIBILITY_FIELDS, *NUMBER_LABELS)
            service.set_eligibility(procedure, {key: post.get(key, "") for key in keys})
            done = "Règles d'éligibilité enregistrées."
        elif part == "tri":
            service.set_triage(procedure, posted_triage(request, procedure.latest.parsed))
            done = "Poids du tri enregistrés."
        else:
            raise Refused("Formulaire inconnu.", 400)
    except Invalid as invalid:
        refuse(request, 400)
        return design_values(request, procedure, invalid.errors, part)
    except Refused as refused:
        refuse(request, refused.status)
        return design_values(request, procedure, FormErrors(form=refused.message), part)
    request.session.flash(done)
    return HTTPSeeOther(request.route_path("aids.annotations_design", id=procedure.id))


@view_config(
    route_name="aids.application_annotations", request_method="POST", renderer=APPLICATION_PAGE, permission=INSTRUCT
)  # fmt: skip
def application_annotations(context: ProcedureContext, request: Request) -> Any:
    specs = specs_for(request.db, context.procedure)
    inputs = {spec.code: request.POST.get(PREFIX + spec.code, "") for spec in specs if spec.kind != FILE}
    uploads = {spec.code: found[0] for spec in specs if spec.kind == FILE
               if (found := uploads_of(request, PREFIX + spec.code))}  # fmt: skip

    def act(application: Application) -> None:
        try:
            request.find_service(IAnnotations).set_values(application, inputs, uploads, request.identity)
        except Invalid as invalid:  # the section's inputs carry the prefix: errors are said next to them
            raise Invalid(FormErrors({PREFIX + key: message for key, message in invalid.errors.items()})) from None

    return instructor_action(context, request, act, "Annotations privées enregistrées.", "annotations")


#: The census's contact fields, in the export's order, when the form has them.
CONTACT_FIELDS = ("nom", "prenoms", "telephone", "courriel", "pays", "ville", "commune", "criteres", "situation")


def people_rows(request: Request, procedure: Procedure) -> tuple[list[str], Iterator[list[Any]]]:
    definition = procedure.latest.parsed
    specs = {spec.name: spec for spec in definition.fields()}
    columns = [specs[name] for name in CONTACT_FIELDS if name in specs]
    rules = rules_for(request.db, procedure)
    weights = rules.triage if rules else {}
    household = str(weights.get("household_field", TRIAGE_FIELDS["household_field"]))
    query = sa.select(Application).where(Application.procedure_id == procedure.id)
    if procedure.state == PUBLISHED:
        query = query.where(Application.is_test.is_(False))
    applications = list(request.db.scalars(query.order_by(Application.submitted_at.desc(), Application.id.desc())))
    labels = state_labels(procedure.workflow_version.parsed if procedure.workflow_version else None)
    header = ["Score de priorité", "Numéro", "État", *[spec.label for spec in columns], "Personnes du foyer"]

    def rows() -> Iterator[list[Any]]:
        for score, application in ranked(weights_of(weights), applications):
            answers = application.answers
            members = answers.get(household)
            yield [score, application.receipt, labels.get(application.state, application.state),
                   *[shown(spec, answers.get(spec.name)) for spec in columns],
                   1 + (len(members) if isinstance(members, list) else 0)]  # fmt: skip

    return header, rows()


@view_config(route_name="aids.triage_csv", request_method="GET", permission=READ)
@view_config(route_name="aids.triage_xlsx", request_method="GET", permission=READ)
def triage_export(context: ProcedureContext, request: Request) -> Response:
    procedure = context.procedure
    header, rows = people_rows(request, procedure)
    request.find_service(IAuditLog).record_read(
        "aids:application:export", f"Personnes à contacter de « {procedure.title} » exportées, par priorité.", "aids",
        "aids_procedure", str(procedure.id),
    )  # fmt: skip
    name = f"a-contacter-{procedure.receipt_prefix.lower()}"
    if request.matched_route.name == "aids.triage_xlsx":
        return xlsx_response(f"{name}.xlsx", xlsx_file("À contacter", header, rows, [10, 18, 14] + [22] * len(header)))
    return csv_response(f"{name}.csv", header, rows)
