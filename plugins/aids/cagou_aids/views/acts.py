"""The budget envelope's page and the acts' pages of a procedure, on the intranet (they parse and render).

``/intranet/demarches/<id>/enveloppe`` shows the envelope's use in figures
and as bars (the figures are text, the bars an image that says them again);
its designer sets the envelope there. ``…/arretes`` lists the procedure's
acts and creates one from validated applications; an act's page shows its
lines and total, its PDF, and the buttons its reader's roles allow (sign,
withdraw, correct). The services decide and audit (services/acts.py,
services/envelopes.py); a refusal comes back next to its field, nothing kept.
"""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from cagou.kit import (
    INTRANET,
    Form,
    FormErrors,
    Invalid,
    TextField,
    account_names,
    attachment_response,
    csv_response,
    local,
    submit,
    uploads_of,
    xlsx_file,
    xlsx_response,
)
from cagou_aids.answers import applicant_name
from cagou_aids.interfaces import IActs, IEnvelopes, IPayments
from cagou_aids.models.acts import ACT_KINDS, ACT_STATES, Act
from cagou_aids.services.acts import ActTexts, pdf_name
from cagou_aids.services.envelopes import EnvelopeUse, read_amount
from cagou_aids.services.payments import PAYMENT_HEADER
from cagou_aids.views.instruction import DESIGN, READ, ProcedureContext, procedure_context

ACTS_PAGE = "cagou_aids:templates/acts.jinja2"
ACT_PAGE = "cagou_aids:templates/act.jinja2"
ENVELOPE_PAGE = "cagou_aids:templates/envelope.jinja2"
TEMPLATE_PAGE = "cagou_aids:templates/act_template.jinja2"
INSTRUCT, SIGN = "aids:application:instruct", "aids:act:sign"
TEXT_NAMES = ("title", "visas", "considerants", "articles", "imputation", "signatory")


def includeme(config: Configurator) -> None:
    procedure = {"factory": procedure_context}
    base = r"/demarches/{id:\d+}"
    config.add_site_route(INTRANET, "aids.envelope", base + "/enveloppe", **procedure)
    config.add_site_route(INTRANET, "aids.acts", base + "/arretes", **procedure)
    config.add_site_route(INTRANET, "aids.act_template", base + "/arretes/modele", **procedure)
    config.add_site_route(INTRANET, "aids.act", base + r"/arretes/{act:\d+}", **procedure)
    config.add_site_route(INTRANET, "aids.act_pdf", base + r"/arretes/{act:\d+}/arrete.pdf", **procedure)
    config.add_site_route(INTRANET, "aids.act_payment_csv", base + r"/arretes/{act:\d+}/paiement.csv", **procedure)
    config.add_site_route(INTRANET, "aids.act_payment_xlsx", base + r"/arretes/{act:\d+}/paiement.xlsx", **procedure)
    config.add_site_route(INTRANET, "aids.act_action", base + r"/arretes/{act:\d+}/{action}", **procedure)


class EnvelopeForm(Form):
    montant = TextField()


class ActTextsForm(Form):
    title = TextField()
    visas = TextField()
    considerants = TextField()
    articles = TextField()
    imputation = TextField()
    signatory = TextField()


def texts_of(form: ActTextsForm) -> ActTexts:
    return ActTexts(*(str(getattr(form, name).data) for name in TEXT_NAMES))


def texts_form(texts: ActTexts, formdata: Any = None) -> ActTextsForm:
    return ActTextsForm(formdata, data=vars(texts)) if formdata is None else ActTextsForm(formdata)


# --- the envelope ------------------------------------------------------------------------------------------


def bars(use: EnvelopeUse) -> list[dict[str, Any]]:
    """The figures the page lists (the template names them), each with its bar's length: a share of the envelope,
    or of the largest figure while none is set."""
    rows = [("proposed", use.proposed), ("validated", use.validated), ("in-acts", use.in_acts),
            ("signed", use.in_signed_acts), ("paid", use.paid)]  # fmt: skip
    scale = use.envelope or max([amount for _css, amount in rows] + [1])
    return [{"css": css, "amount": amount, "width": round(min(amount / scale, 1) * 100, 1)} for css, amount in rows]


def envelope_values(
    request: Request, context: ProcedureContext, form: EnvelopeForm, errors: FormErrors
) -> dict[str, Any]:  # fmt: skip
    procedure = context.procedure
    use = request.find_service(IEnvelopes).use(procedure)
    return {"procedure": procedure, "use": use, "bars": bars(use), "form": form, "errors": errors,
            "may_set": bool(request.has_permission(DESIGN, context))}  # fmt: skip


@view_config(route_name="aids.envelope", request_method="GET", renderer=ENVELOPE_PAGE, permission=READ)
def envelope_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    use = request.find_service(IEnvelopes).use(context.procedure)
    form = EnvelopeForm(data={"montant": "" if use.envelope is None else str(use.envelope)})
    return envelope_values(request, context, form, FormErrors())


