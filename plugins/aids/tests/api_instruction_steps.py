"""Step definitions of features/aids/api_instruction.feature (the instructors' API) and complement_clos.feature,
imported by test_features_aids.py."""

from __future__ import annotations

import base64
import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import webtest
from cagou_aids.interfaces import IWorkflows
from cagou_aids.models import Application
from opinion_steps import kept_on
from pyramid.registry import Registry
from pytest_bdd import given, parsers, then, when

from cagou.kit import IAccounts, act_as, transaction_scope
from cagou.testing_checks import PDF_SAMPLE, token_with_every_scope


class InstructorProgram:
    """The instructing service's program: its token and the API's last answer."""

    def __init__(self) -> None:
        self.token = ""
        self.answer: webtest.TestResponse | None = None

    @property
    def last(self) -> webtest.TestResponse:
        assert self.answer is not None, "the program has not called the API yet"
        return self.answer


def program_of(browser: Any) -> InstructorProgram:
    return kept_on(browser, "instructor_program", InstructorProgram)


def application_api(registry: Registry, number: int) -> str:
    year = datetime.datetime.now(datetime.UTC).astimezone(ZoneInfo("Pacific/Noumea")).year
    receipt = f"RAP-{year}-{number:06d}"
    with transaction_scope(registry) as request:
        procedure_id = request.db.scalar(sa.select(Application.procedure_id).where(Application.receipt == receipt))
    return f"/intranet/api/v1/demarches/{procedure_id}/demandes/{receipt}"


def call(browser: Any, method: str, path: str, body: object = None) -> None:
    program = program_of(browser)
    headers = {"Authorization": f"Bearer {program.token}"}
    if method == "GET":
        program.answer = browser.app.get(path, headers=headers, expect_errors=True)
    else:
        program.answer = browser.app.post_json(path, body, headers=headers, expect_errors=True)


@given("je crée un jeton d'API d'instructeur")
def instructor_token(browser: Any) -> None:
    program_of(browser).token = token_with_every_scope(browser.app)
    browser.app.reset()  # the token only, from now on


@when(parsers.parse("mon programme lit les transitions de la demande numéro {number:d}"))
def read_transitions(browser: Any, registry: Registry, number: int) -> None:
    call(browser, "GET", application_api(registry, number) + "/transitions")


@then(parsers.parse('l\'API propose "{first}" et "{second}"'))
def offers(browser: Any, first: str, second: str) -> None:
    codes = [item["code"] for item in program_of(browser).last.json["transitions"]]
    assert first in codes and second in codes, codes


@when(parsers.parse('mon programme fait "{code}" sur la demande numéro {number:d} lue "{seen}"'))
def take(browser: Any, registry: Registry, code: str, number: int, seen: str) -> None:
    call(browser, "POST", application_api(registry, number) + "/transitions", {"transition": code, "seen_state": seen})


@then(parsers.parse("l'API répond 200 avec l'état \"{label}\""))
def answered_state(browser: Any, label: str) -> None:
    answer = program_of(browser).last
    assert answer.status_int == 200 and answer.json["state_label"] == label, answer.text


@then(parsers.re(r'l\'API répond (?P<status>4\d\d) "(?P<message>[^"]*)"'))
def answered_refusal(browser: Any, status: str, message: str) -> None:
    answer = program_of(browser).last
    assert answer.status_int == int(status) and message in answer.json["error"], answer.text


@when(parsers.parse('mon programme écrit "{text}" au demandeur de la demande numéro {number:d} avec un PDF'))
def write(browser: Any, registry: Registry, text: str, number: int) -> None:
    files = [{"filename": "formulaire.pdf", "content": base64.b64encode(PDF_SAMPLE).decode()}]
    call(browser, "POST", application_api(registry, number) + "/messages", {"text": text, "files": files})


@then(parsers.parse("l'API répond 201 avec {count:d} fichier"))
def message_sent(browser: Any, count: int) -> None:
    answer = program_of(browser).last
    assert answer.status_int == 201 and answer.json["files"] == count, answer.text


# -- complement_clos.feature: a request for documents closed by a transition taken by hand -------------------


@when(parsers.parse('l\'instructrice fait "{code}" sans attendre mes compléments'))
def instructor_resumes(registry: Registry, code: str) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        instructor = accounts.by_login("instructrice")
        accounts.grant(instructor, "aids:instructor")
        act_as(request, instructor)
        application = request.db.scalars(sa.select(Application)).one()
        request.find_service(IWorkflows).take(application, code, {})


@then(parsers.parse("la page répond {status:d}"))
def page_status(browser: Any, status: int) -> None:
    assert browser.current.status_int == status


@then(parsers.parse('je ne lis plus "{text}"'))
def no_longer_reads(browser: Any, text: str) -> None:
    assert text not in browser.current.text
