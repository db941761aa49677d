"""Step definitions of features/aids/avis.feature (expert opinions), imported by test_features_aids.py."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
import webtest
from cagou_aids.jobs import SCHEDULED_JOBS
from cagou_aids.models.opinions import Opinion
from pyramid.registry import Registry
from pytest_bdd import given, parsers, then, when

from cagou.kit import AGENT, Directorate, IAccounts, IClock, transaction_scope
from cagou.testing import delivered_mail, freeze_clock, login

PASSWORD = "lagon-vanille-tricot-2026"
T = TypeVar("T")
FINANCES = ("DFI", "Direction des finances")


class Expert:
    """The outside expert's browser (no account) and the link they were mailed, or the directorate's agent."""

    def __init__(self) -> None:
        self.link = ""
        self.app: webtest.TestApp | None = None
        self.page: webtest.TestResponse | None = None


def kept_on(browser: Any, name: str, factory: Callable[[], T]) -> T:
    """What a scenario keeps beside the person's browser (an expert, a program), made on first use."""
    found: T | None = getattr(browser, name, None)
    if found is None:
        found = factory()
        setattr(browser, name, found)
    return found


def expert_of(browser: Any) -> Expert:
    return kept_on(browser, "expert", Expert)


def second_browser(browser: Any) -> webtest.TestApp:
    return webtest.TestApp(browser.app.app, extra_environ={"HTTP_HOST": "localhost"})


def ask_with(browser: Any, question: str, values: dict[str, str]) -> None:
    form = browser.current.forms["formulaire-avis"]
    form["question"] = question
    for name, value in values.items():
        form[name] = value
    answer = form.submit(status=303)
    browser.page = answer.follow()
    browser.application_path = browser.page.request.path


@when(parsers.parse('je demande l\'avis de l\'expert "{email}" : "{question}"'))
def ask_expert(browser: Any, email: str, question: str) -> None:
    ask_with(browser, question, {"destinataire": "expert", "courriel": email})


@given(parsers.parse('une experte de la "{name}" peut rendre des avis'))
def directorate_expert(browser: Any, registry: Registry, name: str) -> None:
    assert name == FINANCES[1]
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        directorate = accounts.directorate(FINANCES[0])
        if directorate is None:  # the tests' platform has no demonstration: the directorate is made for them
            directorate = Directorate(code=FINANCES[0], name=FINANCES[1])
            request.db.add(directorate)
            request.db.flush()
        account = accounts.create("experte", "Experte des finances", AGENT, password=PASSWORD)
        accounts.grant(account, "aids:expert", directorate)
    expert = expert_of(browser)
    expert.app = second_browser(browser)
    login(expert.app, "experte", PASSWORD)


@when(parsers.parse('je demande l\'avis de la direction "{name}" : "{question}"'))
def ask_directorate(browser: Any, name: str, question: str) -> None:
    select = browser.current.html.find(id="champ-direction")
    [value] = [option["value"] for option in select.find_all("option") if option.text == name]
    ask_with(browser, question, {"destinataire": "direction", "direction": value})


def expert_mails(registry: Registry, email: str) -> list[Any]:
    return [mail for mail in delivered_mail(registry) if mail["To"] == email]


@then(parsers.parse('l\'expert "{email}" a reçu {count:d} courriel avec son lien'))
def expert_mailed(browser: Any, registry: Registry, email: str, count: int) -> None:
    mails = expert_mails(registry, email)
    assert len(mails) == count
    found = re.search(r"/avis/[\w-]+", mails[-1].get_content())
    assert found is not None
    expert_of(browser).link = found.group(0)


@when("l'expert ouvre son lien")
def expert_opens(browser: Any, registry: Registry) -> None:
    if not expert_of(browser).link:
        expert_mailed(browser, registry, expert_mails_address(registry), 1)
    expert = expert_of(browser)
    expert.app = second_browser(browser)
    expert.page = expert.app.get(expert.link)


def expert_mails_address(registry: Registry) -> str:
    with transaction_scope(registry) as request:
        return str(request.db.scalars(sa.select(Opinion.expert_email)).one())


@then(parsers.parse('il lit la question "{question}" et rien de la demande numéro {number:d}'))
def reads_question_only(browser: Any, question: str, number: int) -> None:
    page = expert_of(browser).page
    assert page is not None
    assert page.html.find(id="question").text == question
    assert f"-{number:06d}" not in page.text and "Wamytan" not in page.text


def give(page: webtest.TestResponse, verdict: str, text: str) -> webtest.TestResponse:
    form = page.forms["formulaire-reponse-avis"]
    form["avis"] = {"favorable": "oui", "défavorable": "non"}[verdict]
    form["texte"] = text
    return form.submit(status=303)


@when(parsers.parse('il rend un avis "{verdict}" motivé "{text}"'))
def expert_answers(browser: Any, verdict: str, text: str) -> None:
    page = expert_of(browser).page
    assert page is not None
    give(page, verdict, text)


@when(parsers.parse('l\'experte rend depuis « Avis demandés » un avis "{verdict}" motivé "{text}"'))
def directorate_answers(browser: Any, verdict: str, text: str) -> None:
    app = expert_of(browser).app
    assert app is not None
    listed = app.get("/intranet/").click(description="Avis demandés")
    [link] = listed.html.select("#avis-demandes a")
    give(app.get(link["href"]), verdict, text)


@then(parsers.parse('son lien répond 410 "{message}"'))
def link_gone(browser: Any, message: str) -> None:
    expert = expert_of(browser)
    app = expert.app or second_browser(browser)
    assert message in app.get(expert.link, status=410).text


@then(parsers.parse('je lis sur la demande numéro {number:d} "{text}"'))
def instructor_reads(browser: Any, number: int, text: str) -> None:
    page = browser.app.get(browser.application_path)
    assert f"-{number:06d}" in page.request.path
    assert text in page.html.find(id="liste-avis").text


def move_clock(registry: Registry, days: int) -> None:
    with transaction_scope(registry) as request:
        now = request.find_service(IClock).now()
    freeze_clock(registry, now + datetime.timedelta(days=days))


@when(parsers.parse("{days:d} jours passent sans réponse et la tâche de relance s'exécute"))
def reminders_run(registry: Registry, days: int) -> None:
    move_clock(registry, days)
    [job] = [job for job in SCHEDULED_JOBS if job.name == "aids.opinions.remind"]
    job.run(registry)


@when("la date limite de l'avis passe")
def deadline_passes(registry: Registry) -> None:
    with transaction_scope(registry) as request:
        deadline = request.db.scalars(sa.select(Opinion.deadline)).one()
    freeze_clock(registry, deadline + datetime.timedelta(seconds=1))