@view_config(route_name="aids.envelope", request_method="POST", renderer=ENVELOPE_PAGE, permission=DESIGN)
def envelope_post(context: ProcedureContext, request: Request) -> Any:
    form = EnvelopeForm(request.POST)

    def save(form: EnvelopeForm) -> object:
        errors = FormErrors()
        amount = read_amount(errors, "montant", form.montant.data, "Le montant de l'enveloppe")
        if amount is None:
            raise Invalid(errors)
        return request.find_service(IEnvelopes).set(context.procedure, amount)

    return submit(
        request, form, save, message="Enveloppe enregistrée.",
        redirect_to=request.route_path("aids.envelope", id=context.procedure.id),
        render=lambda form: envelope_values(request, context, form, form.field_errors()),
    )  # fmt: skip


# --- the acts' list and their creation ------------------------------------------------------------------


def acts_values(request: Request, context: ProcedureContext, form: ActTextsForm, errors: FormErrors,
                chosen: set[int] | None = None) -> dict[str, Any]:  # fmt: skip
    procedure = context.procedure
    acts = list(request.db.scalars(sa.select(Act).where(Act.procedure_id == procedure.id).order_by(Act.id.desc())))
    candidates = request.find_service(IActs).candidates(procedure)
    return {
        "procedure": procedure, "acts": acts, "kinds": ACT_KINDS, "states": ACT_STATES, "form": form,
        "errors": errors, "candidates": [(a, applicant_name(a)) for a in candidates],
        "chosen": chosen if chosen is not None else {a.id for a in candidates},
        "may_create": bool(request.has_permission(INSTRUCT, context)),
        "may_design": bool(request.has_permission(DESIGN, context)),
    }  # fmt: skip


@view_config(route_name="aids.acts", request_method="GET", renderer=ACTS_PAGE, permission=READ)
def acts_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    texts = request.find_service(IActs).template(context.procedure)
    return acts_values(request, context, texts_form(texts), FormErrors())


def chosen_ids(request: Request) -> set[int]:
    return {int(value) for value in request.POST.getall("demandes") if value.isdigit() and len(value) < 12}


@view_config(route_name="aids.acts", request_method="POST", renderer=ACTS_PAGE, permission=READ)
def create_act(context: ProcedureContext, request: Request) -> Any:
    form = ActTextsForm(request.POST)
    chosen = chosen_ids(request)
    procedure = context.procedure
    return submit(
        request, form, lambda form: request.find_service(IActs).create(procedure, sorted(chosen), texts_of(form)),
        message=lambda act: f"Arrêté n° {act.reference} créé : {len(act.lines)} bénéficiaire(s).",
        redirect_to=lambda act: request.route_path("aids.act", id=procedure.id, act=act.id),
        render=lambda form: acts_values(request, context, form, form.field_errors(), chosen),
    )  # fmt: skip


# --- the template of the procedure's acts ----------------------------------------------------------------


def template_values(context: ProcedureContext, form: ActTextsForm, errors: FormErrors) -> dict[str, Any]:
    return {"procedure": context.procedure, "form": form, "errors": errors}


@view_config(route_name="aids.act_template", request_method="GET", renderer=TEMPLATE_PAGE, permission=DESIGN)
def template_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    texts = request.find_service(IActs).template(context.procedure)
    return template_values(context, texts_form(texts), FormErrors())


@view_config(route_name="aids.act_template", request_method="POST", renderer=TEMPLATE_PAGE, permission=DESIGN)
def template_post(context: ProcedureContext, request: Request) -> Any:
    return submit(
        request, ActTextsForm(request.POST),
        lambda form: request.find_service(IActs).save_template(context.procedure, texts_of(form)),
        message="Modèle d'arrêté enregistré.", redirect_to=request.route_path("aids.acts", id=context.procedure.id),
        render=lambda form: template_values(context, form, form.field_errors()),
    )  # fmt: skip


# --- one act ----------------------------------------------------------------------------------------------


def act_of(context: ProcedureContext, request: Request) -> Act:
    act: Act | None = request.db.get(Act, int(request.matchdict["act"]))
    if act is None or act.procedure_id != context.procedure.id:
        raise HTTPNotFound("Cet arrêté n'existe pas.")
    return act


def act_values(request: Request, context: ProcedureContext, act: Act, form: ActTextsForm,
               errors: FormErrors) -> dict[str, Any]:  # fmt: skip
    names = account_names()
    people: dict[int, str] = {row.id: row.display_name for row in request.db.execute(
        sa.select(names.c.id, names.c.display_name).where(names.c.id.in_([act.created_by_id, act.signed_by_id or 0]))
    )}  # fmt: skip
    return {
        "procedure": context.procedure, "act": act, "kinds": ACT_KINDS, "states": ACT_STATES, "form": form,
        "errors": errors, "lines": [(line, applicant_name(line.application)) for line in act.lines],
        "created_by": people.get(act.created_by_id, ""), "signed_by": people.get(act.signed_by_id or 0, ""),
        "created_at": local(request.registry, act.created_at),
        "signed_at": local(request.registry, act.signed_at) if act.signed_at else None,
        "may_instruct": bool(request.has_permission(INSTRUCT, context)),
        "may_sign": bool(request.has_permission(SIGN, context)),
        "rectificatifs": list(request.db.scalars(sa.select(Act).where(Act.refers_to_id == act.id))),
    }  # fmt: skip


def rectificatif_form(request: Request, act: Act) -> ActTextsForm:
    texts = request.find_service(IActs).template(act.procedure)
    return texts_form(ActTexts(f"Arrêté rectificatif de l'arrêté n° {act.reference}", texts.visas,
                               f"Considérant l'erreur matérielle entachant l'arrêté n° {act.reference} ;",
                               "", act.imputation, act.signatory))  # fmt: skip


@view_config(route_name="aids.act", request_method="GET", renderer=ACT_PAGE, permission=READ)
def act_page(context: ProcedureContext, request: Request) -> dict[str, Any]:
    act = act_of(context, request)
    return act_values(request, context, act, rectificatif_form(request, act), FormErrors())


@view_config(route_name="aids.act_pdf", request_method="GET", permission=READ)
def act_pdf(context: ProcedureContext, request: Request) -> Response:
    act = act_of(context, request)
    return attachment_response(io.BytesIO(request.find_service(IActs).pdf(act)), pdf_name(act), "application/pdf")


ACTIONS = {"signer": "sign", "retirer": "withdraw"}
DONE = {"signer": "Arrêté n° {} signé.", "retirer": "Arrêté n° {} retiré : ses demandes sont de nouveau validées."}


@view_config(route_name="aids.act_action", request_method="POST", renderer=ACT_PAGE, permission=READ)
def act_action(context: ProcedureContext, request: Request) -> Any:
    act = act_of(context, request)
    action = request.matchdict["action"]
    acts = request.find_service(IActs)
    if action == "rectifier":
        return submit(
            request, ActTextsForm(request.POST), lambda form: acts.rectify(act, texts_of(form)),
            message=lambda made: f"Arrêté rectificatif n° {made.reference} créé.",
            redirect_to=lambda made: request.route_path("aids.act", id=context.procedure.id, act=made.id),
            render=lambda form: act_values(request, context, act, form, form.field_errors()),
        )  # fmt: skip
    if action in PAYMENT_ACTIONS:
        return payment_action(context, request, act, action)
    if action not in ACTIONS:
        raise HTTPNotFound("Cette action n'existe pas.")
    return submit(
        request, Form(request.POST), lambda form: getattr(acts, ACTIONS[action])(act),
        message=DONE[action].format(act.reference),
        redirect_to=request.route_path("aids.act", id=context.procedure.id, act=act.id),
        render=lambda form: act_values(request, context, act, rectificatif_form(request, act), form.field_errors()),
    )  # fmt: skip


# --- the payment of a signed act --------------------------------------------------------------------------

PAYMENT_ACTIONS = ("payer", "retour")


def payment_action(context: ProcedureContext, request: Request, act: Act, action: str) -> Any:
    """Put the act into payment, or apply the accountant's return file (sent in ``fichier``)."""
    payments = request.find_service(IPayments)

    def save(form: Form) -> str:
        if action == "payer":
            return f"Arrêté n° {act.reference} mis en paiement : {payments.order(act)} demande(s)."
        files = uploads_of(request, "fichier")
        if not files:
            raise Invalid(FormErrors(fichier="Choisissez le fichier de retour du payeur (CSV)."))
        paid, rejected = payments.import_return(act, files[0].data)
        return f"Retour du payeur enregistré : {paid} payée(s), {rejected} rejetée(s)."

    return submit(
        request, Form(request.POST), save, message=lambda done: done,
        redirect_to=request.route_path("aids.act", id=context.procedure.id, act=act.id),
        render=lambda form: act_values(request, context, act, rectificatif_form(request, act), form.field_errors()),
    )  # fmt: skip


@view_config(route_name="aids.act_payment_csv", request_method="GET", permission=READ)
@view_config(route_name="aids.act_payment_xlsx", request_method="GET", permission=READ)
def payment_file(context: ProcedureContext, request: Request) -> Response:
    act = act_of(context, request)
    rows = list(request.find_service(IPayments).payment_rows(act))
    name = f"paiement-{act.reference}"
    if request.matched_route.name == "aids.act_payment_xlsx":
        return xlsx_response(f"{name}.xlsx", xlsx_file("Paiement", PAYMENT_HEADER, rows, [30, 14, 34, 16, 20, 12, 40]))
    return csv_response(f"{name}.csv", PAYMENT_HEADER, rows)
